"""Guided stretch: the routine state machine wired into Rasa.

The state lives in the ``routine`` slot (so a reload or a server restart loses
nothing); timed cues are Rasa reminders with the intent ``EXTERNAL_routine_cue``
(``kill_on_user_message=False``, so commands mid-hold do not drop them). Every
reply carries the routine's state and upcoming schedule as ``routine`` metadata,
so a client that receives no reminders (REST) can time the cues itself.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any, Dict, FrozenSet, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import CoachAction, latest_entity_values, latest_intent
from coach.intents import (
    CUE_INTENT,
    INTENT_COMMAND,
    RECONNECT,
    RECONNECT_CUE,
    ROUTINE_ONLY_WHEN_ACTIVE,
    SET_HOLD,
    TIME_LEFT,
)
from coach.routine.machine import RoutineMachine
from coach.routine.model import (
    HALFWAY,
    HOLD_END,
    SETUP_END,
    TEN_SECONDS_LEFT,
    RoutineState,
    Transition,
)
from coach.text.durations import parse_seconds

ROUTINE_SLOT = "routine"
TIMED_CUES = (HALFWAY, TEN_SECONDS_LEFT, HOLD_END, SETUP_END)
DEFAULT_ROUTINE = "knee_to_chest_stretch"
TOOL_ROUTINE = "release_tool_session"


def routine_state(tracker: Tracker) -> RoutineState:
    return RoutineState.from_dict(tracker.get_slot(ROUTINE_SLOT))


def routine_is_active(tracker: Tracker) -> bool:
    return routine_state(tracker).active


class RoutineAction(CoachAction, ABC):
    """Applies a transition: says its cues, stores the state, (re)schedules reminders."""

    @property
    def machine(self) -> RoutineMachine:
        return self.services.machine

    @staticmethod
    def now() -> float:
        return time.time()

    def apply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, transition: Transition, now: float
    ) -> List[EventType]:
        payload = client_payload(self.machine, transition, now)
        cues = transition.say
        for index, cue in enumerate(cues):
            extra = {"routine": payload} if index == len(cues) - 1 else {}
            dispatcher.utter_message(text=cue.text, spoken=cue.spoken, **extra)
        events: List[EventType] = [SlotSet(ROUTINE_SLOT, transition.state.to_dict())]
        sender = tracker.sender_id
        if transition.cancel_previous:
            # Rasa schedules the reminders of an action before it cancels any, so
            # a broad cancel (by intent) would also kill the new schedule: cancel
            # exactly the previous generation's reminders, by name
            previous = routine_state(tracker).generation
            events += [
                ReminderCancelled(name=reminder_name(sender, previous, cue)) for cue in TIMED_CUES
            ]
        base = datetime.now()
        for item in transition.schedule:
            events.append(
                ReminderScheduled(
                    CUE_INTENT,
                    trigger_date_time=base + timedelta(seconds=item.delay_seconds),
                    entities={"cue": item.cue_name, "generation": str(item.generation)},
                    name=reminder_name(sender, item.generation, item.cue_name),
                    kill_on_user_message=False,
                )
            )
        return events


def reminder_name(sender_id: str, generation: int, cue: str) -> str:
    """Unique per conversation, generation and cue (Rasa keys its jobs by this name)."""
    return f"routine-{sender_id}-{generation}-{cue}"


def client_payload(machine: RoutineMachine, transition: Transition, now: float) -> Dict[str, Any]:
    """What a client needs to show and time the routine by itself."""
    state = transition.state
    routine = machine.library.get(state.routine_id or "") if state.routine_id else None
    step = (
        routine.steps[state.step_index]
        if routine is not None and 0 <= state.step_index < len(routine.steps)
        else None
    )
    hold_ends_at = None
    if state.hold_started_at is not None and state.hold_seconds:
        hold_ends_at = state.hold_started_at + state.hold_seconds
    return {
        "status": state.status.value,
        "routine_id": state.routine_id,
        "title": routine.title if routine else None,
        "step_index": state.step_index,
        "step_count": len(routine.steps) if routine else 0,
        "step_id": step.id if step else None,
        # the step's short spoken form: what a screen shows in large type
        "instruction": step.spoken if step else None,
        "side": step.side if step else None,
        "hold_seconds": state.hold_seconds,
        "hold_started_at": state.hold_started_at,
        "hold_ends_at": hold_ends_at,
        "remaining_seconds": state.remaining_seconds,
        "hold_override_seconds": state.hold_override_seconds,
        "server_time": now,
        "schedule": [
            {"cue": item.cue_name, "at": now + item.delay_seconds} for item in transition.schedule
        ],
    }


class ActionStartRoutine(RoutineAction):
    """Starts a guided routine: the knee to chest stretch unless another is named."""

    def name(self) -> str:
        return "action_start_routine"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        known = set(self.machine.library.ids())
        # a mis-extracted value ("stretch") falls back to the default routine
        routine_id = next((v for v in latest_entity_values(tracker, "routine") if v in known), None)
        if routine_id is None and latest_entity_values(tracker, "tool"):
            routine_id = TOOL_ROUTINE
        hold = requested_seconds(tracker)
        now = self.now()
        transition = self.machine.start(
            routine_state(tracker), now, routine_id or DEFAULT_ROUTINE, hold_override=hold
        )
        return [
            *self.apply(dispatcher, tracker, transition, now),
            *self.disclaim_once(dispatcher, tracker),
        ]


class ActionControlRoutine(RoutineAction):
    """Next, previous, pause, resume, stop, time left, hold changes, repeat, switch sides."""

    def name(self) -> str:
        return "action_control_routine"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        # what the intent means to the routine (coach.intents); anything else: time left
        command = INTENT_COMMAND.get(latest_intent(tracker), TIME_LEFT)
        arg = requested_seconds(tracker) if command == SET_HOLD else None
        now = self.now()
        transition = self.machine.handle(routine_state(tracker), now, command, arg)
        return self.apply(dispatcher, tracker, transition, now)


class ActionHandleRoutineCue(RoutineAction):
    """A reminder fired (or a client reconnected): the next timed cue, if still current."""

    def name(self) -> str:
        return "action_handle_routine_cue"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        cue = next(iter(latest_entity_values(tracker, "cue")), "")
        state = routine_state(tracker)
        now = self.now()
        if cue == RECONNECT_CUE:
            transition = self.machine.handle(state, now, RECONNECT)
        else:
            raw = next(iter(latest_entity_values(tracker, "generation")), "")
            generation = int(raw) if raw.isdigit() else -1
            transition = self.machine.timer_fired(state, now, cue, generation)
        if not transition.say and not transition.schedule and transition.state == state:
            return []  # a stale reminder: nothing to say, nothing changes
        return self.apply(dispatcher, tracker, transition, now)


def requested_seconds(tracker: Tracker) -> float | None:
    """The hold the user asked for, negative when they said so ("-5 seconds", "minus 5")."""
    text = str((tracker.latest_message or {}).get("text") or "").lower()
    for value in latest_entity_values(tracker, "duration"):
        seconds = parse_seconds(value)
        if seconds is not None:
            said_minus = re.search(
                r"(?:-|\bminus |\bnegative )\s*" + re.escape(value.lower()), text
            )
            negative = bool(said_minus) or value.strip().startswith("-")
            return float(-seconds if negative else seconds)
    return None


class RoutineFirstAction(CoachAction, ABC):
    """An answer that a running routine takes over: mid-hold, "how long?" means
    "how long is left?", "yes" means "go on", "say that again" repeats the step.

    Written once for every such action: while a routine is active, an intent in
    ``handed_over`` (every intent when it is ``None``) goes to the routine.
    """

    handed_over: FrozenSet[str] | None = ROUTINE_ONLY_WHEN_ACTIVE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        takes_over = self.handed_over is None or latest_intent(tracker) in self.handed_over
        if takes_over and routine_is_active(tracker):
            return await ActionControlRoutine(self._services).run(dispatcher, tracker, domain)
        return await self.respond(dispatcher, tracker, domain)

    @abstractmethod
    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """The answer when no routine takes the message over."""
