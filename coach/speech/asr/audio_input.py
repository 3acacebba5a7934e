"""Recordings in, 16 kHz mono 16-bit PCM out: what the speech recogniser reads.

* WAV (PCM, 8 to 32 bits, any rate, any channels) is decoded here and resampled
  with a band-limited polyphase filter; anything else the browsers send (WebM or
  OGG with Opus, MP4/AAC from Safari, MP3, FLAC, float WAV) goes through ffmpeg
  in a subprocess, so the event loop never waits on it.
* Hostile uploads: a WAV header is believed only for sample rates a recording
  can have (``MIN_SAMPLE_RATE`` to ``MAX_SAMPLE_RATE``; the resampling filter
  grows with the rate, and a lying header of 50 MHz took 22 GB before the
  kernel killed the server); ffmpeg reads only the container the bytes were
  sniffed as (``FFMPEG_DEMUXERS``), never guessing, so a playlist (HLS) or a
  concat file behind an ID3 tag cannot make it open other files, and it may
  open nothing but the upload itself (``-protocol_whitelist file``).
* Caps: an upload larger than ``MAX_UPLOAD_BYTES`` or longer than
  ``MAX_SECONDS`` is refused, not truncated (a half-heard question would get a
  wrong answer).
* ``prepare_for_recognition`` evens out the level, puts a short quiet lead-in
  before the speech, and adds a faint noise floor:
  browsers' noise suppression and synthetic test voices leave stretches of
  digital silence, which pocketsphinx's features handle badly (measured: word
  error rate 0.61 without, 0.16 with: bench/recogniser_settings.py).

Every problem is an :class:`AudioProblem` with a status a client can act on.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import shutil
import struct
import tempfile
import wave
from dataclasses import dataclass

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # 15 s of 48 kHz stereo 24-bit WAV is 4.3 MB
MAX_SECONDS = 15.0  # one question or command; a longer recording is refused
# the sample rates a WAV header is believed for (telephone-band recorders to
# studio gear); outside them the header lies
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384_000
# every common rate is a multiple of this; any other rate is resampled as its
# nearest multiple (at most 0.3 % off in pitch), which keeps the polyphase
# filter small: its length grows with the rate's ratio to 16 kHz in lowest terms
RATE_STEP = 25
FFMPEG_TIMEOUT_SECONDS = 15.0
FFMPEG_MAX_ALLOC = 64 * 1024 * 1024  # no single allocation larger (a lying header's)
# the demuxer ffmpeg must use for each sniffed container: never its own guess,
# which follows the bytes after an ID3 tag to the HLS and concat demuxers
FFMPEG_DEMUXERS = {
    "wav": "wav",
    "ogg": "ogg",
    "webm": "matroska",
    "flac": "flac",
    "mp4": "mov",
    "mp3": "mp3",
}
FRAME_SECONDS = 0.03
SILENCE_RMS = 60  # loudest 30 ms frame below this (about -55 dBFS): nothing was said
TARGET_SPEECH_RMS = 3000.0  # loud frames are brought to about this level...
MAX_GAIN = 30.0  # ...with at most this much gain (so noise is not blown up)
NOISE_FLOOR_RATIO = 1 / 25  # comfort noise about 28 dB below speech
# quiet put before the recording: pocketsphinx misreads a word said in the very
# first frames (espeak-ng's "stop" heard as "tell"), and recordings that start
# at the voice's onset (barge-in, clients that trim silence) do exactly that
LEAD_IN_SECONDS = 0.25

# statuses (also in the voice channel's JSON)
UNSUPPORTED_TYPE = "unsupported_type"
UNREADABLE = "unreadable_audio"
TOO_LARGE = "too_large"
TOO_LONG = "too_long"
NO_SPEECH = "no_speech"


class AudioProblem(Exception):
    """The recording cannot be used; ``status`` says why."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Pcm:
    """16 kHz mono signed 16-bit little-endian samples."""

    samples: bytes

    @property
    def seconds(self) -> float:
        return len(self.samples) / (SAMPLE_RATE * SAMPLE_WIDTH)


# declared types we accept; the bytes decide what the file really is
ACCEPTED_TYPE_PREFIXES = ("audio/", "video/webm", "video/ogg", "video/mp4")
ACCEPTED_TYPES = {"", "application/octet-stream", "application/ogg"}


def acceptable_content_type(content_type: str | None) -> bool:
    """Whether a declared content type may hold audio."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind in ACCEPTED_TYPES or kind.startswith(ACCEPTED_TYPE_PREFIXES)


def sniff_format(data: bytes) -> str | None:
    """The container of ``data`` from its first bytes, or ``None``."""
    head = data[:16]
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def check_upload(data: bytes, content_type: str | None) -> str:
    """The format of an upload, or an :class:`AudioProblem`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise AudioProblem(TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    if not acceptable_content_type(content_type):
        raise AudioProblem(UNSUPPORTED_TYPE, f"{content_type!r} is not an audio type")
    if not data:
        raise AudioProblem(UNREADABLE, "the recording is empty")
    found = sniff_format(data)
    if found is None:
        raise AudioProblem(UNREADABLE, "the recording is not in a known audio format")
    return found


def _check_length(seconds: float) -> None:
    if seconds > MAX_SECONDS:
        raise AudioProblem(TOO_LONG, f"the recording is {seconds:.1f} s, over {MAX_SECONDS:g} s")


def wav_sample_rate(data: bytes) -> int | None:
    """The sample rate a WAV's ``fmt `` chunk declares, whatever its encoding
    (``None`` when there is none, or it is cut short before the rate)."""
    position = 12
    for _ in range(64):  # a real WAV has a handful of chunks before "fmt "
        if position + 8 > len(data):
            return None
        chunk, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        if chunk == b"fmt ":
            fmt = data[position + 8 : position + 8 + min(size, 16)]
            return int.from_bytes(fmt[4:8], "little") if len(fmt) >= 8 else None
        position += 8 + size + (size & 1)
    return None


def check_sample_rate(rate: int) -> None:
    """Refuses a sample rate no recording has (``unreadable_audio``)."""
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioProblem(
            UNREADABLE,
            f"the WAV header's sample rate ({rate} Hz) is not one of a recording "
            f"({MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz)",
        )


def resampling_ratio(rate: int) -> tuple[int, int]:
    """``(up, down)`` in lowest terms that take ``rate`` (as its nearest multiple
    of ``RATE_STEP``) to 16 kHz: at most 640 and 15360 within the believed rates."""
    nearest = max(RATE_STEP, round(rate / RATE_STEP) * RATE_STEP)
    divisor = math.gcd(nearest, SAMPLE_RATE)
    return SAMPLE_RATE // divisor, nearest // divisor


def decode_wav(data: bytes) -> Pcm:
    """PCM WAV -> :class:`Pcm`; float or compressed WAV raises ``wave.Error``."""
    import numpy as np
    from scipy.signal import resample_poly

    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.getnframes()
            if rate <= 0 or channels <= 0 or width not in (1, 2, 3, 4):
                raise AudioProblem(UNREADABLE, "the WAV header is invalid")
            check_sample_rate(rate)
            # a streamed WAV (espeak-ng --stdout, arecord, recorders writing to a
            # pipe) has a placeholder length in its header: the data decides
            raw = wav.readframes(min(frames, int(MAX_SECONDS * rate) + 1))
    except EOFError as exc:
        raise AudioProblem(UNREADABLE, "the WAV file is cut short") from exc
    except (RuntimeError, struct.error, OverflowError) as exc:
        # the wave module's own failures on chunks whose sizes lie (a seek
        # past a chunk's end is a RuntimeError): the file is damaged
        raise AudioProblem(UNREADABLE, "the WAV file's chunks are damaged") from exc
    usable = len(raw) // (width * channels) * (width * channels)
    if usable == 0:
        raise AudioProblem(UNREADABLE, "the WAV file holds no audio")
    raw = raw[:usable]
    _check_length(usable / (width * channels) / rate)
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) * 256.0
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32)
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        as_int = (
            bytes3[:, 0].astype(np.int32)
            | (bytes3[:, 1].astype(np.int32) << 8)
            | (bytes3[:, 2].astype(np.int32) << 16)
        )
        as_int = np.where(as_int >= 1 << 23, as_int - (1 << 24), as_int)
        samples = as_int.astype(np.float32) / 256.0
    else:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 65536.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    up, down = resampling_ratio(rate)
    if up != down and samples.size:
        samples = resample_poly(samples, up, down)
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
    return Pcm(pcm)


async def decode_with_ffmpeg(data: bytes, suffix: str) -> Pcm:
    """A recording in the container ``suffix`` (as sniffed: a key of
    ``FFMPEG_DEMUXERS``) -> :class:`Pcm`, by ffmpeg in a subprocess.

    The input goes through a temporary file, not a pipe: MP4 from Safari keeps
    its index at the end, which ffmpeg cannot reach in a pipe. ffmpeg is told
    the container (it does not guess), may open only that file, and may not
    make any one allocation over ``FFMPEG_MAX_ALLOC``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioProblem(UNREADABLE, "ffmpeg is not installed: only WAV can be read")
    demuxer = FFMPEG_DEMUXERS.get(suffix)
    if demuxer is None:
        raise AudioProblem(UNREADABLE, "the recording is not in a known audio format")
    fd, path = tempfile.mkstemp(prefix="psoas-voice-", suffix=f".{suffix}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        process = await asyncio.create_subprocess_exec(
            ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-max_alloc",
            str(FFMPEG_MAX_ALLOC),
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer,
            "-i",
            path,
            "-t",
            str(MAX_SECONDS + 1),
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            "-f",
            "s16le",
            "pipe:1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), FFMPEG_TIMEOUT_SECONDS)
        except asyncio.TimeoutError as exc:
            process.kill()
            await process.wait()
            raise AudioProblem(UNREADABLE, "decoding the recording took too long") from exc
    finally:
        os.unlink(path)
    if process.returncode != 0 or not out:
        reason = err.decode("utf-8", "replace").replace(path, "input").strip().splitlines()[-1:]
        reason = reason or ["no audio"]
        raise AudioProblem(UNREADABLE, f"the recording could not be decoded: {reason[0][:200]}")
    pcm = Pcm(out[: len(out) // 2 * 2])
    _check_length(pcm.seconds)
    return pcm


async def decode_upload(data: bytes, content_type: str | None = None) -> Pcm:
    """An uploaded recording -> :class:`Pcm` (or an :class:`AudioProblem`)."""
    found = check_upload(data, content_type)
    if found == "wav":
        rate = wav_sample_rate(data)
        if rate is not None:  # float and compressed WAV too, before ffmpeg reads them
            check_sample_rate(rate)
        try:
            return await asyncio.to_thread(decode_wav, data)
        except wave.Error:
            pass  # float or compressed WAV: ffmpeg reads those
        except (ValueError, MemoryError) as exc:
            raise AudioProblem(UNREADABLE, "the WAV data is damaged") from exc
    return await decode_with_ffmpeg(data, found)


def frame_levels(samples: bytes) -> list[float]:
    """RMS of each 30 ms frame."""
    import numpy as np

    audio = np.frombuffer(samples[: len(samples) // 2 * 2], dtype="<i2").astype(np.float32)
    frame = int(SAMPLE_RATE * FRAME_SECONDS)
    count = audio.size // frame
    if count == 0:
        return [float(np.sqrt(np.mean(audio**2)))] if audio.size else []
    frames = audio[: count * frame].reshape(count, frame)
    return [float(v) for v in np.sqrt(np.mean(frames**2, axis=1))]


def is_silent(pcm: Pcm) -> bool:
    """Nothing louder than a quiet room in the whole recording."""
    levels = frame_levels(pcm.samples)
    return not levels or max(levels) < SILENCE_RMS


def prepare_for_recognition(samples: bytes, seed: int = 0) -> bytes:
    """Level evened out, ``LEAD_IN_SECONDS`` of quiet put before, and a faint
    noise floor added (see the module's notes)."""
    import numpy as np

    audio = np.frombuffer(samples[: len(samples) // 2 * 2], dtype="<i2").astype(np.float32)
    if audio.size == 0:
        return b""
    levels = np.array(frame_levels(samples))
    loud = float(np.percentile(levels, 90)) if levels.size else 0.0
    gain = min(MAX_GAIN, TARGET_SPEECH_RMS / loud) if loud > 0 else 1.0
    audio = np.concatenate([np.zeros(int(SAMPLE_RATE * LEAD_IN_SECONDS), np.float32), audio * gain])
    noise = np.random.default_rng(seed).normal(
        0.0, TARGET_SPEECH_RMS * NOISE_FLOOR_RATIO, audio.size
    )
    return np.clip(np.round(audio + noise), -32768, 32767).astype("<i2").tobytes()


def voiced_seconds(samples: bytes) -> float:
    """Seconds of voiced audio in 16 kHz PCM (WebRTC's voice activity detector,
    as pocketsphinx carries it; a fresh one for each recording: it carries state
    from one frame to the next)."""
    from pocketsphinx import Vad

    vad = Vad(mode=Vad.MEDIUM_LOOSE, sample_rate=SAMPLE_RATE)
    size = vad.frame_bytes
    voiced = sum(
        1
        for start in range(0, len(samples) - size + 1, size)
        if vad.is_speech(samples[start : start + size])
    )
    return float(voiced * vad.frame_length)
