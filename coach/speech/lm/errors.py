"""What goes wrong when the speech models are built."""

from __future__ import annotations


class SpeechModelError(Exception):
    """The models cannot be built (no data, no words, an unusable dictionary)."""
