"""Speech out's interface: what every engine is, what it returns, how it fails.

An engine (``coach.speech.tts.gtts``, ``coach.speech.tts.espeak``, a new one in
its own module) subclasses ``SpeechSynthesizer``, returns an ``Audio`` and
raises ``SpeechError`` on any failure. ``MEDIA_TYPES`` lists the audio formats
the cache stores and the server serves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

MEDIA_TYPES: Dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav"}


class SpeechError(Exception):
    """An engine could not turn the text into audio."""


@dataclass(frozen=True)
class Audio:
    """Encoded audio and how to serve it."""

    data: bytes
    media_type: str
    extension: str


class SpeechSynthesizer(ABC):
    """Turns text into audio."""

    @property
    @abstractmethod
    def engine(self) -> str:
        """Short engine name: ``gtts``, ``espeak``."""

    @abstractmethod
    def voice_key(self) -> str:
        """Identifies the voice settings (language, accent, speed...) for cache keys."""

    @abstractmethod
    def synthesize(self, text: str) -> Audio:
        """The text spoken; raises ``SpeechError`` on any failure."""

    def candidates(self) -> Sequence[SpeechSynthesizer]:
        """The concrete engines that may produce audio, in order of preference."""
        return (self,)

    def synthesize_with_engine(self, text: str) -> Tuple[SpeechSynthesizer, Audio]:
        """The audio and the concrete engine that produced it (for cache keys)."""
        return self, self.synthesize(text)


def require_text(text: str) -> str:
    """The text, or ``SpeechError`` when there is nothing to say."""
    if not text or not text.strip():
        raise SpeechError("no text to speak")
    return text
