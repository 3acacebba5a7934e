"""Answers to questions about the psoas, and the follow-ups that use context."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    MORE_AVAILABLE_SLOT,
    TOPIC_SLOT,
    CoachAction,
    latest_entity_values,
    latest_intent,
)
from actions.guided_stretch import RoutineFirstAction
from coach.content.store import Reply, Topic
from coach.text.durations import parse_seconds
from coach.text.input_checks import EMPTY, NO_WORDS, NOT_ENGLISH_SCRIPT, TOO_LONG, problem_with

GUIDE_HOLD_SECONDS = 30
HOLD_TOPIC = "hold_duration"

FALLBACK_MESSAGES = {
    EMPTY: "empty_message",
    NO_WORDS: "no_words",
    NOT_ENGLISH_SCRIPT: "english_only",
    TOO_LONG: "too_long",
}


def _suggestions(topic: Topic) -> List[Dict[str, Any]]:
    buttons = [s.as_button() for s in topic.suggestions]
    if topic.more:
        buttons.insert(0, {"title": "Tell me more", "payload": "/ask_more_detail"})
    return buttons


class ActionAnswerQuestion(RoutineFirstAction):
    """Answers a content question with the matching part of the guide."""

    def name(self) -> str:
        return "action_answer_question"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = latest_intent(tracker)
        if intent == "ask_hold_duration":
            return self._answer_how_long(dispatcher, tracker)
        topic = self.store.topic_for_intent(intent)
        if topic is None:
            self.say_message(dispatcher, "not_understood")
            return []
        return self.answer(dispatcher, tracker, topic, topic.answer)

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        topic: Topic,
        reply: Reply,
    ) -> List[EventType]:
        self.say(dispatcher, reply, buttons=_suggestions(topic))
        return [
            SlotSet(TOPIC_SLOT, topic.id),
            SlotSet(MORE_AVAILABLE_SLOT, topic.more is not None),
            *self.disclaim_once(dispatcher, tracker),
        ]

    def _answer_how_long(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        note = self._duration_note(tracker)
        last = self.store.topic(tracker.get_slot(TOPIC_SLOT) or "")
        if last is not None and last.how_long is not None:
            # a follow-up ("how long?") about the topic being discussed
            reply = note.joined(last.how_long) if note else last.how_long
            self.say(dispatcher, reply)
            return self.disclaim_once(dispatcher, tracker)
        topic = self.store.topic(HOLD_TOPIC)
        assert topic is not None, "content must define the hold_duration topic"
        reply = note.joined(topic.answer) if note else topic.answer
        return self.answer(dispatcher, tracker, topic, reply)

    def _duration_note(self, tracker: Tracker) -> Reply | None:
        for value in latest_entity_values(tracker, "duration"):
            seconds = parse_seconds(value)
            if seconds is None or seconds <= 0:
                continue
            if seconds > GUIDE_HOLD_SECONDS:
                kind = "longer"
            elif seconds < GUIDE_HOLD_SECONDS:
                kind = "shorter"
            else:
                kind = "same"
            return self.store.duration_note(kind).format(seconds=seconds)
        return None


class ActionAnswerFollowUp(RoutineFirstAction):
    """Answers "tell me more", "and the other side?", "yes" and "no" from context."""

    def name(self) -> str:
        return "action_answer_follow_up"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = latest_intent(tracker)
        topic = self.store.topic(tracker.get_slot(TOPIC_SLOT) or "")
        more_available = bool(tracker.get_slot(MORE_AVAILABLE_SLOT))

        if intent == "deny":
            self.say_message(dispatcher, "no_problem")
            return [SlotSet(MORE_AVAILABLE_SLOT, False)]
        if intent == "affirm" and not (topic and more_available):
            self.say_message(dispatcher, "what_else")
            return []
        if topic is None:
            self.say_message(dispatcher, "ask_which_topic")
            return []
        if intent == "ask_other_side":
            return self._other_side(dispatcher, tracker, topic)
        # ask_more_detail, or "yes" to the more that was on offer
        if topic.more is not None and more_available:
            self.say(dispatcher, topic.more, buttons=[s.as_button() for s in topic.suggestions])
        else:
            self.say(dispatcher, self.store.default("more"))
        return [SlotSet(MORE_AVAILABLE_SLOT, False)]

    def _other_side(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic
    ) -> List[EventType]:
        sides = latest_entity_values(tracker, "side")
        if sides and sides[0] == "right" and topic.other_side is not None:
            # the guide always starts on the right: that is the main answer
            self.say(dispatcher, topic.answer)
        else:
            self.say(dispatcher, topic.other_side or self.store.default("other_side"))
        return []


class ActionRepeatLastAnswer(RoutineFirstAction):
    """Says again what the assistant said last ("say that again")."""

    # mid-routine, "say that again" repeats the step and restarts its hold
    handed_over = None

    def name(self) -> str:
        return "action_repeat_last_answer"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        said = previous_bot_messages(tracker.events)
        if not said:
            self.say_message(dispatcher, "nothing_to_repeat")
            return []
        for message in said:
            metadata = message.get("metadata") or {}
            data = message.get("data") or {}
            dispatcher.utter_message(
                text=message.get("text"),
                buttons=data.get("buttons") or None,
                spoken=metadata.get("spoken") or message.get("text"),
            )
        return []


def previous_bot_messages(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The bot messages that answered the user message before the latest one."""
    user_seen = 0
    collected: List[Dict[str, Any]] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            user_seen += 1
            if user_seen == 2:
                break
        elif kind == "bot" and user_seen == 1 and event.get("text"):
            collected.append(event)
    return list(reversed(collected))


class ActionHandleFallback(CoachAction):
    """Explains what went wrong when a message could not be understood."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text")
        self.say_message(
            dispatcher, FALLBACK_MESSAGES.get(problem_with(text) or "", "not_understood")
        )
        return []
