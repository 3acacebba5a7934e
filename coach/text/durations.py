"""Turn spoken or typed durations ("45 seconds", "a minute and a half") into seconds."""

from __future__ import annotations

import re

from coach.text.numbers import SMALL_VALUES, TENS_VALUES, alternation

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
}
# "a minute", "an hour's half": the article counts one
_SMALL = {**SMALL_VALUES, "a": 1, "an": 1}
_TENS = TENS_VALUES
_WORD = alternation([*_SMALL, *_TENS])
_NUMBER = rf"(\d+(?:\.\d+)?|half(?: a| an)?|(?:{_WORD})(?:[ -](?:{_WORD}))?)"
_PATTERN = re.compile(rf"\b{_NUMBER}\s*(seconds?|secs?|s|minutes?|mins?|m)\b(\s+and\s+a\s+half)?")


def _words_to_number(words: str) -> float | None:
    words = words.strip().replace("-", " ")
    if words.startswith("half"):
        return 0.5
    try:
        return float(words)
    except ValueError:
        pass
    values = [_TENS.get(word, _SMALL.get(word)) for word in words.split()]
    if not values or any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def parse_seconds(text: str | None) -> int | None:
    """Seconds in the first duration found in ``text``, or ``None``."""
    if not text:
        return None
    lowered = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower().strip())
    if lowered in {"half a minute", "half minute"}:
        return 30
    match = _PATTERN.search(lowered)
    if not match:
        return None
    number = _words_to_number(match.group(1))
    if number is None:
        return None
    unit = _UNITS.get(match.group(2), 1)
    seconds = number * unit
    if match.group(3):
        seconds += 0.5 * unit
    return round(seconds)
