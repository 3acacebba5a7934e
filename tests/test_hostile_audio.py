"""Hostile uploads to the voice channel's decoder (coach/speech/asr/audio_input.py).

What the hostile-input run (``coach.tools.hostile``) found, each pinned here:

- a WAV header that lies about its sample rate made the resampling filter
  enormous: 50 MHz took 22 GB and the kernel killed the server, 1 MHz took
  4 s of CPU for 2 kB of upload;
- an upload that sniffs as MP3 (an ID3 tag) but holds an HLS playlist or an
  ffmpeg concat file made ffmpeg open the files it named: a local MPEG-TS file
  by absolute path, any media file next to the temporary upload by name;
- a WAV whose chunk sizes lie made the wave module raise ``RuntimeError``,
  which no one caught: a 500.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from coach.speech.asr import audio_input
from coach.speech.asr.audio_input import (
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    SAMPLE_RATE,
    UNREADABLE,
    AudioProblem,
    Pcm,
    decode_upload,
    decode_wav,
    decode_with_ffmpeg,
    resampling_ratio,
    wav_sample_rate,
)
from coach.tools.hostile.voice import id3, lying_wavs, wav
from tests.support.audio import samples_of

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def tone(rate: int, seconds: float = 0.5, freq: float = 440.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 10000).astype("<i2").tobytes()


# --- sample rates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate", [0, 1, 7, MIN_SAMPLE_RATE - 1, MAX_SAMPLE_RATE + 1, 1_000_003, 50_000_017, 0xFFFFFFFF]
)
def test_a_sample_rate_no_recording_has_is_refused_at_once(rate: int):
    with pytest.raises(AudioProblem) as refused:
        decode_wav(wav(rate=rate, data=bytes(2000)))
    assert refused.value.status == UNREADABLE


async def test_a_float_wav_with_a_lying_rate_never_reaches_ffmpeg(monkeypatch: pytest.MonkeyPatch):
    async def no_ffmpeg(data: bytes, suffix: str) -> Pcm:
        raise AssertionError("ffmpeg was asked to read it")

    monkeypatch.setattr(audio_input, "decode_with_ffmpeg", no_ffmpeg)
    for tag, bits in ((3, 32), (3, 64), (7, 8)):  # float, double, mu-law: ffmpeg's
        with pytest.raises(AudioProblem) as refused:
            await decode_upload(
                wav(rate=50_000_017, tag=tag, bits=bits, data=bytes(6400)), "audio/wav"
            )
        assert refused.value.status == UNREADABLE


@pytest.mark.parametrize("rate", [4001, 16001, 44101, 383_987, 22050, 44100, 48000, 8000, 11025])
def test_any_believed_rate_is_resampled_to_the_right_length_and_pitch(rate: int):
    pcm = decode_wav(wav(rate=rate, data=tone(rate)))
    assert pcm.seconds == pytest.approx(0.5, abs=0.01)
    audio = samples_of(pcm)
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    peak = np.argmax(spectrum) * SAMPLE_RATE / audio.size
    assert peak == pytest.approx(440, rel=0.01)


def test_the_resampling_filter_stays_small_for_every_believed_rate():
    rates = [
        *range(MIN_SAMPLE_RATE, MIN_SAMPLE_RATE + 2000),
        *range(MAX_SAMPLE_RATE - 2000, MAX_SAMPLE_RATE + 1),
    ]
    rates += random.Random(0).sample(range(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE), 5000)
    assert max(max(resampling_ratio(rate)) for rate in rates) <= 15360
    # the common rates are resampled exactly as before
    assert resampling_ratio(44100) == (160, 441) and resampling_ratio(48000) == (1, 3)
    assert resampling_ratio(SAMPLE_RATE) == (1, 1)


def test_the_declared_rate_is_found_after_other_chunks():
    plain = wav(rate=22050, data=bytes(100))
    listed = plain[:12] + b"LIST" + struct.pack("<I", 5) + b"INFOx\x00" + plain[12:]
    assert wav_sample_rate(plain) == wav_sample_rate(listed) == 22050
    assert wav_sample_rate(plain[:26]) is None  # cut before its rate
    assert wav_sample_rate(b"RIFF\x00\x00\x00\x00WAVE" + b"junk\xff\xff\xff\xff" * 3) is None


# --- damaged chunks -----------------------------------------------------------------------------


def test_a_chunk_longer_than_the_file_says_is_unreadable_not_an_error():
    # the RIFF size says 20 bytes; a chunk inside claims 1000: the wave module's
    # seek past its end raised RuntimeError (a 500 from the voice channel)
    body = b"WAVE" + b"LIST" + struct.pack("<I", 1000) + bytes(8)
    data = b"RIFF" + struct.pack("<I", 20) + body + wav(data=bytes(100))[12:]
    with pytest.raises(AudioProblem) as refused:
        decode_wav(data)
    assert refused.value.status == UNREADABLE


async def test_mutated_wav_headers_are_decoded_or_refused_never_an_error(
    monkeypatch: pytest.MonkeyPatch,
):
    async def refuse(data: bytes, suffix: str) -> Pcm:  # what ffmpeg does is pinned below
        raise AudioProblem(UNREADABLE, "not decoded here")

    monkeypatch.setattr(audio_input, "decode_with_ffmpeg", refuse)
    rng = random.Random(7)
    bases = [*lying_wavs(rng), wav(data=bytes(3200)), wav(rate=44100, channels=2, data=bytes(4000))]
    for _ in range(400):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 80))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data) + 1)]
        with contextlib.suppress(AudioProblem):  # anything else fails the test
            await decode_upload(bytes(data), "audio/wav")


# --- ffmpeg reads the upload and nothing else --------------------------------------------------


@pytest.fixture
def beside_the_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder where uploads go while ffmpeg reads them, with media files in it
    (as other uploads or anything in /tmp would be)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    speech = tone(16000, 1.0)
    (tmp_path / "other.wav").write_bytes(wav(data=speech))
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            str(tmp_path / "other.wav"),
            "-c:a",
            "mp2",
            "-f",
            "mpegts",
            str(tmp_path / "segment.ts"),
        ],
        check=True,
        timeout=30,
    )
    return tmp_path


def playlist(path: Path) -> bytes:
    return (
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{path}\n#EXT-X-ENDLIST\n".encode()
    )


def concat(name: str) -> bytes:
    return f"ffconcat version 1.0\nfile '{name}'\n".encode()


@needs_ffmpeg
@pytest.mark.parametrize(
    "upload",
    [
        lambda folder: id3(playlist(folder / "segment.ts")),  # decoded the file before
        lambda folder: id3(concat("other.wav")),  # decoded the file next to the upload before
        lambda folder: id3(concat(str(folder / "other.wav"))),
        lambda folder: id3(b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://127.0.0.1:9/x.m3u8\n"),
    ],
    ids=["hls-absolute", "concat-relative", "concat-absolute", "hls-http"],
)
async def test_a_playlist_or_concat_file_behind_an_id3_tag_opens_nothing(
    beside_the_upload: Path, upload
):
    with pytest.raises(AudioProblem) as refused:
        await decode_upload(upload(beside_the_upload), "audio/mpeg")
    assert refused.value.status == UNREADABLE
    assert str(beside_the_upload) not in refused.value.detail


@needs_ffmpeg
async def test_ffmpeg_reads_only_the_container_the_bytes_were_sniffed_as(beside_the_upload: Path):
    mp3 = subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            str(beside_the_upload / "other.wav"),
            "-f",
            "mp3",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    assert (await decode_with_ffmpeg(mp3, "mp3")).seconds == pytest.approx(1.0, abs=0.1)
    with pytest.raises(AudioProblem):  # the same bytes said to be FLAC: not guessed
        await decode_with_ffmpeg(mp3, "flac")
    with pytest.raises(AudioProblem):
        await decode_with_ffmpeg(mp3, "hls")
