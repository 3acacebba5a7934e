"""Speech to text: the interface every recogniser implements.

A :class:`SpeechRecognizer` takes 16 kHz mono 16-bit PCM and the name of a
language model (``coach.speech.lm.names.MODEL_NAMES``) and returns a
:class:`Recognition`: the words heard, how sure, with which model, how much
speech. It never decides what to do with them: that is the listening policy's
job (``coach.speech.listening``, which also holds every confidence bar).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from coach.settings import POCKETSPHINX
from coach.speech.asr.transcript import FUNCTION_WORDS
from coach.speech.thresholds import min_confidence


@dataclass(frozen=True)
class Recognition:
    """What was heard: the words, how sure, with which model, how much speech."""

    transcript: str
    confidence: float
    model: str
    speech_seconds: float
    # which recogniser heard it (``coach.settings.KNOWN_RECOGNIZERS``): the bars
    # differ by engine, as their confidences mean different things
    engine: str = POCKETSPHINX

    @property
    def heard_speech(self) -> bool:
        return bool(self.transcript)

    @property
    def says_something(self) -> bool:
        """At least one word that is not a function word or a filler."""
        return any(word not in FUNCTION_WORDS for word in self.transcript.split())

    def accepted(self, threshold: float | None = None) -> bool:
        """Confident enough, and meaningful enough, to act upon: at ``threshold``,
        by default the bar of its model (``coach.speech.listening.MIN_CONFIDENCE``)."""
        limit = min_confidence(self.model, self.engine) if threshold is None else threshold
        return self.says_something and self.confidence >= limit


class RecognitionError(Exception):
    """The recogniser failed (not: heard nothing)."""


class SpeechRecognizer(ABC):
    """Turns speech into text."""

    def load(self) -> None:  # noqa: B027 (optional: an engine may load lazily)
        """Loads the models now (a worker does, before it says it is ready);
        otherwise they are loaded on first use."""

    @abstractmethod
    def recognize(self, samples: bytes, model: str) -> Recognition:
        """``samples``: 16 kHz mono 16-bit PCM; ``model``: one of ``MODEL_NAMES``."""
