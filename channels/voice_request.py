"""A voice request, read and checked: the Sanic side of ``channels.voice``.

``parse_request`` takes a multipart form (``sender``, ``mode``, ``audio``) or
a raw audio body (``?sender=...&mode=...``); ``read_body`` reads the body and
refuses it (``too_large``) as soon as it passes the cap, before the whole
upload has arrived.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from coach.speech.asr.audio_input import MAX_UPLOAD_BYTES, TOO_LARGE, UNSUPPORTED_TYPE, AudioProblem
from coach.speech.listening import MODES, QUESTION
from coach.text.input_checks import MAX_CONVERSATION_ID, clean_conversation_id

MAX_SENDER_LENGTH = MAX_CONVERSATION_ID


@dataclass
class VoiceRequest:
    """The parts of a request, read and checked."""

    sender: str
    mode: str
    audio: bytes | None
    audio_type: str | None


def clean_sender(value: Any) -> str:
    """The conversation id: a given one cleaned (``clean_conversation_id``),
    else a fresh one (never shared)."""
    return clean_conversation_id(value) or f"anonymous-{uuid.uuid4().hex}"


def clean_mode(value: Any) -> str:
    mode = str(value or "").strip().lower().replace("-", "_")
    return mode if mode in MODES else QUESTION


async def read_body(request: Request) -> bytes:
    """The request body, refused (``too_large``) as soon as it passes the cap."""
    limit = MAX_UPLOAD_BYTES + 64 * 1024  # room for the multipart envelope
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise AudioProblem(TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    if request.body:
        body = bytes(request.body)
    else:
        chunks = bytearray()
        while True:
            chunk = await request.stream.read() if request.stream else None
            if chunk is None:
                break
            chunks += chunk
            if len(chunks) > limit:
                raise AudioProblem(
                    TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB"
                )
        body = bytes(chunks)
    if len(body) > limit:
        raise AudioProblem(TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    return body


def parse_request(request: Request) -> VoiceRequest:
    """Multipart form (``sender``, ``mode``, ``audio``) or a raw audio body."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form, files = request.form, request.files
        upload = files.get("audio") if files else None
        text_audio = form.get("audio") if form else None
        if upload is not None:
            audio, audio_type = upload.body, upload.type
        elif text_audio is not None:  # a form field that is not a file
            raise AudioProblem(UNSUPPORTED_TYPE, "the audio field must be a file")
        else:
            audio, audio_type = None, None
        return VoiceRequest(
            sender=clean_sender(form.get("sender") if form else None),
            mode=clean_mode(form.get("mode") if form else None),
            audio=audio,
            audio_type=audio_type,
        )
    args = request.args
    if kind in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        raise AudioProblem(
            UNSUPPORTED_TYPE, "send multipart/form-data with an audio file, or an audio body"
        )
    return VoiceRequest(
        sender=clean_sender(args.get("sender")),
        mode=clean_mode(args.get("mode")),
        audio=bytes(request.body) if request.body else None,
        audio_type=content_type,
    )
