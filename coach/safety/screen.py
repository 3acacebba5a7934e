"""Deterministic safety screen, shared by the NLU pipeline and the actions.

Red flags (symptoms that need medical care) and health conditions (that make
self-massage risky) are matched with the patterns in ``content/safety.yml`` so
that they win over whatever the statistical classifier thinks. Pure logic: no
Rasa imports, loaded lazily.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Pattern

import yaml

from coach.content.store import Reply
from coach.intents import CONDITION, RED_FLAG
from coach.settings import DEFAULT_CONTENT_DIR

SAFETY_FILE = "safety.yml"


@dataclass(frozen=True)
class SafetyCategory:
    """One kind of red flag or condition with the answer it gets."""

    kind: str
    name: str
    level: str
    patterns: List[Pattern[str]]
    response: Reply


@dataclass(frozen=True)
class SafetyMatch:
    """Where a category matched a message."""

    category: SafetyCategory
    start: int
    end: int
    matched: str


def normalise(text: str) -> str:
    """Lowercase, straight apostrophes, whitespace folded; same length mapping is not kept."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


class SafetyScreen:
    """Finds red flags first, then conditions, ignoring negated mentions."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or DEFAULT_CONTENT_DIR / SAFETY_FILE
        self._lock = threading.Lock()
        self._loaded = False
        self._red_flags: List[SafetyCategory] = []
        self._conditions: List[SafetyCategory] = []
        self._negation: Pattern[str] | None = None
        self._generic: Dict[str, Reply] = {}
        self._closing: Reply | None = None

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            with open(self._path, encoding="utf-8") as handle:
                raw: Mapping[str, Any] = yaml.safe_load(handle) or {}
            self._negation = re.compile(str(raw["negation_before"]))
            self._red_flags = [_category(RED_FLAG, c) for c in raw.get("red_flags") or []]
            self._conditions = [_category(CONDITION, c) for c in raw.get("conditions") or []]
            self._generic = {
                RED_FLAG: Reply.from_dict(raw["generic_red_flag"], "generic_red_flag"),
                CONDITION: Reply.from_dict(raw["generic_condition"], "generic_condition"),
            }
            self._closing = Reply.from_dict(raw["closing"], "closing")
            self._loaded = True

    def categories(self, kind: str) -> List[SafetyCategory]:
        self._load()
        return list(self._red_flags if kind == RED_FLAG else self._conditions)

    def category(self, kind: str, name: str) -> SafetyCategory | None:
        return next((c for c in self.categories(kind) if c.name == name), None)

    def generic(self, kind: str) -> Reply:
        self._load()
        return self._generic[kind]

    @property
    def closing(self) -> Reply:
        self._load()
        assert self._closing is not None
        return self._closing

    def find(self, text: str, kind: str) -> SafetyMatch | None:
        """The first category of this kind that the text mentions without negating it."""
        self._load()
        assert self._negation is not None
        clean = normalise(text)
        if not clean:
            return None
        for category in self.categories(kind):
            for pattern in category.patterns:
                for found in pattern.finditer(clean):
                    if self._negation.search(clean[: found.start()]):
                        continue
                    return SafetyMatch(category, found.start(), found.end(), found.group(0))
        return None

    def screen(self, text: str) -> SafetyMatch | None:
        """A red flag if there is one, else a condition, else ``None``."""
        return self.find(text, RED_FLAG) or self.find(text, CONDITION)


def _category(kind: str, data: Mapping[str, Any]) -> SafetyCategory:
    name = str(data["category"])
    return SafetyCategory(
        kind=kind,
        name=name,
        level=str(data.get("level", "caution")),
        patterns=[re.compile(p) for p in data["patterns"]],
        response=Reply.from_dict(data["response"], f"{kind}.{name}"),
    )
