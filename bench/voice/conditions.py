"""Listening conditions for bench/voice: a clean clip as a microphone would hear it.

A condition turns a clean 16 kHz mono 16-bit clip into another one,
deterministically (its randomness is seeded by the voice and the text, so a
rerun plays the very same audio), and is cached beside the clean clips
(``bench/out/voice-audio/16k/VOICE/CONDITION``). All synthetic:

* ``clean``: the voice as synthesized;
* ``noise20``, ``noise10``: pink noise at 20 and 10 dB SNR (the speech level
  measured over the frames that hold speech), with 0.3 s of that noise before
  and after the speech, as a microphone starts and ends in the room's noise;
* ``room``: a synthetic room: the direct path plus exponentially decaying noise
  (RT60 0.5 s, about as much reverberant energy as direct: a phone a couple of
  metres away), level matched to the clean clip;
* ``phone``: band-limited to 300-3400 Hz, resampled to 8 kHz, encoded with
  Opus at 12 kbit/s (ffmpeg's libopus, VoIP mode) and decoded back to 16 kHz,
  as a browser recording over a poor link;
* ``fast``: 15% faster and pitched up (about 1.7 semitones: ffmpeg
  ``asetrate`` + ``aresample`` + ``atempo``), as a hurried speaker.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import wave
from dataclasses import dataclass
from typing import Callable, Dict, List

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfiltfilt

from bench.voice.audio import CACHE, RATE, Voice, save, to_wav

CLEAN = "clean"
CONDITIONS = ("clean", "noise20", "noise10", "room", "phone", "fast")
PAD_SECONDS = 0.3  # noise before and after the speech
FRAME = int(0.03 * RATE)
SPEECH_FRAMES_DB = 30.0  # frames within this much of the loudest are speech
NOMINAL_SPEECH_RMS = 1600.0  # for a clip with no speech (a noise clip): about -26 dBFS
RT60 = 0.5
DIRECT_TO_REVERB_DB = 0.0
FAST_SPEED, FAST_PITCH = 1.15, 1.10
OPUS_BITRATE = "12k"
PHONE_BAND = (300.0, 3400.0)


def _rng(seed: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))


def speech_rms(x: np.ndarray) -> float:
    """The RMS of the frames that hold speech (within 30 dB of the loudest frame)."""
    frames = x[: len(x) // FRAME * FRAME].reshape(-1, FRAME) if len(x) >= FRAME else x[None, :]
    levels = np.sqrt(np.mean(frames**2, axis=1)) if frames.size else np.zeros(1)
    loud = float(levels.max()) if levels.size else 0.0
    if loud < 1.0:
        return 0.0
    active = frames[levels >= loud * 10 ** (-SPEECH_FRAMES_DB / 20)]
    return float(np.sqrt(np.mean(active**2)))


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0)
    out = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return out / (float(np.sqrt(np.mean(out**2))) or 1.0)


def fit(x: np.ndarray) -> np.ndarray:
    """Scaled down (never up) to stay inside 16 bits."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (32000 / peak) if peak > 32000 else x


def with_noise(snr_db: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    def apply(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        level = speech_rms(x) or NOMINAL_SPEECH_RMS
        pad = np.zeros(int(PAD_SECONDS * RATE))
        padded = np.concatenate([pad, x, pad])
        noise = pink(rng, len(padded)) * level / 10 ** (snr_db / 20)
        return fit(padded + noise)

    return apply


def room_response(rng: np.random.Generator) -> np.ndarray:
    """Direct path, then decaying noise from 3 ms on (60 dB down at RT60)."""
    n = int(1.2 * RT60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.normal(0, 1, n) * np.exp(-3 * np.log(10) * t / RT60)
    tail[: int(0.003 * RATE)] = 0.0
    # a little darker than white: walls and air absorb the highs
    tail = sosfiltfilt(butter(2, 4000, fs=RATE, output="sos"), tail)
    tail *= 10 ** (-DIRECT_TO_REVERB_DB / 20) / (float(np.sqrt(np.sum(tail**2))) or 1.0)
    tail[0] = 1.0
    return tail / float(np.sqrt(np.sum(tail**2)))


def room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    wet = fftconvolve(x, room_response(rng))[: len(x) + int(0.4 * RATE)]
    level = speech_rms(x)
    return fit(wet * (level / (speech_rms(wet) or 1.0)) if level else wet)


def ffmpeg(args: List[str], data: bytes) -> bytes:
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def pcm(x: np.ndarray) -> bytes:
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def from_pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64)


def phone(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    band = sosfiltfilt(butter(4, PHONE_BAND, btype="bandpass", fs=RATE, output="sos"), x)
    narrow = resample_poly(band, 1, 2)
    source = ["-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0"]
    opus = ["-c:a", "libopus", "-b:a", OPUS_BITRATE, "-application", "voip"]
    encoded = ffmpeg([*source, *opus, "-f", "ogg", "pipe:1"], pcm(narrow))
    decoded = ffmpeg(
        ["-i", "pipe:0", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"], encoded
    )
    return fit(from_pcm(decoded))


def fast(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    filters = (
        f"asetrate={int(RATE * FAST_PITCH)},aresample={RATE},atempo={FAST_SPEED / FAST_PITCH:.5f}"
    )
    raw = ["-f", "s16le", "-ar", str(RATE), "-ac", "1"]
    return from_pcm(ffmpeg([*raw, "-i", "pipe:0", "-af", filters, *raw, "pipe:1"], pcm(x)))


TRANSFORMS: Dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "noise20": with_noise(20.0),
    "noise10": with_noise(10.0),
    "room": room,
    "phone": phone,
    "fast": fast,
}


def read_wav(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == RATE and wav.getnchannels() == 1, "16 kHz mono only"
        return from_pcm(wav.readframes(wav.getnframes()))


def transform(condition: str, clean: bytes, seed: str) -> bytes:
    """``clean`` (16 kHz mono WAV) under ``condition``, not cached."""
    if condition == CLEAN:
        return clean
    rng = _rng(f"{condition}\n{seed}")
    return to_wav(TRANSFORMS[condition](read_wav(clean), rng))


def heard(condition: str, clean: bytes, seed: str, folder: str) -> bytes:
    """``clean`` under ``condition``, cached under ``folder`` by the seed."""
    if condition == CLEAN:
        return clean
    key = hashlib.sha256(f"{seed}\n{hashlib.sha256(clean).hexdigest()}".encode()).hexdigest()
    path = CACHE / folder / condition / f"{key[:24]}.wav"
    if not path.exists():
        save(path, transform(condition, clean, seed))
    return path.read_bytes()


@dataclass(frozen=True)
class Speaker:
    """A voice heard under a condition: what a phase plays to the server."""

    voice: Voice
    condition: str = CLEAN

    @classmethod
    def parse(cls, voice: str, condition: str = CLEAN) -> Speaker:
        return cls(Voice.parse(voice), condition)

    @property
    def label(self) -> str:
        return f"{self.voice.label} {self.condition}"

    def say(self, text: str) -> bytes:
        clean = self.voice.say(text)
        folder = self.voice.label.replace(":", "_")
        return heard(self.condition, clean, f"{self.voice.label}\n{text}", folder)


def noise_clip(condition: str, name: str, clean: bytes) -> bytes:
    """A noise clip (``bench.voice.audio.noises``) under ``condition``."""
    return heard(condition, clean, f"noise\n{name}", "noise")
