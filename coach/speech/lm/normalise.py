"""Typed sentences written the way a recogniser writes them: lowercase words,
digits spelled out, typed-only spellings corrected (``content/speech.yml``),
missing apostrophes restored ("thats" -> "that's")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Mapping

from coach.text.numbers import number_words

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


@dataclass
class Normaliser:
    """Typed sentences -> recogniser words."""

    corrections: Mapping[str, str]
    known: frozenset[str]  # words with a pronunciation (to restore apostrophes)

    def words(self, text: str) -> List[str]:
        text = text.lower().replace("\u2019", "'")
        text = re.sub(r"(\d+)\s*%", r"\1 percent", text)
        out: List[str] = []
        for token in _TOKEN.findall(text):
            token = token.strip("'")
            if not token:
                continue
            if token in self.corrections:
                out.extend(self.corrections[token].split())
            elif token.isdigit():
                out.extend(number_words(int(token)).split())
            elif re.fullmatch(r"\d+[a-z]+", token):
                digits = re.match(r"\d+", token)
                assert digits is not None
                out.extend(number_words(int(digits.group())).split())
                out.extend(self.words(token[digits.end() :]))
            else:
                out.append(self._apostrophe(token))
        return out

    def _apostrophe(self, token: str) -> str:
        """``thats`` -> ``that's`` when only the form with an apostrophe is a word."""
        if token in self.known or "'" in token:
            return token
        candidates = {
            token[:i] + "'" + token[i:]
            for i in range(1, len(token))
            if token[i:] in {"s", "t", "ve", "re", "ll", "d", "m"}
        }
        found = sorted(c for c in candidates if c in self.known)
        return found[0] if len(found) == 1 else token
