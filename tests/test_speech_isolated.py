"""Piper in a worker process of its own (coach/speech/tts/isolated.py, worker.py):
the same audio as in process, and a worker that dies, hangs or fails never
takes the server's speech with it."""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path

import pytest

from coach.speech.tts.base import Audio, SpeechError, SpeechSynthesizer
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.isolated import IsolatedSynthesizer
from coach.speech.tts.piper import PiperSynthesizer
from coach.speech.tts.worker import serve


@pytest.fixture(scope="module")
def isolated():
    synthesizer = IsolatedSynthesizer(PiperSynthesizer(varied=False), steady=True)
    yield synthesizer
    synthesizer.stop()


def test_the_worker_says_what_piper_says_in_process(isolated: IsolatedSynthesizer):
    text = "Breathe out slowly and let your knee come closer."
    audio = isolated.synthesize(text)
    assert audio.data == PiperSynthesizer(varied=False).synthesize(text).data
    assert (audio.media_type, audio.extension) == ("audio/wav", "wav")
    assert isolated.pid is not None and isolated.pid != os.getpid()


def test_its_cache_key_is_piper_s(isolated: IsolatedSynthesizer):
    twin = PiperSynthesizer()
    assert (isolated.engine, isolated.voice_key()) == (twin.engine, twin.voice_key())


def test_a_worker_that_died_is_started_again(isolated: IsolatedSynthesizer):
    isolated.synthesize("Hold it there.")
    first = isolated.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert isolated.synthesize("And release.").data[:4] == b"RIFF"
    assert isolated.pid not in (None, first)


def test_a_worker_that_hangs_is_killed_and_the_next_engine_speaks(tmp_path: Path):
    slow = IsolatedSynthesizer(PiperSynthesizer(), timeout=2.0)
    slow.synthesize("Warm up.")  # started, voice loaded
    hung = slow.pid
    assert hung is not None
    os.kill(hung, signal.SIGSTOP)
    chain = FallbackSynthesizer([slow, EspeakSynthesizer()])
    try:
        engine, audio = chain.synthesize_with_engine("Slowly back to the floor.")
        assert engine.engine == "espeak" and audio.data[:4] == b"RIFF"
        assert slow.pid is None  # killed, not asked again
        assert slow.synthesize("Back again.").data[:4] == b"RIFF"  # a new worker
    finally:
        slow.stop()


def test_a_voice_that_cannot_load_is_a_speech_error(tmp_path: Path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    synthesizer = IsolatedSynthesizer(PiperSynthesizer(model=broken), model=broken)
    try:
        with pytest.raises(SpeechError, match="piper"):
            synthesizer.synthesize("Hello.")
        assert synthesizer.pid is not None  # the worker itself is fine, and stays
    finally:
        synthesizer.stop()


def test_empty_text_never_reaches_the_worker():
    synthesizer = IsolatedSynthesizer(PiperSynthesizer())
    with pytest.raises(SpeechError):
        synthesizer.synthesize("  ")
    assert synthesizer.pid is None


class Echo(SpeechSynthesizer):
    """A stand-in engine for the worker's loop: says the text's bytes."""

    engine = "echo"

    def voice_key(self) -> str:
        return "voice=echo"

    def synthesize(self, text: str) -> Audio:
        if text == "fail":
            raise SpeechError("cannot say that")
        return Audio(data=text.encode(), media_type="audio/wav", extension="wav")


def test_the_worker_loop_answers_each_request_and_survives_bad_ones():
    requests = io.BytesIO(
        b'{"text": "one"}\n{"text": "fail"}\nnot json\n{"text": 5}\n{"text": "two"}\n'
    )
    replies = io.BytesIO()
    serve(Echo(), requests, replies)
    out = replies.getvalue()
    answers = []
    while out:
        line, out = out.split(b"\n", 1)
        header = json.loads(line)
        body, out = out[: header.get("bytes", 0)], out[header.get("bytes", 0) :]
        answers.append((header["ok"], body))
    assert answers == [(True, b"one"), (False, b""), (False, b""), (False, b""), (True, b"two")]
