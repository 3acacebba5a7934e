"""What the coach said lately, per conversation: the voice channel's echo guard.

A microphone that listens hands-free can hear the coach's own voice: the tail of
a reply just after it ended, or another device playing the same conversation.
"Hold for 30 seconds", heard back and acted upon, would change the hold. So
every spoken reply is remembered for ``WINDOW_SECONDS`` (``channels.guard``
records them in the process's ``RecentSpeech``: ``coach.services.Services.echo``),
and a hands-free transcript that repeats a good part of one of them is taken
for an echo, not a command.

Single words never count: "resume" right after "say resume when you're ready"
is the person answering, not the coach's echo.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, deque
from typing import Deque, Iterable, List, Tuple

from coach.text.numbers import number_words

WINDOW_SECONDS = 30.0
MAX_CONVERSATIONS = 10_000
MAX_REPLIES = 12  # per conversation
MIN_ECHO_WORDS = 2
ECHO_SHARE = 0.6  # of the transcript's words, in one run, as the coach said them


def words_of(text: str) -> List[str]:
    """Lowercase words, digits spelled out (the coach writes 30, a transcript may too)."""
    out: List[str] = []
    for token in re.findall(r"[a-z']+|\d+", text.lower()):
        out.extend(number_words(int(token)).split() if token.isdigit() else [token.strip("'")])
    return [w for w in out if w]


def longest_shared_run(a: List[str], b: List[str]) -> int:
    """Length of the longest run of words that stands in both."""
    best = 0
    previous = [0] * (len(b) + 1)
    for word in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if word == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def is_echo(transcript: str, said: Iterable[str]) -> bool:
    """Whether the transcript repeats a good part of something the coach said."""
    heard = words_of(transcript)
    if len(heard) < MIN_ECHO_WORDS:
        return False
    for text in said:
        run = longest_shared_run(heard, words_of(text))
        if run >= MIN_ECHO_WORDS and run >= ECHO_SHARE * len(heard):
            return True
    return False


class RecentSpeech:
    """The spoken replies of the last ``WINDOW_SECONDS``, per conversation (bounded)."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._said: OrderedDict[str, Deque[Tuple[float, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, conversation: str, spoken: str, now: float | None = None) -> None:
        if not conversation or not spoken:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            said = self._said.pop(conversation, None) or deque(maxlen=MAX_REPLIES)
            said.append((now, spoken))
            self._said[conversation] = said
            while len(self._said) > MAX_CONVERSATIONS:
                self._said.popitem(last=False)

    def recent(self, conversation: str, now: float | None = None) -> List[str]:
        now = time.monotonic() if now is None else now
        with self._lock:
            said = self._said.get(conversation) or ()
            return [text for at, text in said if now - at <= self.window]

    def echoes(self, conversation: str, transcript: str, now: float | None = None) -> bool:
        return is_echo(transcript, self.recent(conversation, now))
