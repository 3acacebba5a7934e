"""Pain words: heard in what an open microphone wrote while a hold runs, they
pause the routine and the coach checks in, even when nothing was sure of the
sentence ("it stings", "ah that's sharp", "something popped": the NLU may not
know them, and a garbled report keeps its one clear word, "our debt hurts").

The words are content (``content/speech.yml``, ``pain_words``); this module
only finds them, as whole words, in a recogniser's transcript.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from coach.speech.lm.corpus import SpeechContent, speech_content_path


class PainWords:
    """Finds any of ``words`` (each a word or a phrase) in a transcript."""

    def __init__(self, words: Iterable[str]) -> None:
        phrases = sorted({" ".join(w.lower().split()) for w in words if w.strip()}, key=len)
        self.words = tuple(reversed(phrases))
        alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in self.words)
        self._pattern = re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])") if phrases else None

    def heard_in(self, transcript: str) -> bool:
        """Whether ``transcript`` has one of the words in it (case-insensitive)."""
        return bool(self._pattern and self._pattern.search(transcript.lower()))

    @classmethod
    def load(cls, content_dir: Path) -> PainWords:
        """The pain words of ``content_dir``'s ``speech.yml``."""
        return cls(SpeechContent.load(speech_content_path(content_dir)).pain_words)
