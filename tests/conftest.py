"""Shared fixtures: a dispatcher, a tracker factory, the domain, and an action runner."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from coach.safety.screen import get_safety_screen

ROOT = Path(__file__).resolve().parent.parent

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    with open(ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _user_event(text: str, parse: Dict[str, Any]) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": parse}


@pytest.fixture
def tracker_factory() -> TrackerFactory:
    """Builds a tracker whose latest message is ``text`` classified as ``intent``.

    With ``screen=True`` the message first goes through the real safety screen,
    as it does in the NLU pipeline, so safety entities are the ones it finds.
    """

    def make(
        text: str = "",
        intent: str | None = None,
        entities: Iterable[Dict[str, Any]] = (),
        slots: Dict[str, Any] | None = None,
        events: List[Dict[str, Any]] | None = None,
        screen: bool = False,
        sender_id: str = "test-user",
    ) -> Tracker:
        found = list(entities)
        if screen:
            match = get_safety_screen().screen(text)
            if match is not None:
                kind = match.category.kind
                intent = {"red_flag": "report_red_flag_symptom"}.get(
                    kind, "report_health_condition"
                )
                entity = "symptom" if kind == "red_flag" else "condition"
                found.append({"entity": entity, "value": match.category.name})
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "intent_ranking": [{"name": intent, "confidence": 1.0}],
            "entities": found,
        }
        history = list(events or [])
        history.append(_user_event(text, parse))
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

    return make


@pytest.fixture
def run_action(
    dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> Callable[[Action, Tracker], List[Dict[str, Any]]]:
    """Runs an action the way the action server does and returns its events."""

    def run(action: Action, tracker: Tracker) -> List[Dict[str, Any]]:
        return asyncio.run(action.run(dispatcher, tracker, domain))

    return run


def texts(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
