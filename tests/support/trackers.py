"""Rasa SDK trackers built by hand, and what an action sent and set."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from coach.intents import ENTITY_FOR_KIND, INTENT_FOR_KIND
from coach.safety.screen import SafetyScreen


def user_event(text: str, parse: Dict[str, Any]) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": parse}


def build_tracker(
    text: str = "",
    intent: str | None = None,
    entities: Iterable[Dict[str, Any]] = (),
    slots: Dict[str, Any] | None = None,
    events: List[Dict[str, Any]] | None = None,
    screen: SafetyScreen | None = None,
    sender_id: str = "test-user",
) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent``.

    With a ``screen`` the message first goes through that safety screen, as it
    does in the NLU pipeline, so safety entities (and the intent, on a match) are
    the ones it finds.
    """
    found = list(entities)
    if screen is not None:
        match = screen.screen(text)
        if match is not None:
            kind = match.category.kind
            intent = INTENT_FOR_KIND[kind]
            found.append({"entity": ENTITY_FOR_KIND[kind], "value": match.category.name})
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
        "entities": found,
    }
    history = list(events or [])
    history.append(user_event(text, parse))
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=parse,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> List[str]:
    """The texts an action sent, in order (empty for messages without one)."""
    return [m.get("text") or "" for m in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The slots an action set: name -> value."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
