"""Recordings in, 16 kHz mono 16-bit PCM out (coach/speech/asr/audio_input.py).

WAV is decoded in Python at any rate, width and channel count; everything else
(float WAV, WebM/OGG with Opus, MP3, FLAC, MP4) goes through ffmpeg. Test files
are made at test time (numpy for WAV, ffmpeg for the rest): nothing is stored.
Silence and levels: tests/test_audio_level.py.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from coach.speech.asr import audio_input
from coach.speech.asr.audio_input import (
    MAX_SECONDS,
    MAX_UPLOAD_BYTES,
    NO_SPEECH,
    SAMPLE_RATE,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    UNSUPPORTED_TYPE,
    AudioProblem,
    Pcm,
    acceptable_content_type,
    check_upload,
    decode_upload,
    decode_wav,
    decode_with_ffmpeg,
    is_silent,
    sniff_format,
)
from tests.support.audio import rms, samples_of

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")


# --- making recordings ---------------------------------------------------------


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    """A sine in [-1, 1]."""
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def wav_bytes(signal: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> bytes:
    """``signal`` (floats in [-1, 1], shape (n,) or (n, channels)) as a PCM WAV."""
    if signal.ndim == 1:
        signal = np.repeat(signal[:, None], channels, axis=1)
    assert signal.shape[1] == channels
    flat = signal.reshape(-1)
    if width == 1:
        raw = np.clip(np.round(flat * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    elif width == 2:
        raw = np.clip(np.round(flat * 32767), -32768, 32767).astype("<i2").tobytes()
    elif width == 3:
        ints = np.clip(np.round(flat * 8388607), -8388608, 8388607).astype("<i4")
        raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raw = np.clip(np.round(flat * 2147483647), -2147483648, 2147483647).astype("<i4").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)
    return buffer.getvalue()


def peak_hz(pcm: Pcm) -> float:
    """The strongest frequency of a recording (FFT, Hann window)."""
    audio = samples_of(pcm)
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.fft.rfftfreq(audio.size, 1 / SAMPLE_RATE)[int(np.argmax(spectrum))])


def ffmpeg_encode(tmp_path: Path, wav: bytes, suffix: str, *codec: str) -> bytes:
    """``wav`` re-encoded by ffmpeg into ``suffix`` with the given codec options."""
    source = tmp_path / "source.wav"
    source.write_bytes(wav)
    target = tmp_path / f"encoded.{suffix}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(source), *codec, str(target)],
        check=True,
        timeout=60,
    )
    return target.read_bytes()


def problem_of(call: Callable[[], object]) -> str:
    with pytest.raises(AudioProblem) as raised:
        call()
    return raised.value.status


async def async_problem_of(data: bytes, content_type: str | None = "audio/wav") -> str:
    with pytest.raises(AudioProblem) as raised:
        await decode_upload(data, content_type)
    return raised.value.status


# --- WAV decoding ---------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_rate_becomes_16k_mono_of_the_same_length_and_pitch(rate: int):
    pcm = decode_wav(wav_bytes(sine(440, 1.0, rate), rate))
    assert len(pcm.samples) % 2 == 0
    assert abs(len(pcm.samples) // 2 - SAMPLE_RATE) <= 1
    assert pcm.seconds == pytest.approx(1.0, abs=1e-3)
    # the band-limited resampler keeps the tone where it was, and its level
    assert peak_hz(pcm) == pytest.approx(440, abs=2)
    middle = samples_of(pcm)[1600:-1600]
    assert rms(middle) == pytest.approx(0.5 * 32767 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_a_high_tone_survives_resampling(rate: int):
    # 3 kHz: under the 4 kHz limit of an 8 kHz source and the 8 kHz limit of the output
    assert peak_hz(decode_wav(wav_bytes(sine(3000, 0.5, rate), rate))) == pytest.approx(3000, abs=4)


def test_frequencies_above_8khz_are_filtered_not_folded_back():
    # a 12 kHz tone at 48 kHz cannot exist at 16 kHz: the filter removes it
    # instead of aliasing it to 4 kHz
    pcm = decode_wav(wav_bytes(sine(12000, 0.5, 48000), 48000))
    assert rms(samples_of(pcm)[800:-800]) < 0.01 * 32767


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_every_pcm_width_decodes_at_the_right_level(width: int):
    pcm = decode_wav(wav_bytes(sine(440, 0.5, 16000), 16000, width=width))
    assert pcm.seconds == pytest.approx(0.5, abs=1e-3)
    assert peak_hz(pcm) == pytest.approx(440, abs=3)
    tolerance = 0.02 if width == 1 else 0.002  # 8-bit is coarse
    assert rms(samples_of(pcm)) == pytest.approx(0.5 * 32767 / np.sqrt(2), rel=tolerance)


@pytest.mark.parametrize(("width", "rate"), [(3, 48000), (4, 44100), (1, 8000)])
def test_wide_and_narrow_samples_at_other_rates(width: int, rate: int):
    pcm = decode_wav(wav_bytes(sine(440, 1.0, rate), rate, width=width))
    assert pcm.seconds == pytest.approx(1.0, abs=1e-3)
    assert peak_hz(pcm) == pytest.approx(440, abs=2)


def test_negative_24_bit_samples_keep_their_sign():
    signal = np.array([-0.5, 0.5, -1.0, 0.25])
    pcm = decode_wav(wav_bytes(signal, 16000, width=3))
    assert list(samples_of(pcm)) == pytest.approx([-16384, 16384, -32768, 8192], abs=1)


def test_stereo_is_mixed_down_to_mono():
    left = sine(440, 1.0, 44100)
    both = decode_wav(wav_bytes(np.stack([left, left], axis=1), 44100, channels=2))
    assert both.seconds == pytest.approx(1.0, abs=1e-3)
    assert peak_hz(both) == pytest.approx(440, abs=2)
    # one silent channel: the mix is the average, half as loud
    one = decode_wav(wav_bytes(np.stack([left, 0 * left], axis=1), 44100, channels=2))
    assert rms(samples_of(one)[800:-800]) == pytest.approx(
        rms(samples_of(both)[800:-800]) / 2, rel=0.02
    )
    # six channels (a 5.1 file) work too
    surround = decode_wav(wav_bytes(sine(440, 0.5, 48000), 48000, channels=6))
    assert surround.seconds == pytest.approx(0.5, abs=1e-3)


def test_a_streamed_wav_header_does_not_decide_the_length():
    # espeak-ng --stdout, arecord and other recorders writing to a pipe put a
    # placeholder (about 0x7fffffff bytes) where the length goes
    data = bytearray(wav_bytes(sine(440, 1.0, 22050), 22050))
    data[4:8] = (0x7FFFFFFF).to_bytes(4, "little")
    data[40:44] = (0x7FFFF000).to_bytes(4, "little")
    assert decode_wav(bytes(data)).seconds == pytest.approx(1.0, abs=1e-3)


@needs_espeak
def test_espeak_output_decodes():
    speech = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", "stop"], capture_output=True, check=True
    ).stdout
    pcm = decode_wav(speech)
    assert 0.3 < pcm.seconds < 1.5
    assert not is_silent(pcm)


# --- everything else: ffmpeg ------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize(
    ("suffix", "codec", "container"),
    [
        ("wav", ["-c:a", "pcm_f32le"], "wav"),  # float WAV: the wave module refuses it
        ("webm", ["-c:a", "libopus", "-b:a", "48k"], "webm"),  # Chrome, Firefox
        ("ogg", ["-c:a", "libopus", "-b:a", "48k"], "ogg"),  # Firefox
        ("mp3", ["-c:a", "libmp3lame", "-b:a", "96k"], "mp3"),
        ("flac", ["-c:a", "flac"], "flac"),
        ("m4a", ["-c:a", "aac", "-b:a", "96k"], "mp4"),  # Safari
    ],
)
async def test_compressed_recordings_go_through_ffmpeg(
    tmp_path: Path, suffix: str, codec: list[str], container: str
):
    encoded = ffmpeg_encode(tmp_path, wav_bytes(sine(440, 1.0, 48000), 48000), suffix, *codec)
    assert sniff_format(encoded) == container
    pcm = await decode_upload(encoded, f"audio/{suffix}")
    # encoders add a little padding (Opus 6.5 ms, MP3 and AAC a frame or two)
    assert pcm.seconds == pytest.approx(1.0, abs=0.06)
    assert peak_hz(pcm) == pytest.approx(440, abs=3)


@needs_ffmpeg
async def test_stereo_opus_comes_out_mono(tmp_path: Path):
    stereo = np.stack([sine(440, 1.0, 48000), sine(440, 1.0, 48000)], axis=1)
    encoded = ffmpeg_encode(
        tmp_path, wav_bytes(stereo, 48000, channels=2), "webm", "-c:a", "libopus"
    )
    pcm = await decode_upload(encoded, "audio/webm;codecs=opus")
    assert pcm.seconds == pytest.approx(1.0, abs=0.06)


@needs_ffmpeg
async def test_a_long_compressed_recording_is_too_long(tmp_path: Path):
    long = wav_bytes(sine(440, MAX_SECONDS + 3, 16000, amplitude=0.1), 16000)
    encoded = ffmpeg_encode(tmp_path, long, "ogg", "-c:a", "libopus", "-b:a", "16k")
    assert len(encoded) < MAX_UPLOAD_BYTES
    assert await async_problem_of(encoded, "audio/ogg") == TOO_LONG


@needs_ffmpeg
async def test_a_compressed_recording_just_under_the_cap_is_kept_whole(tmp_path: Path):
    under = wav_bytes(sine(440, MAX_SECONDS - 1, 16000, amplitude=0.1), 16000)
    encoded = ffmpeg_encode(tmp_path, under, "mp3", "-c:a", "libmp3lame")
    pcm = await decode_upload(encoded, "audio/mpeg")
    assert pcm.seconds == pytest.approx(MAX_SECONDS - 1, abs=0.1)


@needs_ffmpeg
async def test_ffmpeg_errors_do_not_leak_server_paths():
    with pytest.raises(AudioProblem) as raised:
        await decode_with_ffmpeg(b"OggS" + os.urandom(3000), "ogg")
    assert raised.value.status == UNREADABLE
    assert "/tmp" not in raised.value.detail and "psoas-voice" not in raised.value.detail


@needs_ffmpeg
async def test_the_temporary_file_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(audio_input.tempfile, "tempdir", None)  # re-read TMPDIR
    encoded = ffmpeg_encode(tmp_path, wav_bytes(sine(440, 0.5, 16000), 16000), "ogg")
    before = set(tmp_path.iterdir())
    await decode_upload(encoded, "audio/ogg")
    with pytest.raises(AudioProblem):
        await decode_upload(b"OggS" + os.urandom(100), "audio/ogg")
    assert set(tmp_path.iterdir()) == before


async def test_without_ffmpeg_only_wav_is_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(audio_input.shutil, "which", lambda name: None)
    assert (await decode_upload(wav_bytes(sine(440, 0.2, 16000), 16000))).seconds > 0
    assert await async_problem_of(b"OggS" + bytes(100), "audio/ogg") == UNREADABLE


# --- what is refused, and why -------------------------------------------------------


def sixteen_bit_wav(seconds: float = 0.5) -> bytes:
    return wav_bytes(sine(440, seconds, 16000), 16000)


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4000),  # noise bytes
        b"<!DOCTYPE html><html><body>Not found</body></html>",
        b'{"sender": "me", "message": "hello"}',
        b"\x00" * 4000,
        b"ID3",  # an MP3 tag and nothing else
        b"OggS" + os.urandom(4000),  # a container's magic, then garbage
        b"\x1a\x45\xdf\xa3" + os.urandom(4000),
        b"RIFF\x00\x00\x00\x00WAVE",  # a WAV with no chunks
        b"",
    ],
    ids=["random", "html", "json", "zeros", "id3", "ogg", "webm", "riff", "empty"],
)
async def test_corrupt_or_non_audio_data_is_unreadable(data: bytes):
    assert await async_problem_of(data, "audio/wav") == UNREADABLE
    assert await async_problem_of(data, None) == UNREADABLE


@pytest.mark.parametrize("cut", [12, 30, 40, 44])
async def test_a_wav_cut_short_in_its_header_is_unreadable(cut: int):
    # 44 bytes: the whole header and not one sample
    assert await async_problem_of(sixteen_bit_wav()[:cut]) == UNREADABLE


async def test_a_wav_cut_short_in_its_samples_keeps_what_arrived():
    whole = sixteen_bit_wav(1.0)
    half = await decode_upload(whole[: 44 + 16000 + 1], "audio/wav")  # odd: half a sample
    assert half.seconds == pytest.approx(0.5, abs=1e-3)


def test_a_wav_with_an_impossible_header_is_unreadable():
    data = bytearray(sixteen_bit_wav())
    data[22:24] = (0).to_bytes(2, "little")  # no channels
    with pytest.raises((AudioProblem, wave.Error)):
        decode_wav(bytes(data))


async def test_a_wav_with_an_impossible_header_is_unreadable_through_the_upload():
    data = bytearray(sixteen_bit_wav())
    data[22:24] = (0).to_bytes(2, "little")
    assert await async_problem_of(bytes(data)) == UNREADABLE


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "application/json", "image/png", "text/plain; charset=utf-8", "video/x-msvideo"],
)
def test_non_audio_types_are_unsupported(content_type: str):
    assert not acceptable_content_type(content_type)
    assert problem_of(lambda: check_upload(sixteen_bit_wav(), content_type)) == UNSUPPORTED_TYPE


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "audio/wav",
        "audio/x-wav",
        "AUDIO/WAV",
        "audio/webm;codecs=opus",
        "video/webm",  # Chrome's MediaRecorder, audio only, says video/webm
        "audio/ogg; codecs=opus",
        "application/ogg",
        "audio/mp4",
        "video/mp4",
        "audio/mpeg",
        "application/octet-stream",
    ],
)
def test_audio_types_are_accepted(content_type: str | None):
    assert acceptable_content_type(content_type)
    assert check_upload(sixteen_bit_wav(), content_type) == "wav"


def test_the_bytes_decide_the_format_not_the_declared_type():
    assert check_upload(sixteen_bit_wav(), "audio/webm") == "wav"
    assert sniff_format(b"fLaC" + bytes(20)) == "flac"
    assert sniff_format(bytes(4) + b"ftypM4A " + bytes(8)) == "mp4"
    assert sniff_format(b"\xff\xfb\x90\x00" + bytes(20)) == "mp3"
    assert sniff_format(b"\xff") is None
    assert sniff_format(b"") is None


def test_an_oversized_upload_is_too_large_whatever_its_type():
    big = bytes(MAX_UPLOAD_BYTES + 1)
    assert problem_of(lambda: check_upload(big, "audio/wav")) == TOO_LARGE
    assert problem_of(lambda: check_upload(big, "text/html")) == TOO_LARGE
    assert check_upload(b"RIFF" + bytes(4) + b"WAVE", "audio/wav") == "wav"


async def test_an_oversized_upload_is_refused_before_decoding():
    assert await async_problem_of(b"RIFF" + bytes(MAX_UPLOAD_BYTES)) == TOO_LARGE


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_a_recording_over_the_length_cap_is_too_long(rate: int):
    long = wav_bytes(sine(440, MAX_SECONDS + 0.5, rate, amplitude=0.1), rate)
    assert len(long) < MAX_UPLOAD_BYTES
    assert problem_of(lambda: decode_wav(long)) == TOO_LONG


def test_a_recording_at_the_length_cap_is_kept():
    at_cap = wav_bytes(sine(440, MAX_SECONDS, 8000, amplitude=0.1), 8000)
    assert decode_wav(at_cap).seconds == pytest.approx(MAX_SECONDS, abs=1e-3)


def test_statuses_are_the_ones_the_channel_knows():
    from channels.voice import HTTP_STATUS

    for status in (UNSUPPORTED_TYPE, UNREADABLE, TOO_LARGE, TOO_LONG, NO_SPEECH):
        assert status in HTTP_STATUS
    problem = AudioProblem(TOO_LONG, "too long")
    assert (problem.status, problem.detail, str(problem)) == (TOO_LONG, "too long", "too long")
