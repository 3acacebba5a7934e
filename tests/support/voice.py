"""The voice channel over HTTP, as the web widget calls it (integration tests
against a real stack): uploads, and checks of what comes back."""

from __future__ import annotations

import difflib
import io
import uuid
import wave
from typing import Any, Dict, List, Tuple

import numpy as np
import requests

from coach.tools.speak import PIPER as PIPER  # the tests' voices
from coach.tools.speak import spoken_wav as spoken_wav
from coach.tools.stack import Stack

VOICE = "/webhooks/voice/webhook"
Reply = Tuple[int, Dict[str, Any]]


def new_sender(prefix: str = "voice") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def post_voice(
    stack: Stack,
    audio: bytes | None,
    sender: str | None = None,
    mode: str | None = None,
    content_type: str = "audio/wav",
    timeout: float = 60,
) -> Reply:
    """A recording as the web widget sends it: multipart with sender, mode, audio."""
    fields: Dict[str, Any] = {}
    if sender is not None:
        fields["sender"] = (None, sender)
    if mode is not None:
        fields["mode"] = (None, mode)
    if audio is not None:
        fields["audio"] = ("recording.wav", audio, content_type)
    response = requests.post(stack.url + VOICE, files=fields, timeout=timeout)
    return response.status_code, response.json()


def post_raw(stack: Stack, body: bytes, content_type: str, **params: str) -> Reply:
    response = requests.post(
        stack.url + VOICE,
        data=body,
        params=params,
        headers={"Content-Type": content_type},
        timeout=60,
    )
    return response.status_code, response.json()


# Whisper's exact words differ between machines (CTranslate2's int8 kernels and
# onnxruntime's, AVX2 against AVX-512): piper's "how do I stretch my psoas" is
# heard word for word on one machine and as "... my cells" on another, with the
# same answer. Tests of the channel's plumbing assert the behaviour (the answer,
# the routine's state) and that the words are about the ones said.
MIN_WORD_LIKENESS = 0.75


def word_likeness(heard: str, said: str) -> float:
    """How alike two transcripts are, word for word (1.0: the same words)."""
    return difflib.SequenceMatcher(None, heard.lower().split(), said.lower().split()).ratio()


def heard_about(heard: str, said: str) -> bool:
    """``heard`` is ``said`` but for a word or so (see ``MIN_WORD_LIKENESS``)."""
    return word_likeness(heard, said) >= MIN_WORD_LIKENESS


def message_texts(messages: List[Dict[str, Any]]) -> List[str]:
    return [str(m.get("text") or "") for m in messages]


def last_routine(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    states = [m["routine"] for m in messages if isinstance(m.get("routine"), dict)]
    assert states, f"no routine state in {message_texts(messages)}"
    return states[-1]


def wav(samples: np.ndarray, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def check_audio_url(stack: Stack, message: Dict[str, Any]) -> None:
    url = message.get("audio_url")
    assert url, f"no audio for {message.get('text')!r}"
    response = requests.get(stack.url + url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("audio/")
    head = response.content[:4]
    assert head == b"RIFF" or head[:3] == b"ID3" or head[:2] == b"\xff\xfb", head  # WAV or MP3


def check_refusal(stack: Stack, body: Dict[str, Any], status: str) -> None:
    """A refusal: its status, one "I didn't catch that" message with audio, no transcript."""
    assert body["status"] == status, body
    assert body["transcript"] == ""
    assert body.get("detail")
    [message] = body["messages"]
    assert message["text"].startswith("I didn't catch that"), message
    check_audio_url(stack, message)
