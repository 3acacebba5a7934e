"""The routine machine under a fake clock (plain floats): the caller's part, and the
states the routine tests start from (``tests/test_routine*.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple

from coach.routine.machine import RoutineMachine
from coach.routine.model import RoutineState, Transition

ROOT = Path(__file__).resolve().parent.parent.parent
ROUTINES_YML = ROOT / "content" / "routines.yml"
KNEE = "knee_to_chest_stretch"
ALL_ROUTINES = [KNEE, "supported_stretch_massage", "deep_massage", "release_tool_session"]
START = "start"  # not a command of coach.intents: Caller.do's name for machine.start

# what leaving the right-side hold of the knee to chest stretch says
TO_LEFT = ["release", "switch_sides", "step", "hold_start"]

# the statuses the tests start from, as the machine reaches them
IDLE, SETUP, HOLDING, PAUSED, FINISHED, STOPPED = (
    "idle",
    "running (setup step)",
    "running (in a hold)",
    "paused",
    "finished",
    "stopped",
)
NOW = 13.0  # five seconds into the right-side hold, which started at 8


class Caller:
    """Plays the caller's part the way the Rasa wiring does: keeps the state, says the
    cues, cancels and schedules reminders, and fires them when their time comes."""

    def __init__(self, machine: RoutineMachine, state: RoutineState | None = None) -> None:
        self.machine = machine
        self.state = state or RoutineState()
        self.pending: List[Tuple[float, str, int]] = []
        self.said: List[str] = []
        self.spoken: List[str] = []
        self.log: List[Tuple[float, str]] = []

    def apply(self, transition: Transition, now: float) -> Transition:
        if transition.cancel_previous:
            self.pending.clear()
        self.pending += [
            (now + s.delay_seconds, s.cue_name, s.generation) for s in transition.schedule
        ]
        self.pending.sort()
        self.said += transition.cue_names
        self.spoken += [cue.spoken for cue in transition.say]
        self.log += [(now, name) for name in transition.cue_names]
        # the slot round trip: only the dict survives between turns
        self.state = RoutineState.from_dict(json.loads(json.dumps(transition.state.to_dict())))
        return transition

    def do(self, command: str, now: float, *args: Any) -> Transition:
        """``start`` (with the routine id), or one of ``coach.intents.COMMANDS``."""
        if command == START:
            return self.apply(self.machine.start(self.state, now, *args), now)
        return self.apply(self.machine.handle(self.state, now, command, *args), now)

    def run_until(self, until: float) -> None:
        while self.pending and self.pending[0][0] <= until:
            at, name, generation = self.pending.pop(0)
            self.apply(self.machine.timer_fired(self.state, at, name, generation), at)

    def run_to_end(self) -> float:
        at = 0.0
        while self.pending:
            at = self.pending[0][0]
            self.run_until(at)
        return at


def started(machine: RoutineMachine, routine_id: str = KNEE, now: float = 0.0) -> Caller:
    caller = Caller(machine)
    caller.do(START, now, routine_id)
    return caller


def in_right_hold(machine: RoutineMachine) -> Caller:
    """The knee to chest stretch, in the right-side hold, which started at t=8."""
    caller = started(machine)
    caller.run_until(8)
    assert caller.state.step_index == 1 and caller.state.hold_started_at == 8
    return caller


def make_state(machine: RoutineMachine, status: str) -> RoutineState:
    """A state in ``status`` (one of the labels above), at ``NOW`` or before."""
    if status == IDLE:
        return RoutineState()
    if status == SETUP:
        return started(machine, now=10.0).state  # 3 s into its 8 s
    caller = in_right_hold(machine)
    if status == PAUSED:
        caller.do("pause", NOW)
    elif status == FINISHED:
        caller.run_to_end()
    elif status == STOPPED:
        caller.do("stop", NOW)
    return caller.state
