"""The routine's data: routines and their steps, cues, the state kept in a slot, and
what a command returns (a :class:`Transition`). No I/O, no clock.

``RoutineState`` is stored in the ``routine`` slot as ``to_dict()`` (JSON-safe) and
read back with ``from_dict``, which turns anything missing or inconsistent into an
idle state. ``hold_started_at`` is when the current hold (or, for a setup step,
the time to get into position) starts counting: once its cues have been said, so
it may lie a few seconds after ``now``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple

from coach.content.store import ContentError

MIN_HOLD_SECONDS = 5
MAX_HOLD_SECONDS = 180
LONGER_BY_SECONDS = 15
SHORTER_BY_SECONDS = 10
DEFAULT_HOLD_SECONDS = 30  # base for "longer"/"shorter" when nothing else says
HALFWAY_FROM_SECONDS = 20  # holds this long get a "halfway" cue
TEN_SECONDS_LEFT_FROM_SECONDS = 25  # holds this long get a "ten seconds left" cue
AWAY_LIMIT_SECONDS = 120  # on reconnect, a hold over by more than this pauses

RIGHT, LEFT, NO_SIDE = "right", "left", "none"
SIDES = (RIGHT, LEFT, NO_SIDE)
OTHER_SIDE = {RIGHT: LEFT, LEFT: RIGHT}
HOLD, MASSAGE = "hold", "massage"
STEP_KINDS = (HOLD, MASSAGE)

# names of the scheduled (timed) cues
HALFWAY = "halfway"
TEN_SECONDS_LEFT = "ten_seconds_left"
HOLD_END = "hold_end"  # a hold ran out: release, then the next step
SETUP_END = "setup_end"  # the time to get into position ran out: the next step

# names of the cues said that are not templates from ``cues``
INTRO, SAFETY, STEP = "intro", "safety", "step"

# every cue template the machine uses, with the placeholders it fills in
CUE_PLACEHOLDERS: Dict[str, FrozenSet[str]] = {
    "hold_start": frozenset({"seconds"}),
    "massage_start": frozenset({"seconds"}),
    HALFWAY: frozenset(),
    TEN_SECONDS_LEFT: frozenset(),
    "release": frozenset(),
    "switch_sides": frozenset({"side"}),
    "routine_done": frozenset(),
    "paused": frozenset(),
    "already_paused": frozenset(),
    "resumed": frozenset(),
    "not_paused": frozenset(),
    "stopped": frozenset(),
    "time_left": frozenset({"seconds"}),
    "no_hold": frozenset(),
    "no_routine": frozenset(),
    "unknown_routine": frozenset(),
    "no_sides": frozenset(),
    "hold_set": frozenset({"seconds"}),
    "hold_out_of_range": frozenset({"min_seconds", "max_seconds"}),
    "hold_at_max": frozenset({"seconds"}),
    "hold_at_min": frozenset({"seconds"}),
    "pain": frozenset(),
    "welcome_back": frozenset(),
}


class RoutineError(ContentError):
    """``routines.yml`` is malformed."""


class Status(str, Enum):
    """Where a routine is. ``running`` covers both a hold and a setup step."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"


ACTIVE = (Status.RUNNING, Status.PAUSED)


@dataclass(frozen=True)
class Cue:
    """Something to say now: short for the voice, fuller for the screen."""

    name: str
    spoken: str
    text: str


@dataclass(frozen=True)
class CueTemplate:
    """A cue wording with ``{placeholders}``."""

    spoken: str
    text: str

    def render(self, name: str, **values: Any) -> Cue:
        return Cue(name=name, spoken=self.spoken.format(**values), text=self.text.format(**values))


@dataclass(frozen=True)
class Step:
    """One step of a routine. ``hold_seconds == 0`` is a setup step with no hold."""

    id: str
    side: str
    text: str
    spoken: str
    hold_seconds: int
    kind: str = HOLD
    settle_seconds: int = 8  # setup steps: time to get into position
    guide: Tuple[str, ...] = ()

    @property
    def timed(self) -> bool:
        return self.hold_seconds > 0

    def cue(self) -> Cue:
        return Cue(name=STEP, spoken=self.spoken, text=self.text)


@dataclass(frozen=True)
class Routine:
    """A guided routine: intro, safety note, then the steps in order."""

    id: str
    title: str
    guide: str
    intro: Cue
    safety: Cue
    steps: Tuple[Step, ...]

    def first_step_of(self, side: str) -> int | None:
        """Index of the first step on ``side``, if any."""
        return next((i for i, step in enumerate(self.steps) if step.side == side), None)

    def side_at(self, index: int) -> str:
        """The side being worked at ``index``: a setup step takes the next sided step's."""
        ahead = [s.side for s in self.steps[index:] if s.side != NO_SIDE]
        behind = [s.side for s in self.steps[:index] if s.side != NO_SIDE]
        return (ahead or behind[-1:] or [NO_SIDE])[0]


@dataclass(frozen=True)
class ScheduledCue:
    """A timed cue: call ``timer_fired(state, now, cue_name, generation)`` after the delay."""

    delay_seconds: float
    cue_name: str
    generation: int


@dataclass(frozen=True)
class Transition:
    """The outcome of a command: new state, what to say now, what to schedule."""

    state: RoutineState
    say: List[Cue] = field(default_factory=list)
    schedule: List[ScheduledCue] = field(default_factory=list)
    cancel_previous: bool = False

    @property
    def cue_names(self) -> List[str]:
        return [cue.name for cue in self.say]


@dataclass(frozen=True)
class RoutineState:
    """The active routine, kept in a slot as ``to_dict()``.

    ``hold_seconds`` is the length of the current hold (0 on a setup step);
    ``hold_started_at`` is when it starts counting (only while running);
    ``remaining_seconds`` is what was left when paused (only while paused);
    ``hold_override_seconds`` is the person's own hold length, applied to every
    later hold of the session; ``generation`` grows whenever the schedule changes.
    """

    routine_id: str | None = None
    step_index: int = 0
    status: Status = Status.IDLE
    hold_started_at: float | None = None
    hold_seconds: int = 0
    remaining_seconds: float | None = None
    hold_override_seconds: int | None = None
    generation: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> Dict[str, Any]:
        return {
            "routine_id": self.routine_id,
            "step_index": self.step_index,
            "status": self.status.value,
            "hold_started_at": self.hold_started_at,
            "hold_seconds": self.hold_seconds,
            "remaining_seconds": self.remaining_seconds,
            "hold_override_seconds": self.hold_override_seconds,
            "generation": self.generation,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RoutineState:
        """The state in ``data``; anything missing or inconsistent gives an idle state.

        An idle state still keeps a valid generation and hold preference.
        """
        if not isinstance(data, Mapping):
            return cls()
        override = as_int(data.get("hold_override_seconds"))
        if override is not None and not MIN_HOLD_SECONDS <= override <= MAX_HOLD_SECONDS:
            override = None
        idle = cls(
            hold_override_seconds=override,
            generation=max(as_int(data.get("generation")) or 0, 0),
        )
        try:
            status = Status(data.get("status"))
        except (ValueError, TypeError):
            return idle
        routine_id = data.get("routine_id")
        step_index = as_int(data.get("step_index"))
        hold_seconds = as_int(data.get("hold_seconds"))
        started = as_float(data.get("hold_started_at"))
        remaining = as_float(data.get("remaining_seconds"))
        if (
            status is Status.IDLE
            or not isinstance(routine_id, str)
            or not routine_id
            or step_index is None
            or step_index < 0
            or hold_seconds is None
            or hold_seconds < 0
            or (status is Status.RUNNING and started is None)
            or (status is Status.PAUSED and (remaining is None or remaining < 0))
        ):
            return idle
        return replace(
            idle,
            routine_id=routine_id,
            step_index=step_index,
            status=status,
            hold_started_at=started if status is Status.RUNNING else None,
            hold_seconds=hold_seconds if status in ACTIVE else 0,
            remaining_seconds=remaining if status is Status.PAUSED else None,
        )


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def as_generation(value: Any) -> int | None:
    """A generation as it comes back from a reminder: an int, or its digits as text."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return as_int(value)


def valid_hold(seconds: Any) -> int | None:
    """``seconds`` as a whole number of seconds, if it is a hold the coach will time."""
    value = as_float(seconds)
    if value is None:
        return None
    rounded = round(value)
    return rounded if MIN_HOLD_SECONDS <= rounded <= MAX_HOLD_SECONDS else None
