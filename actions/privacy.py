"""Deleting a conversation ("delete my conversation"): asked, confirmed, then done.

``action_ask_forget`` asks first (a person may have said it in passing, and
it cannot be undone); ``affirm`` then runs ``action_forget_conversation``,
which stops a running stretch (its timed cues are cancelled) and says it is
done, marked ``forgotten`` so that the widget forgets its copy too. The
deleting itself is the tracker store's: it sees this action end the turn and
deletes every event of the conversation instead of saving
(``stores/tracker_store.py``), so nothing of it is written again.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, ReminderCancelled
from rasa_sdk.executor import CollectingDispatcher

from actions.base import CoachAction
from actions.guided_stretch import TIMED_CUES, reminder_name, routine_state
from coach.intents import FORGET_ACTION
from coach.routine.model import Status


class SaysOneMessage(CoachAction):
    """Says the content's message ``message_name`` and changes nothing (abstract:
    rasa-sdk registers only the subclasses, which have a name)."""

    message_name = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        self.say_message(dispatcher, self.message_name)
        return []


class ActionAskForget(SaysOneMessage):
    message_name = "forget_ask"

    def name(self) -> str:
        return "action_ask_forget"


class ActionForgetConversation(CoachAction):
    def name(self) -> str:
        return FORGET_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        # ``forgotten``: the widget clears what it kept of the conversation too;
        # a running stretch is shown as stopped
        done = self.store.message("forget_done").reply
        dispatcher.utter_message(
            text=done.text,
            spoken=done.spoken,
            forgotten=True,
            routine={"status": Status.STOPPED.value},
        )
        generation = routine_state(tracker).generation
        return [
            ReminderCancelled(name=reminder_name(tracker.sender_id, generation, cue))
            for cue in TIMED_CUES
        ]


class ActionKeepConversation(SaysOneMessage):
    message_name = "forget_kept"

    def name(self) -> str:
        return "action_keep_conversation"
