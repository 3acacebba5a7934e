"""What the coach said lately, per conversation: the voice channel's echo guard.

A microphone that listens hands-free can hear the coach's own voice: the tail of
a reply just after it ended, or another device playing the same conversation.
"Hold for 30 seconds", heard back and acted upon, would change the hold. So
every spoken reply is remembered (``channels.guard`` records them in the
process's ``RecentSpeech``: ``coach.services.Services.echo``) for as long as it
can still be heard, and a hands-free transcript that repeats a good part of one
of them is taken for an echo, not a command.

As long as it can be heard: its words at a slow speaking rate, queued after
what the coach said before, plus a tail (the network, the player starting, a
room's reverb; ``ECHO_TAIL_SECONDS``), and never over ``WINDOW_SECONDS``; the
voice channel asks about the moment the recording began. Past that, the coach
was silent, and a person who says its words ("let's do the other side", after
"hold 30 seconds, then do the other side") means them.

Single words never count: "resume" right after "say resume when you're ready"
is the person answering, not the coach's echo.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, deque
from typing import Deque, Iterable, List, Tuple

from coach.settings import DEFAULT_WORDS_PER_SECOND
from coach.text.numbers import number_words

WINDOW_SECONDS = 60.0  # the longest anything is remembered
# after its playback ends: the reply's way to the player, the player starting,
# a room's reverb
ECHO_TAIL_SECONDS = 2.0
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


def playback_seconds(spoken: str) -> float:
    """About how long the coach takes to say ``spoken``: at the speech rate the
    routine waits for (``DEFAULT_WORDS_PER_SECOND``, a little slower than its
    voices), so a little longer than it takes."""
    return len(words_of(spoken)) / DEFAULT_WORDS_PER_SECOND


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
    """The spoken replies that may still be heard, per conversation (bounded):
    each until its playback ends plus ``tail`` seconds, at most ``window``."""

    def __init__(self, window: float = WINDOW_SECONDS, tail: float = ECHO_TAIL_SECONDS) -> None:
        self.window = window
        self.tail = tail
        # per conversation: (said at, playback ends at, text)
        self._said: OrderedDict[str, Deque[Tuple[float, float, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, conversation: str, spoken: str, now: float | None = None) -> None:
        if not conversation or not spoken:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            said = self._said.pop(conversation, None) or deque(maxlen=MAX_REPLIES)
            # replies play one after another: this one starts when the last ends
            starts = max([now, *(ends for _, ends, _ in said)])
            said.append((now, starts + playback_seconds(spoken), spoken))
            self._said[conversation] = said
            while len(self._said) > MAX_CONVERSATIONS:
                self._said.popitem(last=False)

    def recent(self, conversation: str, now: float | None = None) -> List[str]:
        """What the coach said to ``conversation`` that may still be heard."""
        now = time.monotonic() if now is None else now
        with self._lock:
            said = self._said.get(conversation) or ()
            return [
                text
                for at, ends, text in said
                if now - at <= self.window and now <= ends + self.tail
            ]

    def echoes(self, conversation: str, transcript: str, now: float | None = None) -> bool:
        return is_echo(transcript, self.recent(conversation, now))
