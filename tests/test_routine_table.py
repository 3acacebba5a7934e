"""Guided routines: every command in every status, the machine's status x command table."""

from __future__ import annotations

import json
from typing import Callable, Dict, List, Tuple

import pytest

from coach import intents
from coach.routine.machine import COMMAND_HANDLERS, RoutineMachine
from coach.routine.model import HOLD_END, SETUP_END, RoutineState, Status, Transition
from tests.support.routine import (
    FINISHED,
    HOLDING,
    IDLE,
    KNEE,
    NOW,
    PAUSED,
    SETUP,
    STOPPED,
    TO_LEFT,
    make_state,
)

# ---------------------------------------------------------------------------
# Every command in every status


def pending_end(state: RoutineState) -> str:
    return SETUP_END if state.step_index == 0 else HOLD_END


Command = Callable[[RoutineMachine, RoutineState], Transition]
ARGS = {intents.SET_HOLD: 45}  # the commands that take an argument, and the one used


def _handled(command: str) -> Command:
    return lambda m, s: m.handle(s, NOW, command, ARGS.get(command))


# the machine's three entries: start, every command of coach.intents, timer_fired
COMMANDS: Dict[str, Command] = {
    "start": lambda m, s: m.start(s, NOW, KNEE),
    **{command: _handled(command) for command in intents.COMMANDS},
    "timer_fired": lambda m, s: m.timer_fired(s, NOW, pending_end(s), s.generation),
}

# (status after, step after or None for "unchanged", cues said)
Expected = Tuple[Status, int | None, List[str]]
START: Expected = (Status.RUNNING, 0, ["intro", "safety", "step"])


def _no_routine(status: Status) -> Dict[str, Expected]:
    """idle, finished and stopped answer alike: nothing is running."""
    same = (status, None)
    return {
        "start": START,
        "next": (*same, ["no_routine"]),
        "previous": (*same, ["no_routine"]),
        "repeat": (*same, ["no_routine"]),
        "pause": (*same, ["no_routine"]),
        "resume": (*same, ["no_routine"]),
        "stop": (*same, ["no_routine"]),
        "time_left": (*same, ["no_routine"]),
        "switch_sides": (*same, ["no_routine"]),
        "set_hold": (*same, ["hold_set"]),  # kept for the session
        "longer": (*same, ["hold_set"]),
        "shorter": (*same, ["hold_set"]),
        "timer_fired": (*same, []),
        "pain": (*same, ["pain"]),
        "reconnect": (*same, []),
    }


EXPECTED: Dict[str, Dict[str, Expected]] = {
    IDLE: _no_routine(Status.IDLE),
    FINISHED: _no_routine(Status.FINISHED),
    STOPPED: _no_routine(Status.STOPPED),
    SETUP: {
        "start": START,
        "next": (Status.RUNNING, 1, ["step", "hold_start"]),
        "previous": (Status.RUNNING, 0, ["step"]),
        "repeat": (Status.RUNNING, 0, ["step"]),
        "pause": (Status.PAUSED, 0, ["paused"]),
        "resume": (Status.RUNNING, 0, ["not_paused"]),
        "stop": (Status.STOPPED, 0, ["stopped"]),
        "time_left": (Status.RUNNING, 0, ["no_hold"]),
        "switch_sides": (Status.RUNNING, 2, ["switch_sides", "step", "hold_start"]),
        "set_hold": (Status.RUNNING, 0, ["hold_set"]),
        "longer": (Status.RUNNING, 0, ["hold_set"]),
        "shorter": (Status.RUNNING, 0, ["hold_set"]),
        "timer_fired": (Status.RUNNING, 1, ["step", "hold_start"]),
        "pain": (Status.STOPPED, 0, ["pain"]),
        "reconnect": (Status.RUNNING, 0, ["step"]),
    },
    HOLDING: {
        "start": START,
        "next": (Status.RUNNING, 2, TO_LEFT),
        "previous": (Status.RUNNING, 0, ["release", "step"]),
        "repeat": (Status.RUNNING, 1, ["step", "hold_start"]),
        "pause": (Status.PAUSED, 1, ["paused"]),
        "resume": (Status.RUNNING, 1, ["not_paused"]),
        "stop": (Status.STOPPED, 1, ["stopped"]),
        "time_left": (Status.RUNNING, 1, ["time_left"]),
        "switch_sides": (Status.RUNNING, 2, TO_LEFT),
        "set_hold": (Status.RUNNING, 1, ["hold_set"]),
        "longer": (Status.RUNNING, 1, ["hold_set"]),
        "shorter": (Status.RUNNING, 1, ["hold_set"]),
        "timer_fired": (Status.RUNNING, 2, TO_LEFT),
        "pain": (Status.STOPPED, 1, ["pain"]),
        "reconnect": (Status.RUNNING, 1, ["step", "time_left"]),
    },
    PAUSED: {
        "start": START,
        "next": (Status.RUNNING, 2, TO_LEFT),
        "previous": (Status.RUNNING, 0, ["release", "step"]),
        "repeat": (Status.RUNNING, 1, ["step", "hold_start"]),
        "pause": (Status.PAUSED, 1, ["already_paused"]),
        "resume": (Status.RUNNING, 1, ["resumed"]),
        "stop": (Status.STOPPED, 1, ["stopped"]),
        "time_left": (Status.PAUSED, 1, ["time_left"]),
        "switch_sides": (Status.RUNNING, 2, TO_LEFT),
        "set_hold": (Status.PAUSED, 1, ["hold_set"]),
        "longer": (Status.PAUSED, 1, ["hold_set"]),
        "shorter": (Status.PAUSED, 1, ["hold_set"]),
        "timer_fired": (Status.PAUSED, 1, []),
        "pain": (Status.STOPPED, 1, ["pain"]),
        "reconnect": (Status.PAUSED, 1, ["step", "paused"]),
    },
}

CASES = [(status, command) for status in EXPECTED for command in COMMANDS]


def test_the_table_covers_every_command_in_every_status():
    assert all(set(row) == set(COMMANDS) for row in EXPECTED.values())
    public = {
        name
        for name in dir(RoutineMachine)
        if not name.startswith("_") and callable(getattr(RoutineMachine, name))
    }
    assert public == {"start", "handle", "timer_fired"}
    # handle's table has one handler for each command, and nothing else
    assert set(COMMAND_HANDLERS) == set(intents.COMMANDS)
    assert set(COMMANDS) == {"start", "timer_fired", *intents.COMMANDS}


@pytest.mark.parametrize("command", ["start", "timer_fired", "dance", "", "NEXT"])
def test_an_unknown_command_is_refused(machine, command):
    with pytest.raises(ValueError, match="unknown routine command"):
        machine.handle(RoutineState(), NOW, command)


@pytest.mark.parametrize(("status", "command"), CASES)
def test_every_command_in_every_status(machine, status, command):
    before = make_state(machine, status)
    transition = COMMANDS[command](machine, before)
    want_status, want_step, want_cues = EXPECTED[status][command]
    assert transition.cue_names == want_cues
    assert transition.state.status is want_status
    want_step = before.step_index if want_step is None else want_step
    assert transition.state.step_index == want_step


@pytest.mark.parametrize(("status", "command"), CASES)
def test_every_transition_is_consistent(machine, status, command):
    before = make_state(machine, status)
    transition = COMMANDS[command](machine, before)
    after = transition.state
    # the slot holds plain JSON, and reads back the same
    assert RoutineState.from_dict(json.loads(json.dumps(after.to_dict(), allow_nan=False))) == after
    # generations only grow; a new one means every older reminder is obsolete
    assert after.generation >= before.generation
    assert transition.cancel_previous == (after.generation != before.generation)
    if transition.schedule:
        assert transition.cancel_previous
        assert {s.generation for s in transition.schedule} == {after.generation}
        assert all(s.delay_seconds > 0 for s in transition.schedule)
        assert after.status is Status.RUNNING
    if after.status is not Status.RUNNING:
        assert transition.schedule == []
    for cue in transition.say:
        assert cue.spoken and cue.text and "{" not in cue.spoken + cue.text
    # status-specific fields are consistent
    assert (after.hold_started_at is not None) == (after.status is Status.RUNNING)
    assert (after.remaining_seconds is not None) == (after.status is Status.PAUSED)
