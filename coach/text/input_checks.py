"""Shape checks on raw user text: what to say when there is nothing to understand."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE_CHARS = 2000
# what reaches the NLU at most: one character more than a message may have,
# so that a longer one is still answered "too long" (the message screen) but
# never costs the NLU more (its cost grows with the square of the length: a
# 60 kB message took 15 s and 9 GB before this cut)
MAX_TEXT_TO_READ = MAX_MESSAGE_CHARS + 1
MAX_CONVERSATION_ID = 128

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


def clean_conversation_id(value: object) -> str | None:
    """A conversation (sender) id as given, with only printable characters,
    trimmed to ``MAX_CONVERSATION_ID``; None when nothing usable is left.

    A NUL or a lone surrogate cannot be written to the tracker store, and
    Rasa's SQL store takes that error for a missing database schema and exits
    the whole server."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    kept = "".join(ch for ch in str(value) if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    kept = kept.strip()[:MAX_CONVERSATION_ID].strip()
    return kept or None


def text_to_read(text: object) -> str:
    """The text the NLU gets: a string, cut to ``MAX_TEXT_TO_READ``."""
    return text[:MAX_TEXT_TO_READ] if isinstance(text, str) else ""
