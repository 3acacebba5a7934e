"""A closed list of phrases scored against the audio: what a routine accepts.

A neural recogniser writes what it hears, and a short word said on the floor
("pause", "back", "switch sides") is what it mishears most ("of course",
"Merck", "which side?"). In a routine only a few phrases matter, so the
recogniser also scores each of them against the same audio (the log
probability of its tokens, forced through the decoder) and this module weighs
them against what it wrote freely:

* a phrase competes only with utterances of about its length (``shortlist``):
  a long sentence ("wait for me at the bus stop") is never taken for a short
  phrase it begins with ("wait"), as the forced score has no end of speech;
* every phrase gets the same prior bonus (``PHRASE_PRIOR``, in nats): in a
  routine these are far likelier than any other words;
* the confidence is the best phrase's posterior among all phrases and the free
  transcript (``choose``): near 1 when the phrase is what was written or close
  behind it, near 0 for chatter, which the free transcript explains far better.

Pure functions over numbers: the engine (``coach.speech.asr.whisper``) does
the scoring. ``bench/voice`` measured the prior and the length rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Sequence

# log prior of a routine phrase over free text, in nats (tuned on the coach's
# own sentences from data/, spoken by piper and espeak-ng; never on held-out sets)
PHRASE_PRIOR = 4.5
# a phrase is scored when the free transcript has at most this many more (or
# fewer) words than the phrase
MAX_EXTRA_WORDS = 2
# and only for a short utterance: a longer one is a sentence the NLU reads as
# it is ("can we pause for a second"), and scoring costs about 11 ms a phrase
MAX_SCORED_WORDS = 4


@dataclass(frozen=True)
class Scored:
    """A text and the summed log probability of its tokens given the audio."""

    text: str
    log_prob: float


@dataclass(frozen=True)
class Choice:
    """What the closed list says: its best phrase and how sure (the posterior),
    or ``phrase`` None when the free transcript is likelier."""

    phrase: str | None
    confidence: float


def words(text: str) -> List[str]:
    return text.split()


def shortlist(phrases: Sequence[str], free_text: str) -> List[str]:
    """The phrases worth scoring against an utterance written as ``free_text``
    (assistant text: lower case, no punctuation)."""
    heard = len(words(free_text))
    if heard > MAX_SCORED_WORDS:
        return []
    return [p for p in phrases if abs(len(words(p)) - heard) <= MAX_EXTRA_WORDS]


def choose(free: Scored, phrases: Sequence[Scored], prior: float = PHRASE_PRIOR) -> Choice:
    """The best phrase's posterior against the other phrases and the free
    transcript (unless the free transcript is one of the phrases)."""
    if not phrases:
        return Choice(None, 0.0)
    best = max(phrases, key=lambda s: s.log_prob)
    logs = [s.log_prob + prior for s in phrases]
    if free.text not in {s.text for s in phrases}:
        logs.append(free.log_prob)
    top = max(logs)
    total = sum(math.exp(v - top) for v in logs)
    posterior = math.exp(best.log_prob + prior - top) / total
    if best.log_prob + prior < free.log_prob and free.text != best.text:
        return Choice(None, round(posterior, 4))
    return Choice(best.text, round(posterior, 4))
