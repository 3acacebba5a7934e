"""Stand-ins for speech-out tests: a counting engine and a settable clock."""

from __future__ import annotations

from typing import List

from coach.speech.tts.base import MEDIA_TYPES, Audio, SpeechError, SpeechSynthesizer


class FakeSynth(SpeechSynthesizer):
    """A counting stand-in engine; fails while ``failing`` is set."""

    def __init__(self, name: str, voice: str = "v1", extension: str = "wav") -> None:
        self.name = name
        self.voice = voice
        self.extension = extension
        self.failing = False
        self.calls: List[str] = []

    @property
    def engine(self) -> str:
        return self.name

    def voice_key(self) -> str:
        return f"voice={self.voice}"

    def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        if self.failing:
            raise SpeechError(f"{self.name} is down")
        return Audio(
            data=f"{self.name}:{self.voice}:{text}".encode(),
            media_type=MEDIA_TYPES[self.extension],
            extension=self.extension,
        )


class Clock:
    """A clock that moves only when told (``clock.now += seconds``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
