"""Number words, written once: the durations parser, the speech models, the
transcript tidier and the echo guard all take them from here."""

from __future__ import annotations

from typing import Dict, Tuple

ONES: Tuple[str, ...] = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS: Tuple[str, ...] = (
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
)
# "zero".."nineteen" and "twenty".."ninety", to their values
SMALL_VALUES: Dict[str, int] = {word: value for value, word in enumerate(ONES)}
TENS_VALUES: Dict[str, int] = {word: value * 10 for value, word in enumerate(TENS) if value >= 2}
WORD_VALUES: Dict[str, int] = {**SMALL_VALUES, **TENS_VALUES}


def alternation(words: Tuple[str, ...] | list[str]) -> str:
    """A regular-expression alternation of ``words``, longest first."""
    return "|".join(sorted(words, key=len, reverse=True))


def number_words(n: int) -> str:
    """0..999999 in words ("forty five", "one hundred and twenty")."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + ("" if ones == 0 else " " + ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = ONES[hundreds] + " hundred"
        return head if rest == 0 else f"{head} and {number_words(rest)}"
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = number_words(thousands) + " thousand"
        return head if rest == 0 else f"{head} {number_words(rest)}"
    return " ".join(ONES[int(d)] for d in str(n))
