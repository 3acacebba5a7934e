"""Pain words: heard in what an open microphone wrote while a hold runs, they
pause the routine and the coach checks in, even when nothing was sure of the
sentence ("it stings", "ah that's sharp", "something popped": the NLU may not
know them, and a garbled report keeps its one clear word, "our debt hurts").

The words are content (``content/speech.yml``, ``pain_words``); this module
only finds them, as whole words, in a recogniser's transcript. ``PainCheck`` is
what the listening policy asks: a pain word, or a red flag the safety screen
finds ("my leg just gave out" has no pain word in it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Pattern, Tuple

from coach.intents import RED_FLAG
from coach.speech.lm.corpus import SpeechContent, speech_content_path

if TYPE_CHECKING:
    from coach.safety.screen import SafetyScreen


class PainWords:
    """Finds any of ``words`` (each a word or a phrase) in a transcript, and any
    of ``endings`` as its last words."""

    def __init__(self, words: Iterable[str], endings: Iterable[str] = ()) -> None:
        self.words = _longest_first(words)
        self.endings = _longest_first(endings)
        self._pattern = _compiled(self.words, "")
        self._ending = _compiled(self.endings, r"\s*$")

    def heard_in(self, transcript: str) -> bool:
        """Whether ``transcript`` has one of the words in it, or ends with one of
        the endings (case-insensitive)."""
        text = transcript.lower()
        return any(p is not None and p.search(text) for p in (self._pattern, self._ending))

    @classmethod
    def load(cls, content_dir: Path) -> PainWords:
        """The pain words and endings of ``content_dir``'s ``speech.yml``."""
        content = SpeechContent.load(speech_content_path(content_dir))
        return cls(content.pain_words, content.pain_endings)


class PainCheck:
    """Whether what a recogniser wrote mid-hold sounds like pain: a pain word
    (or ending) in it, or a red flag the safety screen finds in it."""

    def __init__(self, words: PainWords, screen: SafetyScreen) -> None:
        self.words = words
        self.screen = screen

    def __call__(self, transcript: str) -> bool:
        if self.words.heard_in(transcript):
            return True
        return self.screen.find(transcript, RED_FLAG) is not None


def _longest_first(phrases: Iterable[str]) -> Tuple[str, ...]:
    unique = {" ".join(p.lower().split()) for p in phrases if p.strip()}
    return tuple(sorted(unique, key=len, reverse=True))


def _compiled(phrases: Tuple[str, ...], end: str) -> Pattern[str] | None:
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w']){end}")
