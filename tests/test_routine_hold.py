"""Guided routines: the hold length (set, longer, shorter, a start with one), fake clock."""

from __future__ import annotations

import math

import pytest

from coach.intents import LONGER, SET_HOLD, SHORTER
from coach.routine.machine import RoutineMachine
from coach.routine.model import (
    HALFWAY,
    HOLD_END,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    SETUP_END,
    TEN_SECONDS_LEFT,
    RoutineState,
    Status,
)
from tests.support.routine import KNEE, in_right_hold, started

# ---------------------------------------------------------------------------
# Hold length


@pytest.mark.parametrize("seconds", [0, -5, 10000, 4, 181, None, math.nan, math.inf, "abc"])
def test_set_hold_out_of_range_changes_nothing(machine, seconds):
    caller = in_right_hold(machine)
    before = caller.state
    refused = caller.do("set_hold", 15, seconds)
    assert refused.cue_names == ["hold_out_of_range"]
    assert refused.say[0].spoken == "I can set holds between 5 and 180 seconds."
    assert caller.state == before and refused.schedule == [] and not refused.cancel_previous


def test_set_hold_45_applies_now_and_for_the_rest_of_the_session(machine):
    caller = in_right_hold(machine)
    set_to = caller.do("set_hold", 13, 45)  # 5 s into the hold
    assert set_to.say[0].spoken == "Okay, 45 seconds."
    assert caller.state.hold_seconds == 45 and caller.state.hold_override_seconds == 45
    assert caller.state.hold_started_at == 8  # the time already held counts
    assert [(s.cue_name, s.delay_seconds) for s in set_to.schedule] == [
        (HALFWAY, 17.5),
        (TEN_SECONDS_LEFT, 30),
        (HOLD_END, 40),
    ]
    caller.run_until(53)
    assert caller.spoken[-1] == "Hold for 45 seconds."  # the left side too
    caller.run_to_end()
    # still the preference when the routine is started again
    again = caller.do("start", 500, KNEE)
    assert again.state.hold_override_seconds == 45
    caller.run_until(500 + 8)
    assert caller.spoken[-1] == "Hold for 45 seconds."


def test_set_hold_bounds_are_inclusive_and_round(machine):
    state = RoutineState()
    assert machine.handle(state, 0, SET_HOLD, MIN_HOLD_SECONDS).state.hold_override_seconds == 5
    assert machine.handle(state, 0, SET_HOLD, MAX_HOLD_SECONDS).state.hold_override_seconds == 180
    assert machine.handle(state, 0, SET_HOLD, 44.6).state.hold_override_seconds == 45


def test_shortening_below_the_time_held_ends_the_hold(machine):
    caller = in_right_hold(machine)
    ended = caller.do("set_hold", 28, 10)  # 20 s held already
    assert ended.cue_names == ["hold_set", "release", "switch_sides", "step", "hold_start"]
    assert ended.say[-1].spoken == "Hold for 10 seconds."
    # a 10 s hold gets neither halfway nor ten seconds left
    assert [s.cue_name for s in ended.schedule] == [HOLD_END]


def test_set_hold_while_paused_adjusts_the_time_left(machine):
    caller = in_right_hold(machine)
    caller.do("pause", 18)  # 10 s held
    caller.do("set_hold", 30, 45)
    assert caller.state.status is Status.PAUSED and caller.state.remaining_seconds == 35
    assert caller.do("time_left", 40).say[0].spoken == "35 seconds left."
    caller.do("set_hold", 50, 5)  # already held longer: the hold ends on resume
    resumed = caller.do("resume", 60)
    assert resumed.cue_names == ["resumed", "release", "switch_sides", "step", "hold_start"]


def test_start_with_a_hold_override(machine):
    started_45 = machine.start(RoutineState(), 0, KNEE, hold_override=45)
    assert started_45.state.hold_override_seconds == 45
    refused = machine.start(RoutineState(), 0, KNEE, hold_override=10000)
    assert refused.cue_names == ["hold_out_of_range", "intro", "safety", "step"]
    assert refused.state.hold_override_seconds is None


def test_longer_and_shorter(machine):
    caller = in_right_hold(machine)
    assert caller.do("longer", 10).say[0].spoken == "Okay, 45 seconds."
    assert caller.state.hold_seconds == 45
    caller.do("shorter", 11)
    assert caller.state.hold_seconds == 35
    caller.do("shorter", 12)
    assert caller.state.hold_override_seconds == 25


def test_shorter_and_longer_stop_at_the_limits(machine):
    state = RoutineState()
    for expected in (20, 10, 5):
        state = machine.handle(state, 0, SHORTER).state
        assert state.hold_override_seconds == expected
    at_min = machine.handle(state, 0, SHORTER)
    assert at_min.cue_names == ["hold_at_min"] and at_min.state == state
    state = machine.handle(state, 0, SET_HOLD, 170).state
    state = machine.handle(state, 0, LONGER).state
    assert state.hold_override_seconds == 180
    at_max = machine.handle(state, 0, LONGER)
    assert at_max.cue_names == ["hold_at_max"]
    assert at_max.say[0].spoken == "180 seconds is the longest hold I'll time."


def test_longer_on_a_setup_step_is_relative_to_the_hold_ahead(library):
    machine = RoutineMachine(library, words_per_second=None)
    tool = started(machine, "release_tool_session")  # holds of 20 s ahead
    tool.do("longer", 2)
    assert tool.state.hold_override_seconds == 35
    assert tool.state.step_index == 0 and tool.pending[0][1] == SETUP_END
