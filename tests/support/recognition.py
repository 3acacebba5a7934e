"""Speech for the recogniser's tests: espeak-ng recordings as the channel decodes
them, noise, silence, and the project's speech models (built if stale)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.speech.asr.audio_input import SAMPLE_RATE, decode_wav
from coach.speech.lm.build import build, is_stale
from coach.speech.lm.names import DEFAULT_OUT_DIR
from coach.tools.speak import espeak_wav


def espeak_pcm(text: str, voice: str = "en-us", speed: int = 160) -> bytes:
    return decode_wav(espeak_wav(text, voice, speed)).samples


def white_noise(seconds: float, level: float = 3000.0, seed: int = 7) -> bytes:
    noise = np.random.default_rng(seed).normal(0, level, int(SAMPLE_RATE * seconds))
    return np.clip(noise, -32768, 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(2 * int(SAMPLE_RATE * seconds))


def fresh_speech_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's speech models (built into a temporary folder if missing or stale)."""
    if not is_stale(DEFAULT_OUT_DIR):
        return DEFAULT_OUT_DIR
    out = tmp_path_factory.mktemp("speech") / "speech"
    build(out)
    return out


def piper_pcm(text: str) -> bytes:
    """``text`` in the coach's own neural voice (piper), as the channel decodes it."""
    import subprocess

    from coach.speech.tts.piper import PiperSynthesizer

    spoken = PiperSynthesizer(varied=False).synthesize(text).data
    wav = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "-", "-ar", "16000", "-ac", "1", "-f", "wav", "-"],
        input=spoken,
        capture_output=True,
        check=True,
    ).stdout
    return decode_wav(wav).samples
