"""Safety answers: red-flag symptoms go to medical care, conditions to a clinician."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import MORE_AVAILABLE_SLOT, TOPIC_SLOT, latest_entity_values
from actions.guided_stretch import RoutineAction, routine_state
from coach.content.store import Reply
from coach.intents import CONDITION, ENTITY_FOR_KIND, PAIN, RED_FLAG
from coach.safety.screen import SafetyScreen


class SafetyAction(RoutineAction, ABC):
    """Answers a safety intent with the response of the category found.

    A guided routine in progress is stopped first, at once: its timer is
    cancelled and nothing more is said about the stretch.
    """

    @property
    @abstractmethod
    def kind(self) -> str:
        """``red_flag`` or ``condition``."""

    @property
    def screen(self) -> SafetyScreen:
        return self.services.safety

    def response_for(self, tracker: Tracker, kind: str) -> Reply | None:
        """The response for the category the NLU screen found, or a fresh screen of the text."""
        for name in latest_entity_values(tracker, ENTITY_FOR_KIND[kind]):
            category = self.screen.category(kind, name)
            if category is not None:
                return category.response
        match = self.screen.find((tracker.latest_message or {}).get("text") or "", kind)
        return match.category.response if match else None

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        events: List[EventType] = []
        state = routine_state(tracker)
        if state.active:
            now = self.now()
            events = self.apply(dispatcher, tracker, self.machine.handle(state, now, PAIN), now)
        reply = self.response_for(tracker, self.kind) or self.screen.generic(self.kind)
        if self.kind == RED_FLAG:
            # a condition mentioned alongside a red flag is answered too
            condition = self.response_for(tracker, CONDITION)
            if condition is not None:
                reply = reply.joined(condition)
        self.say(dispatcher, reply.joined(self.screen.closing))
        # the topic under discussion is dropped: "tell me more" must not lead
        # back into massage advice after a red flag
        return [*events, SlotSet(TOPIC_SLOT, None), SlotSet(MORE_AVAILABLE_SLOT, False)]


class ActionRespondToRedFlag(SafetyAction):
    """Red-flag symptoms: stop, and get medical care (now, for the emergencies)."""

    def name(self) -> str:
        return "action_respond_to_red_flag"

    @property
    def kind(self) -> str:
        return RED_FLAG


class ActionRespondToHealthCondition(SafetyAction):
    """Conditions that make self-massage risky: ask a clinician first."""

    def name(self) -> str:
        return "action_respond_to_health_condition"

    @property
    def kind(self) -> str:
        return CONDITION
