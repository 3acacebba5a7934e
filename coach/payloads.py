"""Which ``/intent{...}`` messages a person may send; forged ones are refused.

Rasa reads a message that starts with ``/`` as an intent with its entities,
skipping the NLU: the widget's buttons and quick replies send such payloads,
and so can anyone who types one. A person may trigger, that way, any intent
they could reach in words, with the entities a button carries; never:

- the reminders' intent (``EXTERNAL_*``): a forged timed cue could skip a hold.
  The one exception is the reconnect cue exactly as the widget sends it
  (``coach.intents.RECONNECT_MESSAGE``, no generation): it only resumes;
- an intent the domain does not have, or entities it does not have, or the
  reminders' own entities (``cue``, ``generation``) on any other intent;
- a confidence (``/greet@0.3``) or entities that are not a flat JSON object
  of short strings and numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, FrozenSet

import yaml

from coach.intents import CUE_INTENT, RECONNECT_CUE

PAYLOAD = re.compile(r"^/(?P<intent>[^{@\s]*)(?P<rest>.*)$", re.DOTALL)
REMINDER_ONLY_ENTITIES = frozenset({"cue", "generation"})
MAX_ENTITY_TEXT = 100


@dataclass(frozen=True)
class PayloadPolicy:
    intents: FrozenSet[str]
    entities: FrozenSet[str]

    @classmethod
    def from_domain(cls, domain_file: Path) -> PayloadPolicy:
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
        intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
        entities = {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities", [])}
        return cls(frozenset(intents), frozenset(entities))

    def refusal(self, text: Any) -> str | None:
        """Why ``text`` is refused as a payload, or None (words, or an allowed payload)."""
        if not isinstance(text, str):
            return None
        match = PAYLOAD.match(text.strip())
        if match is None:
            return None
        intent, rest = match["intent"], match["rest"].strip()
        if not intent:
            return "no intent"
        if rest.startswith("@"):
            return "a confidence"
        entities: Any = {}
        if rest:
            try:
                entities = json.loads(rest)
            except ValueError:
                return "entities that are not JSON"
        if not isinstance(entities, dict):
            return "entities that are not an object"
        if intent == CUE_INTENT:
            return None if entities == {"cue": RECONNECT_CUE} else "a forged timed cue"
        if intent.startswith("EXTERNAL_") or intent not in self.intents:
            return f"an intent users may not send ({intent[:40]!r})"
        for name, value in entities.items():
            if name not in self.entities or name in REMINDER_ONLY_ENTITIES:
                return f"an entity users may not send ({str(name)[:40]!r})"
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return "an entity value that is not text or a number"
            if len(str(value)) > MAX_ENTITY_TEXT:
                return "an entity value that is too long"
        return None
