"""Measuring decoded audio in tests."""

from __future__ import annotations

import numpy as np

from coach.speech.asr.audio_input import Pcm


def samples_of(pcm: Pcm) -> np.ndarray:
    return np.frombuffer(pcm.samples, dtype="<i2").astype(np.float64)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio.astype(np.float64)))))
