"""Guided routines: the state machine under a fake clock (plain floats), a session at a time."""

from __future__ import annotations

import pytest

from coach.intents import NEXT, PAIN, PAUSE, STOP, TIME_LEFT
from coach.routine.machine import RoutineMachine
from coach.routine.model import (
    AWAY_LIMIT_SECONDS,
    HALFWAY,
    HOLD_END,
    SETUP_END,
    TEN_SECONDS_LEFT,
    RoutineState,
    Status,
)
from tests.support.routine import (
    ALL_ROUTINES,
    FINISHED,
    KNEE,
    TO_LEFT,
    in_right_hold,
    make_state,
    started,
)

# ---------------------------------------------------------------------------
# The happy path


def test_knee_to_chest_happy_path_in_order(machine):
    caller = started(machine)
    end = caller.run_to_end()
    assert caller.said == [
        "intro",
        "safety",
        "step",  # lie down
        "step",  # right knee to chest
        "hold_start",
        HALFWAY,
        TEN_SECONDS_LEFT,
        "release",
        "switch_sides",
        "step",  # left knee to chest
        "hold_start",
        HALFWAY,
        TEN_SECONDS_LEFT,
        "release",
        "routine_done",
    ]
    times = {name: [t for t, n in caller.log if n == name] for name in set(caller.said)}
    assert times["hold_start"] == [8, 38]
    assert times[HALFWAY] == [23, 53]
    assert times[TEN_SECONDS_LEFT] == [28, 58]
    assert times["release"] == [38, 68]
    assert end == 68
    assert caller.state.status is Status.FINISHED
    assert "Hold for 30 seconds." in caller.spoken
    assert "Now switch to your left side." in caller.spoken
    assert caller.spoken[-2:] == ["And release.", "That's it. Well done."]


@pytest.mark.parametrize("routine_id", ALL_ROUTINES)
def test_every_routine_runs_to_the_end_hands_free(machine, library, routine_id):
    caller = started(machine, routine_id)
    caller.run_to_end()
    routine = library.get(routine_id)
    assert routine is not None
    assert caller.said.count("step") == len(routine.steps)
    timed = sum(1 for s in routine.steps if s.hold_seconds > 0)
    assert caller.said.count("hold_start") + caller.said.count("massage_start") == timed
    assert caller.said.count("release") == timed
    assert caller.said[-1] == "routine_done"
    assert caller.state.status is Status.FINISHED
    assert caller.pending == []


def test_massage_steps_say_keep_going_not_hold(machine):
    caller = started(machine, "supported_stretch_massage")
    caller.run_to_end()
    assert caller.said.count("massage_start") == 4
    assert "Keep going for 30 seconds." in caller.spoken
    assert "hold_start" not in caller.said


def test_steps_are_timed_after_they_have_been_said(library):
    machine = RoutineMachine(library)  # default speech rate
    first = machine.start(RoutineState(), 0.0, KNEE)
    words = sum(len(c.spoken.split()) for c in first.say)
    lead_in = round(words / 2.5, 1)
    assert first.state.hold_started_at == lead_in
    assert [(s.cue_name, s.delay_seconds) for s in first.schedule] == [(SETUP_END, lead_in + 8)]
    hold = machine.timer_fired(first.state, lead_in + 8, SETUP_END, first.state.generation)
    said = sum(len(c.spoken.split()) for c in hold.say)
    hold_lead_in = round(said / 2.5, 1)
    assert [(s.cue_name, s.delay_seconds) for s in hold.schedule] == [
        (HALFWAY, hold_lead_in + 15),
        (TEN_SECONDS_LEFT, hold_lead_in + 20),
        (HOLD_END, hold_lead_in + 30),
    ]
    # while the step is still being said, the whole hold is left
    assert machine.handle(hold.state, lead_in + 9, TIME_LEFT).say[0].spoken == "30 seconds left."


# ---------------------------------------------------------------------------
# Moving through a routine


def test_next_past_the_last_step_finishes(machine):
    caller = in_right_hold(machine)
    caller.do("next", 10)
    assert caller.state.step_index == 2
    done = caller.do("next", 12)
    assert done.cue_names == ["release", "routine_done"]
    assert caller.state.status is Status.FINISHED
    assert caller.pending == []
    assert caller.do("next", 14).cue_names == ["no_routine"]


def test_previous_on_the_first_step_starts_it_again(machine):
    caller = started(machine)
    again = caller.do("previous", 3)
    assert again.cue_names == ["step"] and caller.state.step_index == 0
    assert [(s.cue_name, s.delay_seconds) for s in again.schedule] == [(SETUP_END, 8)]


def test_previous_across_sides_says_the_switch(machine):
    caller = in_right_hold(machine)
    caller.do("next", 10)
    back = caller.do("previous", 15)
    assert back.cue_names == ["release", "switch_sides", "step", "hold_start"]
    assert back.say[1].spoken == "Now switch to your right side."
    assert caller.state.step_index == 1


def test_repeat_restarts_the_hold(machine):
    caller = in_right_hold(machine)
    again = caller.do("repeat", 20)
    assert caller.state.hold_started_at == 20
    assert [(s.cue_name, s.delay_seconds) for s in again.schedule] == [
        (HALFWAY, 15),
        (TEN_SECONDS_LEFT, 20),
        (HOLD_END, 30),
    ]


def test_start_while_running_switches_routine_cleanly(machine):
    caller = in_right_hold(machine)
    old_generation = caller.state.generation
    switched = caller.do("start", 20, "deep_massage")
    assert caller.state.routine_id == "deep_massage" and caller.state.step_index == 0
    assert switched.cancel_previous and caller.state.generation > old_generation
    # a reminder of the old routine that fires anyway is ignored
    assert machine.timer_fired(caller.state, 38, HOLD_END, old_generation).say == []


def test_start_an_unknown_routine_changes_nothing(machine):
    caller = in_right_hold(machine)
    before = caller.state
    refused = caller.do("start", 20, "headstand")
    assert refused.cue_names == ["unknown_routine"]
    assert caller.state == before and not refused.cancel_previous


def test_switch_sides(machine):
    caller = in_right_hold(machine)
    caller.do("switch_sides", 12)
    assert caller.state.step_index == 2
    back = caller.do("switch_sides", 14)
    assert back.say[1].spoken == "Now switch to your right side."
    assert caller.state.step_index == 1
    # the supported massage goes to the first left step, a setup step: no hold yet
    massage = started(machine, "supported_stretch_massage")
    massage.run_until(8 + 10 + 30)  # into the right thigh massage... then spine circles
    assert massage.state.step_index == 3
    jumped = massage.do("switch_sides", 50)
    assert jumped.cue_names == ["release", "switch_sides", "step"]
    assert massage.state.step_index == 4
    # the deep massage has no sides
    deep = started(machine, "deep_massage")
    assert deep.do("switch_sides", 1).cue_names == ["no_sides"]
    assert deep.state.step_index == 0


# ---------------------------------------------------------------------------
# Pause, resume, time left, stale reminders


def test_pause_freezes_the_time_left_and_resume_continues_it(machine):
    caller = in_right_hold(machine)
    caller.do("pause", 18)  # 10 s held, 20 s left
    assert caller.state.remaining_seconds == 20
    assert caller.pending == []
    assert caller.do("time_left", 100).say[0].spoken == "20 seconds left."
    resumed = caller.do("resume", 200)
    assert resumed.cue_names == ["resumed"]
    assert caller.state.hold_started_at == 190  # as if the hold began 10 s ago
    assert [(s.cue_name, s.delay_seconds) for s in resumed.schedule] == [
        (HALFWAY, 5),
        (TEN_SECONDS_LEFT, 10),
        (HOLD_END, 20),
    ]
    assert caller.do("time_left", 205).say[0].spoken == "15 seconds left."
    caller.run_until(220)
    assert caller.said[-4:] == ["release", "switch_sides", "step", "hold_start"]


def test_pause_after_halfway_does_not_repeat_it(machine):
    caller = in_right_hold(machine)
    caller.run_until(25)  # halfway said at 23
    caller.do("pause", 25)
    resumed = caller.do("resume", 40)
    assert [s.cue_name for s in resumed.schedule] == [TEN_SECONDS_LEFT, HOLD_END]


def test_pause_during_a_setup_step_keeps_its_time(machine):
    caller = started(machine)
    caller.do("pause", 3)
    assert caller.state.remaining_seconds == 5
    resumed = caller.do("resume", 50)
    assert [(s.cue_name, s.delay_seconds) for s in resumed.schedule] == [(SETUP_END, 5)]


def test_time_left_rounds_up_and_changes_nothing(machine):
    caller = in_right_hold(machine)
    asked = caller.do("time_left", 8.4)
    assert asked.say[0].spoken == "30 seconds left."
    assert asked.schedule == [] and not asked.cancel_previous
    assert caller.do("time_left", 30.5).say[0].spoken == "8 seconds left."


def test_stale_generations_are_ignored(machine):
    caller = in_right_hold(machine)
    old = caller.state.generation
    caller.do("pause", 10)
    caller.do("resume", 11)
    assert caller.state.generation > old
    for name in (HALFWAY, TEN_SECONDS_LEFT, HOLD_END, SETUP_END):
        stale = machine.timer_fired(caller.state, 23, name, old)
        assert stale.say == [] and stale.state == caller.state and stale.schedule == []
    # the current generation works, even when it comes back as text
    fired = machine.timer_fired(caller.state, 40, HOLD_END, str(caller.state.generation))
    assert fired.cue_names == TO_LEFT
    # and an unknown cue name is ignored
    assert machine.timer_fired(caller.state, 40, "bogus", caller.state.generation).say == []


def test_cues_arriving_while_paused_or_stopped_are_ignored(machine):
    caller = in_right_hold(machine)
    generation = caller.state.generation
    paused = machine.handle(caller.state, 10, PAUSE).state
    assert machine.timer_fired(paused, 23, HALFWAY, paused.generation).say == []
    assert machine.timer_fired(paused, 23, HALFWAY, generation).say == []
    stopped = machine.handle(caller.state, 10, STOP).state
    assert machine.timer_fired(stopped, 38, HOLD_END, stopped.generation).say == []


def test_resume_when_not_paused_says_so(machine):
    caller = in_right_hold(machine)
    assert caller.do("resume", 10).say[0].spoken == "We're not paused. Keep going."
    assert caller.pending, "the hold keeps running"


def test_no_routine_cue(machine):
    said = machine.handle(RoutineState(), 0, NEXT).say
    assert said[0].name == "no_routine"
    assert said[0].spoken == "There's no stretch running. Say 'start the psoas stretch' to begin."


# ---------------------------------------------------------------------------
# Pain


def test_pain_stops_at_once(machine):
    caller = in_right_hold(machine)
    stopped = caller.do("pain", 15)
    assert stopped.cue_names == ["pain"]
    assert stopped.cancel_previous and caller.pending == []
    assert caller.state.status is Status.STOPPED
    # nothing brings it back but a fresh start
    assert caller.do("resume", 20).cue_names == ["no_routine"]
    assert machine.timer_fired(caller.state, 38, HOLD_END, caller.state.generation - 1).say == []
    assert caller.do("start", 60, KNEE).cue_names == ["intro", "safety", "step"]


def test_pain_with_nothing_running_still_says_so(machine):
    for state in (RoutineState(), make_state(machine, FINISHED)):
        transition = machine.handle(state, 0, PAIN)
        assert transition.cue_names == ["pain"]
        assert transition.state == state


# ---------------------------------------------------------------------------
# Reconnecting


def test_reconnect_mid_hold_reschedules_what_is_left(machine):
    caller = in_right_hold(machine)
    old = caller.state.generation
    back = caller.do("reconnect", 20)  # 12 s held, 18 s left
    assert back.cue_names == ["step", "time_left"]
    assert back.say[1].spoken == "18 seconds left."
    assert back.cancel_previous and caller.state.generation == old + 1
    assert caller.state.hold_started_at == 8
    assert [(s.cue_name, s.delay_seconds) for s in back.schedule] == [
        (HALFWAY, 3),
        (TEN_SECONDS_LEFT, 8),
        (HOLD_END, 18),
    ]
    # a reminder that survived from before is now stale
    assert machine.timer_fired(caller.state, 38, HOLD_END, old).say == []


def test_reconnect_during_a_setup_step(machine):
    caller = started(machine)
    back = caller.do("reconnect", 5)
    assert back.cue_names == ["step"]
    assert [(s.cue_name, s.delay_seconds) for s in back.schedule] == [(SETUP_END, 3)]


def test_reconnect_after_the_hold_ran_out_moves_on(machine):
    caller = in_right_hold(machine)
    back = caller.do("reconnect", 38 + AWAY_LIMIT_SECONDS)
    assert back.cue_names == TO_LEFT
    assert caller.state.status is Status.RUNNING and caller.state.step_index == 2
    assert caller.state.hold_started_at == 38 + AWAY_LIMIT_SECONDS


def test_reconnect_long_after_the_hold_ran_out_waits_for_the_person(machine):
    caller = in_right_hold(machine)
    back = caller.do("reconnect", 3600)
    assert back.cue_names == ["welcome_back", "step"]
    assert back.schedule == [] and back.cancel_previous
    assert caller.state.status is Status.PAUSED and caller.state.step_index == 2
    assert caller.state.remaining_seconds == 30
    resumed = caller.do("resume", 3700)
    assert [s.delay_seconds for s in resumed.schedule] == [15, 20, 30]


def test_reconnect_after_the_last_hold_ran_out_finishes(machine):
    caller = in_right_hold(machine)
    caller.do("next", 10)  # the left hold, from t=10
    assert caller.do("reconnect", 45).cue_names == ["release", "routine_done"]
    assert caller.state.status is Status.FINISHED
    caller = in_right_hold(machine)
    caller.do("next", 10)
    assert caller.do("reconnect", 5000).cue_names == ["routine_done"]
    assert caller.state.status is Status.FINISHED


def test_reconnect_while_paused_stays_paused(machine):
    caller = in_right_hold(machine)
    caller.do("pause", 18)
    back = caller.do("reconnect", 5000)
    assert back.cue_names == ["step", "paused"]
    assert caller.state.remaining_seconds == 20 and back.schedule == []
