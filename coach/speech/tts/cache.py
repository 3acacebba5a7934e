"""The on-disk audio cache: content-addressed files, written atomically, served safely.

Every cue is kept under ``<sha256 of engine, voice and text>.<ext>``, so a
change of engine or voice never serves stale audio, and a cue cached by any
engine of a chain is found before anything is synthesized anew. The folder is
created on the first write. ``resolve_audio_file`` is the one check the HTTP
route uses before serving a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from coach.speech.tts.base import MEDIA_TYPES, SpeechError, SpeechSynthesizer

AUDIO_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(mp3|wav)")


@dataclass(frozen=True)
class CachedAudio:
    """A cue on disk: where it is, its file name, how to serve it, and who spoke it."""

    path: Path
    name: str
    media_type: str
    engine: str
    hit: bool


class AudioCache:
    """Audio files named ``<sha256 of engine, voice and text>.<ext>`` under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key(synth: SpeechSynthesizer, text: str) -> str:
        """The cache key of this text spoken by this (concrete) engine."""
        material = json.dumps([synth.engine, synth.voice_key(), text], ensure_ascii=False)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def lookup(self, synth: SpeechSynthesizer, text: str) -> CachedAudio | None:
        """The cached cue from the first engine in the chain that has one; never synthesizes."""
        for engine in synth.candidates():
            key = self.key(engine, text)
            for extension, media_type in MEDIA_TYPES.items():
                path = self.root / f"{key}.{extension}"
                if path.is_file() and path.stat().st_size > 0:
                    return CachedAudio(path, path.name, media_type, engine.engine, hit=True)
        return None

    def get(self, synth: SpeechSynthesizer, text: str) -> CachedAudio:
        """The cue from the cache, synthesized and stored on a miss; raises ``SpeechError``."""
        cached = self.lookup(synth, text)
        if cached is not None:
            return cached
        engine, audio = synth.synthesize_with_engine(text)
        if MEDIA_TYPES.get(audio.extension) != audio.media_type:
            raise SpeechError(f"unexpected audio type {audio.media_type} ({audio.extension})")
        path = self.root / f"{self.key(engine, text)}.{audio.extension}"
        self._write_atomically(path, audio.data)
        return CachedAudio(path, path.name, audio.media_type, engine.engine, hit=False)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".part")
        except OSError as exc:
            raise SpeechError(f"cannot write to the audio cache {self.root}: {exc}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise SpeechError(f"cannot write to the audio cache {self.root}: {exc}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def resolve_audio_file(root: Path, name: str) -> Path | None:
    """The cached file called ``name`` inside ``root``, or ``None``.

    Only ``<64 lowercase hex>.mp3|wav`` names are accepted, and the real path
    (symlinks followed) must be a file inside the real ``root``.
    """
    if not isinstance(name, str) or AUDIO_FILE_NAME.fullmatch(name) is None:
        return None
    try:
        real_root = root.resolve(strict=True)
        real_path = (real_root / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real_path.parent != real_root or not real_path.is_file():
        return None
    return real_path
