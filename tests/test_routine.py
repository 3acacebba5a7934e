"""Guided routines: the content, and the state machine under a fake clock (plain floats)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
import yaml

from coach.routine.machine import (
    AWAY_LIMIT_SECONDS,
    HALFWAY,
    HOLD_END,
    LEFT,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    NO_SIDE,
    RIGHT,
    SETUP_END,
    TEN_SECONDS_LEFT,
    RoutineError,
    RoutineMachine,
    RoutineState,
    Status,
    Transition,
    YamlRoutineLibrary,
)

ROOT = Path(__file__).resolve().parent.parent
ROUTINES_YML = ROOT / "content" / "routines.yml"
GUIDE = ROOT.parent / "shared" / "content" / "psoas-guide.txt"
KNEE = "knee_to_chest_stretch"
ALL_ROUTINES = [KNEE, "supported_stretch_massage", "deep_massage", "release_tool_session"]


@pytest.fixture(scope="module")
def library() -> YamlRoutineLibrary:
    return YamlRoutineLibrary(ROUTINES_YML)


@pytest.fixture
def machine(library: YamlRoutineLibrary) -> RoutineMachine:
    """No speech lead-in, so that the times below are round numbers."""
    return RoutineMachine(library, words_per_second=None)


class Caller:
    """Plays the caller's part the way the Rasa wiring will: keeps the state, says the
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
        return self.apply(getattr(self.machine, command)(self.state, now, *args), now)

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
    caller.do("start", now, routine_id)
    return caller


def in_right_hold(machine: RoutineMachine) -> Caller:
    """The knee to chest stretch, in the right-side hold, which started at t=8."""
    caller = started(machine)
    caller.run_until(8)
    assert caller.state.step_index == 1 and caller.state.hold_started_at == 8
    return caller


# ---------------------------------------------------------------------------
# The content


def test_the_routines_load(library):
    assert library.ids() == ALL_ROUTINES
    for routine_id in ALL_ROUTINES:
        routine = library.get(routine_id)
        assert routine is not None and routine.title and routine.guide
    assert library.get("nope") is None


def test_every_routine_has_holds_and_works_right_then_left(library):
    for routine_id in ALL_ROUTINES:
        routine = library.get(routine_id)
        assert routine is not None
        assert any(step.hold_seconds > 0 for step in routine.steps), routine_id
        assert routine.steps[0].hold_seconds == 0, "starts by getting into position"
        sides = [step.side for step in routine.steps if step.side != NO_SIDE]
        if routine_id == "deep_massage":
            assert sides == []  # both hands, both sides of the spine at once
            continue
        half = len(sides) // 2
        assert sides == [RIGHT] * half + [LEFT] * half, routine_id
        right = [s for s in routine.steps if s.side == RIGHT]
        left = [s for s in routine.steps if s.side == LEFT]
        # the left side mirrors the right: same holds, same kinds, "right" -> "left"
        assert [(s.hold_seconds, s.kind) for s in right] == [(s.hold_seconds, s.kind) for s in left]
        for r, lt in zip(right, left, strict=True):
            assert "right" in r.spoken.lower() or "spine" in r.spoken.lower()
            assert lt.id == r.id.replace("right", "left"), routine_id


def test_the_first_stretch_uses_the_guides_own_30_seconds(library):
    routine = library.get(KNEE)
    assert routine is not None
    assert [(s.side, s.hold_seconds) for s in routine.steps] == [
        (NO_SIDE, 0),
        (RIGHT, 30),
        (LEFT, 30),
    ]
    assert "knee toward your chest" in routine.steps[1].spoken
    assert "press gently" in routine.steps[1].spoken


def test_every_timing_says_whose_it_is():
    """Only the knee to chest stretch's 30 s is the guide's; the rest are ours."""
    for line in ROUTINES_YML.read_text(encoding="utf-8").splitlines():
        match = re.search(r"hold_seconds: (\d+)\s*(#.*)?$", line)
        if match and match.group(1) != "0":
            comment = match.group(2) or ""
            assert "guide" in comment or "ours" in comment, line.strip()


@pytest.mark.skipif(not GUIDE.exists(), reason="the source guide is not next to the project")
def test_every_quote_is_verbatim_from_the_guide(library):
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    for routine_id in library.ids():
        routine = library.get(routine_id)
        assert routine is not None
        for step in routine.steps:
            if step.hold_seconds > 0:
                assert step.guide, f"{routine_id}.{step.id} quotes no guide text"
            for quote in step.guide:
                assert " ".join(quote.split()) in guide, (routine_id, step.id, quote)


def test_spoken_forms_are_short(library):
    raw = yaml.safe_load(ROUTINES_YML.read_text(encoding="utf-8"))
    for name, cue in raw["cues"].items():
        assert len(cue["spoken"].split()) <= 12, name
        assert "*" not in cue["spoken"], name
    for routine_id in library.ids():
        routine = library.get(routine_id)
        assert routine is not None
        # one short sentence before the countdown
        assert len(routine.intro.spoken.split()) <= 16, routine_id
        assert len(re.findall(r"[.!?](\s|$)", routine.intro.spoken)) == 1, routine_id
        assert len(routine.safety.spoken.split()) <= 12, routine_id
        assert not re.search(r"\d", routine.intro.spoken), "a hold may be the person's own"
        for step in routine.steps:
            assert len(step.spoken.split()) <= 32, (routine_id, step.id)
            assert "*" not in step.spoken and "\n" not in step.spoken


def _write(tmp_path: Path, change: Callable[[Dict[str, Any]], None]) -> YamlRoutineLibrary:
    raw = yaml.safe_load(ROUTINES_YML.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "routines.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return YamlRoutineLibrary(path)


def _step(raw: Dict[str, Any], key: str, value: Any) -> None:
    raw["routines"][0]["steps"][1][key] = value


BROKEN = {
    "duplicate routine id": lambda r: r["routines"].append(dict(r["routines"][0])),
    "duplicate step id": lambda r: r["routines"][0]["steps"].append(r["routines"][0]["steps"][1]),
    "negative hold": lambda r: _step(r, "hold_seconds", -5),
    "absurd hold": lambda r: _step(r, "hold_seconds", 10000),
    "hold not a number": lambda r: _step(r, "hold_seconds", "thirty"),
    "unknown side": lambda r: _step(r, "side", "middle"),
    "unknown kind": lambda r: _step(r, "kind", "yoga"),
    "empty spoken": lambda r: _step(r, "spoken", ""),
    "no hold at all": lambda r: [s.update(hold_seconds=0) for s in r["routines"][0]["steps"]],
    "missing cue": lambda r: r["cues"].pop("release"),
    "unknown placeholder": lambda r: r["cues"]["release"].update(spoken="Release {side}."),
    "bad settle": lambda r: r.update(settle_seconds=0),
    "routine without id": lambda r: r["routines"][0].pop("id"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_malformed_routines_are_refused(tmp_path, broken):
    library = _write(tmp_path, BROKEN[broken])
    with pytest.raises(RoutineError):
        library.ids()


def test_loading_is_lazy(tmp_path):
    library = YamlRoutineLibrary(tmp_path / "missing.yml")  # nothing read yet
    with pytest.raises(FileNotFoundError):
        library.get(KNEE)


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
    assert machine.time_left(hold.state, lead_in + 9).say[0].spoken == "30 seconds left."


# ---------------------------------------------------------------------------
# Every command in every status

IDLE, SETUP, HOLDING, PAUSED, FINISHED, STOPPED = (
    "idle",
    "running (setup step)",
    "running (in a hold)",
    "paused",
    "finished",
    "stopped",
)
NOW = 13.0  # five seconds into the right-side hold, which started at 8


def make_state(machine: RoutineMachine, status: str) -> RoutineState:
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


def pending_end(state: RoutineState) -> str:
    return SETUP_END if state.step_index == 0 else HOLD_END


COMMANDS: Dict[str, Callable[[RoutineMachine, RoutineState], Transition]] = {
    "start": lambda m, s: m.start(s, NOW, KNEE),
    "next": lambda m, s: m.next(s, NOW),
    "previous": lambda m, s: m.previous(s, NOW),
    "repeat": lambda m, s: m.repeat(s, NOW),
    "pause": lambda m, s: m.pause(s, NOW),
    "resume": lambda m, s: m.resume(s, NOW),
    "stop": lambda m, s: m.stop(s, NOW),
    "time_left": lambda m, s: m.time_left(s, NOW),
    "switch_sides": lambda m, s: m.switch_sides(s, NOW),
    "set_hold": lambda m, s: m.set_hold(s, NOW, 45),
    "longer": lambda m, s: m.longer(s, NOW),
    "shorter": lambda m, s: m.shorter(s, NOW),
    "timer_fired": lambda m, s: m.timer_fired(s, NOW, pending_end(s), s.generation),
    "pain": lambda m, s: m.pain(s, NOW),
    "resume_after_reconnect": lambda m, s: m.resume_after_reconnect(s, NOW),
}

# (status after, step after or None for "unchanged", cues said)
Expected = Tuple[Status, int | None, List[str]]
START: Expected = (Status.RUNNING, 0, ["intro", "safety", "step"])
TO_LEFT = ["release", "switch_sides", "step", "hold_start"]


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
        "resume_after_reconnect": (*same, []),
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
        "resume_after_reconnect": (Status.RUNNING, 0, ["step"]),
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
        "resume_after_reconnect": (Status.RUNNING, 1, ["step", "time_left"]),
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
        "resume_after_reconnect": (Status.PAUSED, 1, ["step", "paused"]),
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
    assert public == set(COMMANDS)


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
    paused = machine.pause(caller.state, 10).state
    assert machine.timer_fired(paused, 23, HALFWAY, paused.generation).say == []
    assert machine.timer_fired(paused, 23, HALFWAY, generation).say == []
    stopped = machine.stop(caller.state, 10).state
    assert machine.timer_fired(stopped, 38, HOLD_END, stopped.generation).say == []


def test_resume_when_not_paused_says_so(machine):
    caller = in_right_hold(machine)
    assert caller.do("resume", 10).say[0].spoken == "We're not paused. Keep going."
    assert caller.pending, "the hold keeps running"


def test_no_routine_cue(machine):
    said = machine.next(RoutineState(), 0).say
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
        transition = machine.pain(state, 0)
        assert transition.cue_names == ["pain"]
        assert transition.state == state


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
    assert machine.set_hold(state, 0, MIN_HOLD_SECONDS).state.hold_override_seconds == 5
    assert machine.set_hold(state, 0, MAX_HOLD_SECONDS).state.hold_override_seconds == 180
    assert machine.set_hold(state, 0, 44.6).state.hold_override_seconds == 45


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
        state = machine.shorter(state, 0).state
        assert state.hold_override_seconds == expected
    at_min = machine.shorter(state, 0)
    assert at_min.cue_names == ["hold_at_min"] and at_min.state == state
    state = machine.set_hold(state, 0, 170).state
    state = machine.longer(state, 0).state
    assert state.hold_override_seconds == 180
    at_max = machine.longer(state, 0)
    assert at_max.cue_names == ["hold_at_max"]
    assert at_max.say[0].spoken == "180 seconds is the longest hold I'll time."


def test_longer_on_a_setup_step_is_relative_to_the_hold_ahead(library):
    machine = RoutineMachine(library, words_per_second=None)
    tool = started(machine, "release_tool_session")  # holds of 20 s ahead
    tool.do("longer", 2)
    assert tool.state.hold_override_seconds == 35
    assert tool.state.step_index == 0 and tool.pending[0][1] == SETUP_END


# ---------------------------------------------------------------------------
# The slot


@pytest.mark.parametrize("status", [IDLE, SETUP, HOLDING, PAUSED, FINISHED, STOPPED])
def test_to_dict_from_dict_round_trip(machine, status):
    state = make_state(machine, status)
    data = state.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert all(isinstance(v, (str, int, float, type(None))) for v in data.values())
    assert RoutineState.from_dict(data) == state
    assert data["status"] == state.status.value


GARBAGE: List[Any] = [
    None,
    "running",
    42,
    [],
    {},
    {"status": "running"},
    {"status": "dancing", "routine_id": KNEE},
    {"status": ["running"], "routine_id": KNEE},
    {"status": "running", "routine_id": KNEE, "step_index": 1, "hold_seconds": 30},
    {"status": "paused", "routine_id": KNEE, "step_index": 1, "hold_seconds": 30},
    {"status": "running", "routine_id": 7, "step_index": 1, "hold_seconds": 30},
    {"status": "running", "routine_id": KNEE, "step_index": -1, "hold_started_at": 5.0},
    {"status": "running", "routine_id": KNEE, "step_index": True, "hold_started_at": 5.0},
    {"status": "running", "routine_id": KNEE, "step_index": "1", "hold_started_at": 5.0},
    {
        "status": "running",
        "routine_id": KNEE,
        "step_index": 1,
        "hold_seconds": 30,
        "hold_started_at": math.nan,
    },
    {
        "status": "paused",
        "routine_id": KNEE,
        "step_index": 1,
        "hold_seconds": 30,
        "remaining_seconds": -3,
    },
]


@pytest.mark.parametrize("data", GARBAGE)
def test_from_dict_tolerates_garbage(machine, data):
    state = RoutineState.from_dict(data)
    assert state.status is Status.IDLE and state.routine_id is None
    assert machine.next(state, 0).cue_names == ["no_routine"]


def test_from_dict_keeps_what_is_valid_of_an_idle_state():
    kept = RoutineState.from_dict({"generation": 7, "hold_override_seconds": 45})
    assert (kept.generation, kept.hold_override_seconds) == (7, 45)
    dropped = RoutineState.from_dict({"generation": "7", "hold_override_seconds": 10000})
    assert (dropped.generation, dropped.hold_override_seconds) == (0, None)


def test_a_state_for_a_routine_that_no_longer_exists_is_made_idle(machine):
    ghost = RoutineState(
        routine_id="retired", status=Status.RUNNING, hold_started_at=0.0, generation=5
    )
    transition = machine.next(ghost, 1)
    assert transition.cue_names == ["no_routine"]
    assert transition.state.status is Status.IDLE and transition.cancel_previous
    assert transition.state.generation == 6
    beyond = RoutineState(routine_id=KNEE, step_index=9, status=Status.PAUSED, remaining_seconds=1)
    assert machine.resume(beyond, 1).state.status is Status.IDLE


# ---------------------------------------------------------------------------
# Reconnecting


def test_reconnect_mid_hold_reschedules_what_is_left(machine):
    caller = in_right_hold(machine)
    old = caller.state.generation
    back = caller.do("resume_after_reconnect", 20)  # 12 s held, 18 s left
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
    back = caller.do("resume_after_reconnect", 5)
    assert back.cue_names == ["step"]
    assert [(s.cue_name, s.delay_seconds) for s in back.schedule] == [(SETUP_END, 3)]


def test_reconnect_after_the_hold_ran_out_moves_on(machine):
    caller = in_right_hold(machine)
    back = caller.do("resume_after_reconnect", 38 + AWAY_LIMIT_SECONDS)
    assert back.cue_names == TO_LEFT
    assert caller.state.status is Status.RUNNING and caller.state.step_index == 2
    assert caller.state.hold_started_at == 38 + AWAY_LIMIT_SECONDS


def test_reconnect_long_after_the_hold_ran_out_waits_for_the_person(machine):
    caller = in_right_hold(machine)
    back = caller.do("resume_after_reconnect", 3600)
    assert back.cue_names == ["welcome_back", "step"]
    assert back.schedule == [] and back.cancel_previous
    assert caller.state.status is Status.PAUSED and caller.state.step_index == 2
    assert caller.state.remaining_seconds == 30
    resumed = caller.do("resume", 3700)
    assert [s.delay_seconds for s in resumed.schedule] == [15, 20, 30]


def test_reconnect_after_the_last_hold_ran_out_finishes(machine):
    caller = in_right_hold(machine)
    caller.do("next", 10)  # the left hold, from t=10
    assert caller.do("resume_after_reconnect", 45).cue_names == ["release", "routine_done"]
    assert caller.state.status is Status.FINISHED
    caller = in_right_hold(machine)
    caller.do("next", 10)
    assert caller.do("resume_after_reconnect", 5000).cue_names == ["routine_done"]
    assert caller.state.status is Status.FINISHED


def test_reconnect_while_paused_stays_paused(machine):
    caller = in_right_hold(machine)
    caller.do("pause", 18)
    back = caller.do("resume_after_reconnect", 5000)
    assert back.cue_names == ["step", "paused"]
    assert caller.state.remaining_seconds == 20 and back.schedule == []
