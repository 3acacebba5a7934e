"""Guided routines: the content of ``routines.yml``, its validation, and the slot's state."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import yaml

from coach.intents import NEXT, RESUME
from coach.routine.library import YamlRoutineLibrary
from coach.routine.model import LEFT, NO_SIDE, RIGHT, RoutineError, RoutineState, Status
from tests.support.routine import (
    ALL_ROUTINES,
    FINISHED,
    HOLDING,
    IDLE,
    KNEE,
    PAUSED,
    ROOT,
    ROUTINES_YML,
    SETUP,
    STOPPED,
    make_state,
)

GUIDE = ROOT.parent / "shared" / "content" / "psoas-guide.txt"


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
    assert machine.handle(state, 0, NEXT).cue_names == ["no_routine"]


def test_from_dict_keeps_what_is_valid_of_an_idle_state():
    kept = RoutineState.from_dict({"generation": 7, "hold_override_seconds": 45})
    assert (kept.generation, kept.hold_override_seconds) == (7, 45)
    dropped = RoutineState.from_dict({"generation": "7", "hold_override_seconds": 10000})
    assert (dropped.generation, dropped.hold_override_seconds) == (0, None)


def test_a_state_for_a_routine_that_no_longer_exists_is_made_idle(machine):
    ghost = RoutineState(
        routine_id="retired", status=Status.RUNNING, hold_started_at=0.0, generation=5
    )
    transition = machine.handle(ghost, 1, NEXT)
    assert transition.cue_names == ["no_routine"]
    assert transition.state.status is Status.IDLE and transition.cancel_previous
    assert transition.state.generation == 6
    beyond = RoutineState(routine_id=KNEE, step_index=9, status=Status.PAUSED, remaining_seconds=1)
    assert machine.handle(beyond, 1, RESUME).state.status is Status.IDLE
