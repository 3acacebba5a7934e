"""Hostile requests to the voice channel: ``POST /webhooks/voice/webhook``.

No audio, empty and random files, headerless PCM, WAV headers that lie (sizes,
sample rates, channels, bit depths, a data chunk longer than the file),
truncated WAVs, files over the cap (multipart, raw, chunked), other
containers with garbage inside, HLS playlists and ffmpeg concat files that
point at local files (plain, and behind an ID3 tag, which ffmpeg skips before
it guesses the format), subtitles and text pretending to be audio, wrong
``mode`` values, forged ``sender`` values, and the raw-body form with every
kind of query string.

Most audio here is silent or a fraction of a second long, so a run does not
queue up speech recognition.
"""

from __future__ import annotations

import random
import struct
from typing import Any, Callable, List, Sequence, Tuple

from coach.tools.hostile.payloads import PASSWD, VOICE, WRONG_TYPES, sender
from coach.tools.hostile.wire import Headers, HttpProbe, multipart

PATH = b"/webhooks/voice/webhook"
MB = 1024 * 1024
OVER_CAP = 9 * MB  # the channel's cap is 8 MB


def wav(
    rate: int = 16000,
    channels: int = 1,
    bits: int = 16,
    data: bytes = b"",
    *,
    tag: int = 1,
    data_size: int | None = None,
    riff_size: int | None = None,
    fmt_size: int = 16,
    block_align: int | None = None,
) -> bytes:
    """A WAV whose header says what it is told to, true or not."""
    align = block_align if block_align is not None else channels * bits // 8
    fmt = struct.pack(
        "<HHIIHH",
        tag,
        channels & 0xFFFF,
        rate,
        (rate * max(align, 1)) & 0xFFFFFFFF,
        align & 0xFFFF,
        bits,
    )[:fmt_size]
    declared = len(data) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt
    body += b"data" + struct.pack("<I", declared & 0xFFFFFFFF) + data
    size = len(body) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", size & 0xFFFFFFFF) + body


def id3(content: bytes) -> bytes:
    """``content`` behind an empty ID3v2 tag: the upload sniffs as MP3, and ffmpeg
    skips the tag before it guesses the format from what follows."""
    return b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + content


def playlists(paths: Sequence[str]) -> List[Tuple[str, bytes]]:
    """HLS playlists and concat files naming ``paths`` (and /etc/passwd)."""
    out: List[Tuple[str, bytes]] = []
    for path in (PASSWD, *paths):
        hls = (
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXTINF:10,\nfile://{path}\n#EXTINF:10,\n{path}\n#EXT-X-ENDLIST\n"
        ).encode()
        concat = f"ffconcat version 1.0\nfile '{path}'\n".encode()
        name = path.rsplit("/", 1)[-1]
        relative = f"ffconcat version 1.0\nfile '{name}'\nfile '../{name}'\n".encode()
        out += [("hls_playlist", hls), ("hls_playlist", id3(hls))]
        out += [
            ("concat_file", concat),
            ("concat_file", id3(concat)),
            ("concat_file", id3(relative)),
        ]
    nested = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nfile:///proc/self/environ\n"
    out += [
        ("hls_playlist", id3(nested)),
        ("hls_playlist", id3(b"#EXTM3U\n" + b"#EXTINF:1,\nx\n" * 5000)),
    ]
    return out


SUBTITLES = (
    b"1\n00:00:00,000 --> 00:00:02,000\nhow do I stretch my psoas\n",
    b"WEBVTT\n\n00:00.000 --> 00:02.000\npsoas\n",
    b"[Script Info]\nScriptType: v4.00+\n[Events]\n"
    b"Dialogue: 0,0:00:00.00,0:00:02.00,Default,,0,0,0,,hi\n",
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><tt>&e;</tt>",
    b"{\\rtf1 psoas}",
)


def lying_wavs(rng: random.Random) -> List[bytes]:
    quiet = bytes(3200)
    return [
        wav(rate=0, data=quiet),
        wav(rate=1, data=quiet),
        wav(rate=7, data=bytes(20)),
        wav(rate=0xFFFFFFFF, data=quiet),
        wav(rate=50_000_017, data=bytes(2000)),
        wav(rate=10_000_019, data=bytes(2000)),
        wav(rate=1_000_003, data=bytes(2000)),
        wav(rate=383_987, data=quiet),
        wav(rate=16001, data=quiet),
        wav(channels=0, data=quiet),
        wav(channels=65535, data=quiet),
        wav(channels=65535, data=bytes(262_140)),
        wav(bits=0, data=quiet),
        wav(bits=7, data=quiet),
        wav(bits=64, data=quiet),
        wav(bits=65535, data=quiet),
        wav(data=quiet, block_align=0),
        wav(data=quiet, data_size=0xFFFFFFFF),
        wav(data=quiet, data_size=0),
        wav(data=quiet, riff_size=0),
        wav(data=quiet, riff_size=4),
        wav(data=quiet, fmt_size=8),
        wav(data=quiet, fmt_size=0),
        wav(tag=3, bits=32, data=bytes(6400)),
        wav(tag=3, bits=64, rate=0xFFFFFFFF, data=bytes(6400)),
        wav(tag=3, bits=32, rate=1_000_003, data=bytes(6400)),
        wav(tag=0xFFFE, data=quiet),
        wav(tag=0x55, data=quiet),
        wav(tag=7, bits=8, data=quiet),
        wav(tag=7, bits=8, rate=0xFFFFFFFF, data=quiet),
        wav(rate=44100, channels=2, bits=24, data=rng.randbytes(2400)),
        wav(rate=8000, data=rng.randbytes(800)),
    ]


def form(
    rng: random.Random,
    audio: bytes | None,
    *,
    mode: str | None = "question",
    who: str | None = None,
    content_type: str | None = "audio/wav",
    filename: str | None = "recording.wav",
) -> Tuple[Headers, bytes]:
    parts: List[Tuple[str, str | None, str | None, bytes]] = [
        (
            "sender",
            None,
            None,
            (who if who is not None else sender(rng, "voice")).encode("utf-8", "surrogatepass"),
        )
    ]
    if mode is not None:
        parts.append(("mode", None, None, mode.encode("utf-8", "surrogatepass")))
    if audio is not None:
        parts.append(("audio", filename, content_type, audio))
    return multipart(parts)


def upload(kind: str, rng: random.Random, audio: bytes | None, **options: Any) -> HttpProbe:
    references = options.pop("references_files", False)
    headers, body = form(rng, audio, **options)
    return HttpProbe(VOICE, kind, "POST", PATH, headers, body, references_files=references)


def raw(
    kind: str,
    body: bytes | Callable[[], bytes],
    query: bytes = b"",
    content_type: str | None = "audio/wav",
    **options: Any,
) -> HttpProbe:
    headers: Headers = (("Content-Type", content_type),) if content_type is not None else ()
    return HttpProbe(VOICE, kind, "POST", PATH + query, headers, body, **options)


def fixed(rng: random.Random, paths: Sequence[str]) -> List[HttpProbe]:
    """Every kind of voice probe, each at least once."""
    out = [upload("no_audio", rng, None), upload("no_audio", rng, None, mode=None, who="")]
    out.append(
        HttpProbe(
            VOICE,
            "no_audio",
            "POST",
            PATH,
            (("Content-Type", "multipart/form-data; boundary=x"),),
            b"--x--\r\n",
        )
    )
    out += [upload("empty_file", rng, b""), raw("empty_file", b"", b"?sender=empty")]
    out += [upload("random_bytes", rng, rng.randbytes(size)) for size in (1, 3, 44, 1000, 64_000)]
    out += [
        upload("headerless_pcm", rng, bytes(32000)),
        upload("headerless_pcm", rng, rng.randbytes(3200)),
    ]
    out += [upload("lying_wav", rng, data) for data in lying_wavs(rng)]
    whole = wav(data=rng.randbytes(1600))
    out += [upload("truncated_wav", rng, whole[:cut]) for cut in (4, 12, 20, 30, 36, 43, 44, 45)]
    out += [
        _huge_form(),
        raw("huge_file", lambda: wav(data=bytes(OVER_CAP)), b"?sender=huge"),
        raw("huge_file", lambda: wav(data=bytes(OVER_CAP)), b"?sender=huge-chunked", chunked=True),
        raw("huge_file", lambda: wav(data=bytes(7 * MB)), b"?sender=big-silence"),
    ]
    listed = playlists(paths)
    out += [upload(kind, rng, data, references_files=True) for kind, data in listed]
    for kind, data in listed[:6]:  # the raw-body form too
        query = b"?sender=" + sender(rng, "voice-raw").encode()
        out.append(raw(kind, data, query, "audio/mpeg", references_files=True))
    for container in (
        b"OggS",
        b"\x1a\x45\xdf\xa3",
        b"fLaC",
        b"\x00\x00\x00\x18ftypmp42",
        b"\xff\xfb",
    ):
        out.append(upload("garbage_container", rng, container + rng.randbytes(4000)))
    out += [upload("text_as_audio", rng, text) for text in SUBTITLES]
    out += [upload("text_as_audio", rng, id3(text)) for text in SUBTITLES]
    out.append(
        upload(
            "text_as_audio",
            rng,
            b'{"sender": "x", "message": "hi"}',
            content_type="application/json",
        )
    )
    out.append(upload("text_as_audio", rng, b"<html></html>", content_type="text/html"))
    for mode in (
        "",
        "QUESTION",
        "hands-free",
        "barge_in\x00",
        "x" * 10_000,
        "\u202equestion",
        "../../etc",
        "null",
        "[]",
    ):
        out.append(upload("wrong_mode", rng, wav(data=bytes(3200)), mode=mode))
    for who in (
        "x" * 100_000,
        "a\x00b",
        "../../etc/passwd",
        "default",
        "\u202e\u200b",
        "   ",
        "0",
        "\udcff",
    ):
        out.append(upload("forged_sender", rng, wav(data=bytes(3200)), who=who))
    for query in (
        b"?sender=q&mode=question",
        b"?sender=%00&mode=%ff%fe",
        b"?sender=a&sender=b&mode=hands_free&mode=barge_in",
        b"?sender=" + b"s" * 6000,
        b"?mode=../../etc&sender=%2e%2e%2f",
        b"?%%%=&&&==",
        b"?sender[]=x&mode[$ne]=1",
    ):
        out.append(raw("query_string", wav(data=bytes(3200)), query))
    for declared in (
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "image/png",
        None,
        "audio/wav; charset=\x01",
    ):
        out.append(raw("content_type", wav(data=bytes(3200)), b"?sender=ct", declared))
    out.append(raw("content_type", b"--x\r\ngarbage", b"", "multipart/form-data; boundary=x"))
    out.append(raw("content_type", b"garbage", b"", "multipart/form-data"))
    for method in ("GET", "PUT", "DELETE"):
        out.append(HttpProbe(VOICE, "other_methods", method, PATH))
    return out


def _huge_form() -> HttpProbe:
    """A multipart upload over the cap (its body made only when sent)."""

    def body() -> bytes:
        audio = ("audio", "big.wav", "audio/wav", wav(data=bytes(OVER_CAP)))
        return multipart([("sender", None, None, b"huge-form"), audio])[1]

    return HttpProbe(VOICE, "huge_file", "POST", PATH, multipart([])[0], body)


def extra(rng: random.Random, paths: Sequence[str]) -> HttpProbe:
    """One more voice probe, varied by ``rng``."""
    shape = rng.randrange(4)
    if shape == 0:
        flipped = bytearray(rng.choice(lying_wavs(rng)))
        for _ in range(rng.randint(1, 6)):  # header bytes flipped
            flipped[rng.randrange(min(len(flipped), 44))] = rng.randrange(256)
        return upload("lying_wav", rng, bytes(flipped))
    if shape == 1:
        kind, listed = rng.choice(playlists(paths))
        return upload(kind, rng, listed, references_files=True)
    if shape == 2:
        wrong = rng.choice(WRONG_TYPES)
        return upload("wrong_mode", rng, wav(data=bytes(1600)), mode=str(wrong))
    return upload("random_bytes", rng, rng.randbytes(rng.randint(1, 20_000)))
