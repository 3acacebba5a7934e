"""Screen text to something a voice can read: the spoken form of a message
that has none of its own (Rasa's domain responses)."""

from __future__ import annotations

import re


def plain_text(text: str) -> str:
    """Markdown to something a voice can read."""
    text = re.sub(r"[*_`#>]+", "", text)
    text = re.sub(r"^\s*(?:[-•]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    return re.sub(r"\s+", " ", text).strip()
