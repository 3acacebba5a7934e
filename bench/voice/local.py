"""The server's recogniser, run in this process on the same models."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from coach.speech.asr.audio_input import decode_wav, is_silent
from coach.speech.asr.base import Recognition
from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer


class Local:
    """The server's recogniser, in this process, on the same models (transcripts of
    recordings the server did not act upon, and cross-checks)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._mine = threading.local()  # one decoder per thread (not thread-safe)
        self._cache: Dict[Tuple[str, str], Recognition] = {}
        self._lock = threading.Lock()
        self.seconds: Dict[str, List[float]] = defaultdict(list)

    @property
    def recognizer(self) -> PocketsphinxRecognizer:
        if not hasattr(self._mine, "recognizer"):
            self._mine.recognizer = PocketsphinxRecognizer(self.directory)
        recognizer: PocketsphinxRecognizer = self._mine.recognizer
        return recognizer

    def recognize(self, audio: bytes, model: str) -> Recognition:
        key = (hashlib.sha256(audio).hexdigest(), model)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        pcm = decode_wav(audio)
        if is_silent(pcm):
            result = Recognition("", 0.0, model, 0.0)
        else:
            started = time.perf_counter()
            result = self.recognizer.recognize(pcm.samples, model)
            with self._lock:
                self.seconds[model].append(time.perf_counter() - started)
        with self._lock:
            self._cache[key] = result
        return result
