"""The recognisers by name (``PSOAS_RECOGNIZER``): one module per engine, built here.

Nothing is imported or loaded until a recogniser is built; a worker process
(``coach.speech.asr.worker``) builds one and loads it once.
"""

from __future__ import annotations

from pathlib import Path

from coach.settings import DEFAULT_CONTENT_DIR, KNOWN_RECOGNIZERS, POCKETSPHINX, WHISPER
from coach.speech.asr.base import SpeechRecognizer


def build_recognizer(
    engine: str,
    model_dir: Path,
    whisper_model: Path | None = None,
    threads: int = 1,
    content_dir: Path = DEFAULT_CONTENT_DIR,
) -> SpeechRecognizer:
    """The recogniser ``engine`` (one of ``KNOWN_RECOGNIZERS``), not loaded yet.

    ``model_dir``: the speech models built from the content and data
    (``python -m coach.speech.lm``): pocketsphinx's language models, and the
    dictionary; ``content_dir``: the content (Whisper's closed lists and
    mishearings, ``content/speech.yml``); ``whisper_model``: a CTranslate2 Whisper
    folder (None: the packaged tiny.en); ``threads``: Whisper's CPU threads."""
    if engine == POCKETSPHINX:
        from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer

        return PocketsphinxRecognizer(model_dir)
    if engine == WHISPER:
        from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer
        from coach.speech.asr.whisper import WhisperRecognizer

        return WhisperRecognizer(
            model_dir,
            model=whisper_model,
            threads=threads,
            content_dir=content_dir,
            second_opinion=PocketsphinxRecognizer(model_dir),
        )
    raise ValueError(f"unknown recogniser {engine!r}; known: {', '.join(KNOWN_RECOGNIZERS)}")
