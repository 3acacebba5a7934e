"""From a recogniser's words to the assistant's text, and what such text says.

``tidy_transcript`` drops the recogniser's fillers and pronunciation variants
and writes durations in digits, as a person types them ("forty five seconds"
-> "45 seconds"), so the NLU reads a spoken "make it forty five seconds" as it
reads the typed one. Number words come from ``coach.text.numbers``.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from coach.text.numbers import ONES, TENS, WORD_VALUES, alternation

# the recogniser's markers for silence, noise and sentence bounds: never words
FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"})
# words that say nothing on their own: a transcript of only these (noise heard
# as "the on and", a hum heard as "um") is never acted upon, however sure
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "as",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "up",
        "off",
        "out",
        "into",
        "over",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "than",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "us",
        "our",
        "he",
        "she",
        "him",
        "her",
        "they",
        "them",
        "their",
        "um",
        "uh",
        "er",
        "erm",
        "hmm",
        "mm",
        "mhm",
        "ah",
        "oh",
        "eh",
        "huh",
        "well",
        "like",
        "just",
    ]
)

_VARIANT = re.compile(r"\(\d+\)")  # a pronunciation variant's mark: "psoas(2)"
_UNIT = r"(seconds?|minutes?)"
_TENS_WORD = f"({alternation(TENS[2:])})"
_SMALL_WORD = f"({alternation(ONES[1:])})"
_DURATION = re.compile(
    rf"\b(?:(?:(one) hundred (?:and )?)?{_TENS_WORD}(?: {_SMALL_WORD})?|{_SMALL_WORD}"
    rf"|(one) hundred(?: and {_SMALL_WORD})?) {_UNIT}\b"
)


def without_variants(text: str) -> str:
    """``text`` without the dictionary's variant marks ("psoas(2)" -> "psoas")."""
    return _VARIANT.sub("", text)


def _duration_digits(match: re.Match[str]) -> str:
    hundred_a, tens, ones_a, small, hundred_b, small_b, unit = match.groups()
    value = 0
    if hundred_a or hundred_b:
        value += 100
    for word in (tens, ones_a, small, small_b):
        if word:
            value += WORD_VALUES[word]
    return f"{value} {unit}"


def tidy_transcript(words: Sequence[str]) -> str:
    """Recogniser words -> the assistant's text ("forty five seconds" -> "45 seconds")."""
    text = without_variants(" ".join(w for w in words if w and w not in FILLERS))
    return _DURATION.sub(_duration_digits, text).strip()


# -- a neural recogniser's written text ---------------------------------------
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_LOOSE_APOSTROPHE = re.compile(r"(?<![a-z])'|'(?![a-z])")
# "psoas" run into the word before it ("mysoas", "asoas", "assoas", "thesoas")
_RUN_IN_PSOAS = re.compile(r"\b(my|a|the|your|this|is)s?p?soas\b")


def heard_as_pattern(heard_as: Mapping[str, str]) -> re.Pattern[str] | None:
    """One pattern for every mishearing (longest first, whole words)."""
    if not heard_as:
        return None
    keys = sorted(heard_as, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b")


def tidy_written(
    text: str, heard_as: Mapping[str, str], pattern: re.Pattern[str] | None = None
) -> str:
    """What a recogniser wrote ("Ouch, that hurts!", "How long is the so-as
    stretch?") -> the assistant's text ("ouch that hurts", "how long is the psoas
    stretch"): lower case, no punctuation, ``heard_as`` mishearings of the
    domain's words replaced (content/speech.yml), durations in digits."""
    lowered = text.translate(_APOSTROPHES).lower().replace("%", " percent")
    lowered = lowered.replace("-", " ")
    cleaned = _LOOSE_APOSTROPHE.sub(" ", _NOT_WORD.sub(" ", lowered))
    joined = _RUN_IN_PSOAS.sub(r"\1 psoas", " ".join(cleaned.split()))
    pattern = pattern if pattern is not None else heard_as_pattern(heard_as)
    if pattern is not None:
        joined = pattern.sub(lambda m: heard_as[m.group(0)], joined)
    return tidy_transcript(without_repeats(joined.split()))


def without_repeats(words: Sequence[str]) -> list[str]:
    """One copy of a sentence a decoder wrote twice or more in a row ("repeat
    repeat", "how do i stretch it how do i stretch it"): Whisper loops so at
    times after short speech. A word said twice on purpose ("stop stop") means
    the same once."""
    count = len(words)
    for size in range(1, count // 2 + 1):
        if count % size == 0 and list(words[:size]) * (count // size) == list(words):
            return list(words[:size])
    return list(words)
