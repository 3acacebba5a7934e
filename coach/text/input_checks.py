"""Shape checks on raw user text: what to say when there is nothing to understand."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE_CHARS = 2000

EMPTY = "empty"
NO_WORDS = "no_words"
NOT_ENGLISH_SCRIPT = "not_english_script"
TOO_LONG = "too_long"


def problem_with(text: str | None) -> str | None:
    """Why a message cannot be understood as it is, or ``None`` when it can be tried.

    - ``empty``: nothing but whitespace;
    - ``no_words``: no letters at all (emoji, punctuation, digits);
    - ``not_english_script``: mostly letters of a non-Latin script;
    - ``too_long``: longer than ``MAX_MESSAGE_CHARS``.
    """
    if text is None or not text.strip():
        return EMPTY
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return NO_WORDS
    latin = sum(1 for ch in letters if _is_latin(ch))
    if latin / len(letters) < 0.5:
        return NOT_ENGLISH_SCRIPT
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    return None


def _is_latin(ch: str) -> bool:
    if ch.isascii():
        return True
    try:
        return unicodedata.name(ch).startswith("LATIN")
    except ValueError:
        return False
