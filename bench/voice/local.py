"""The server's recogniser, run in this process on the same models."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from coach.settings import POCKETSPHINX, Settings
from coach.speech.asr.audio_input import decode_wav, is_silent
from coach.speech.asr.base import Recognition, SpeechRecognizer
from coach.speech.asr.engines import build_recognizer


class Local:
    """The server's recogniser (``engine``, as ``PSOAS_RECOGNIZER`` names it), in
    this process, on the same models (transcripts of recordings the server did not
    act upon, and cross-checks). One recogniser per thread: they are not
    thread-safe."""

    def __init__(self, directory: Path, engine: str = POCKETSPHINX) -> None:
        self.directory = directory
        self.engine = engine
        # as the server's workers are given them (PSOAS_WHISPER_MODEL, ... if set)
        self.settings = Settings.from_env()
        self._mine = threading.local()
        self._cache: Dict[Tuple[str, str], Recognition] = {}
        self._lock = threading.Lock()
        self.seconds: Dict[str, List[float]] = defaultdict(list)

    @property
    def recognizer(self) -> SpeechRecognizer:
        if not hasattr(self._mine, "recognizer"):
            settings = self.settings
            recognizer = build_recognizer(
                self.engine,
                self.directory,
                whisper_model=settings.whisper_model,
                threads=settings.whisper_threads,
                content_dir=settings.content_dir,
            )
            recognizer.load()
            self._mine.recognizer = recognizer
        mine: SpeechRecognizer = self._mine.recognizer
        return mine

    def recognize(self, audio: bytes, model: str) -> Recognition:
        key = (hashlib.sha256(audio).hexdigest(), model)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        pcm = decode_wav(audio)
        if is_silent(pcm):
            result = Recognition("", 0.0, model, 0.0, engine=self.engine)
        else:
            started = time.perf_counter()
            result = self.recognizer.recognize(pcm.samples, model)
            with self._lock:
                self.seconds[model].append(time.perf_counter() - started)
        with self._lock:
            self._cache[key] = result
        return result
