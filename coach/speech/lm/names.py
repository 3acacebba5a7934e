"""The speech models' names and files: what the builder writes and the
recogniser reads (``models/speech``), and how a closed model's sentences match."""

from __future__ import annotations

from typing import Sequence

from coach.settings import DEFAULT_SPEECH_MODEL_DIR

DEFAULT_OUT_DIR = DEFAULT_SPEECH_MODEL_DIR

QUESTIONS, COMMANDS, BARGE_IN = "questions", "commands", "barge_in"
MODEL_NAMES = (QUESTIONS, COMMANDS, BARGE_IN)
DICTIONARY = "words.dict"
MANIFEST = "manifest.json"
# models that only accept whole sentences of their own (the rest generalise)
CLOSED_MODELS = (BARGE_IN,)
FILLER_WORDS = frozenset({"um", "uh", "er", "okay", "ok", "hey", "coach", "please", "oh"})


def closed_form(words: Sequence[str]) -> str:
    """A sentence without fillers, for matching against a closed model's sentences."""
    return " ".join(w for w in words if w not in FILLER_WORDS)
