"""Canary files for the hostile-input run (integration tests): a secret written
outside the served folders, in files a traversal, a playlist or a concat file
would aim at. Seen in any response, or decoded as speech, a file was read."""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List

from coach.tools.speak import espeak_wav

CANARY_SPEECH = "how do I stretch my psoas"  # what a canary recording says


def with_secret(wav: bytes, secret: str) -> bytes:
    """``wav`` with ``secret`` in a LIST/INFO chunk: still a WAV (ffmpeg and the
    wave module read it), and served raw it shows the secret."""
    text = secret.encode() + b"\x00"
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(text)) + text
    body = wav[12:] + b"LIST" + struct.pack("<I", len(info)) + info
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body


@dataclass
class Canaries:
    """The secret and the files that hold it; ``remove`` takes them away."""

    secret: str
    paths: List[Path]

    def remove(self) -> None:
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def write_canaries(*folders: Path) -> Canaries:
    """In each folder: a text file, a script the widget route would serve, a
    WAV under a name the audio route would serve, and an MPEG-TS segment an
    HLS playlist would play; the recordings say ``CANARY_SPEECH``."""
    secret = f"psoas-canary-{uuid.uuid4().hex}"
    speech = with_secret(espeak_wav(CANARY_SPEECH), secret)
    tag = uuid.uuid4().hex[:8]
    paths: List[Path] = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        text, script = folder / f"hostile-canary-{tag}.txt", folder / f"hostile-canary-{tag}.js"
        text.write_text(secret + "\n", encoding="utf-8")
        script.write_text(f"// {secret}\n", encoding="utf-8")
        recording = folder / f"{uuid.uuid4().hex}{uuid.uuid4().hex}.wav"  # 64 hex digits
        recording.write_bytes(speech)
        paths += [text, script, recording]
        if shutil.which("ffmpeg"):
            segment = folder / f"hostile-canary-{tag}.ts"
            subprocess.run(
                [
                    *("ffmpeg", "-loglevel", "error", "-y", "-i", str(recording), "-c:a", "mp2"),
                    *("-metadata", f"title={secret}", "-f", "mpegts", str(segment)),
                ],
                check=True,
                timeout=60,
            )
            paths.append(segment)
    return Canaries(secret, paths)
