"""The abstract base every coach action shares: its services, and how a reply is said."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from coach.content.store import ContentStore, Reply
from coach.services import Services, process_services

TOPIC_SLOT = "topic"
MORE_AVAILABLE_SLOT = "more_available"
DISCLAIMER_SLOT = "disclaimer_shown"


class CoachAction(Action, ABC):
    """An action that answers with ``Reply`` objects from the content store.

    Every message carries its short spoken form as ``spoken`` metadata, which
    channels that speak (the voice channel) use instead of the screen text.

    rasa-sdk builds every action itself, with no arguments: such an action uses
    the process's services. A test hands its own ``Services`` in.
    """

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or process_services()

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @property
    def store(self) -> ContentStore:
        return self.services.content

    @staticmethod
    def say(
        dispatcher: CollectingDispatcher,
        reply: Reply,
        buttons: List[Dict[str, Any]] | None = None,
    ) -> None:
        dispatcher.utter_message(text=reply.text, buttons=buttons or None, spoken=reply.spoken)

    def say_message(self, dispatcher: CollectingDispatcher, name: str) -> None:
        """Say a named message from the content's ``messages`` section."""
        message = self.store.message(name)
        self.say(dispatcher, message.reply, buttons=[s.as_button() for s in message.suggestions])

    def disclaim_once(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """Give the disclaimer the first time health content is shared."""
        if tracker.get_slot(DISCLAIMER_SLOT):
            return []
        self.say(dispatcher, self.store.disclaimer)
        return [SlotSet(DISCLAIMER_SLOT, True)]


def latest_intent(tracker: Tracker) -> str:
    """Name of the intent of the latest user message ("" when there is none)."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or "")


def latest_entity_values(tracker: Tracker, entity: str) -> List[str]:
    """Values of an entity in the latest user message, in order."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return [str(e.get("value")) for e in entities if e.get("entity") == entity and e.get("value")]
