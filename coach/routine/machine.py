"""Guided routines: a pure state machine that walks through the steps and times the holds.

The person lies on the floor; the coach reads each step aloud and times each hold.
Everything here is pure logic with an injected clock: every command takes the
current :class:`RoutineState` and ``now`` (epoch seconds) and returns a
:class:`Transition` with

* ``state``: the new state (store ``state.to_dict()`` in a slot: JSON-safe);
* ``say``: the cues to say now, in order (each with a spoken and a text form);
* ``schedule``: the timed cues to schedule, with delays counted from ``now``;
  when the timer goes off, call :meth:`RoutineMachine.timer_fired` with the cue's
  name and generation;
* ``cancel_previous``: whether every reminder scheduled before is now obsolete.
  It is true whenever the generation moved on, which is the case whenever
  ``schedule`` is non-empty and on pause, stop, pain and finish. A stale reminder
  that fires anyway is ignored, since its generation is old.

Routines and cue wordings live in ``content/routines.yml`` behind the
:class:`RoutineLibrary` interface, loaded lazily on first use (never at import).

Timing: a step starts counting once its cues have been spoken (an estimate from
the word count, ``words_per_second``), so a 30-second hold is 30 seconds of
holding, not 30 seconds minus the time it took to explain. ``hold_started_at`` is
therefore when the current hold (or, for a setup step, the time to get into
position) starts counting, and may lie a few seconds after ``now``.
"""

from __future__ import annotations

import math
import os
import string
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Sequence, Tuple

import yaml

from coach.content.store import ContentError, content_dir

MIN_HOLD_SECONDS = 5
MAX_HOLD_SECONDS = 180
LONGER_BY_SECONDS = 15
SHORTER_BY_SECONDS = 10
DEFAULT_HOLD_SECONDS = 30  # base for "longer"/"shorter" when nothing else says
HALFWAY_FROM_SECONDS = 20  # holds this long get a "halfway" cue
TEN_SECONDS_LEFT_FROM_SECONDS = 25  # holds this long get a "ten seconds left" cue
AWAY_LIMIT_SECONDS = 120  # on reconnect, a hold over by more than this pauses
DEFAULT_WORDS_PER_SECOND = 2.5  # speech rate used to let the cues be said first
SPEECH_RATE_ENV = "PSOAS_WORDS_PER_SECOND"


def words_per_second_from_env() -> float | None:
    """The speech rate from ``PSOAS_WORDS_PER_SECOND``: a positive number, or ``0``
    for none (typed chat); unset or unreadable gives the default."""
    raw = os.environ.get(SPEECH_RATE_ENV, "").strip()
    try:
        rate = float(raw) if raw else DEFAULT_WORDS_PER_SECOND
    except ValueError:
        return DEFAULT_WORDS_PER_SECOND
    return rate if rate > 0 else None


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
        override = _as_int(data.get("hold_override_seconds"))
        if override is not None and not MIN_HOLD_SECONDS <= override <= MAX_HOLD_SECONDS:
            override = None
        idle = cls(
            hold_override_seconds=override,
            generation=max(_as_int(data.get("generation")) or 0, 0),
        )
        try:
            status = Status(data.get("status"))
        except (ValueError, TypeError):
            return idle
        routine_id = data.get("routine_id")
        step_index = _as_int(data.get("step_index"))
        hold_seconds = _as_int(data.get("hold_seconds"))
        started = _as_float(data.get("hold_started_at"))
        remaining = _as_float(data.get("remaining_seconds"))
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


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _as_generation(value: Any) -> int | None:
    """A generation as it comes back from a reminder: an int, or its digits as text."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return _as_int(value)


def valid_hold(seconds: Any) -> int | None:
    """``seconds`` as a whole number of seconds, if it is a hold the coach will time."""
    value = _as_float(seconds)
    if value is None:
        return None
    rounded = round(value)
    return rounded if MIN_HOLD_SECONDS <= rounded <= MAX_HOLD_SECONDS else None


# ---------------------------------------------------------------------------
# The library of routines


class RoutineLibrary(ABC):
    """Where routines and cue wordings come from."""

    @abstractmethod
    def get(self, routine_id: str) -> Routine | None:
        """The routine with this id, if any."""

    @abstractmethod
    def ids(self) -> List[str]:
        """The ids of all routines, in the order offered."""

    @abstractmethod
    def cue(self, name: str, **values: Any) -> Cue:
        """The cue ``name`` with its placeholders filled in."""


class YamlRoutineLibrary(RoutineLibrary):
    """Routines read from ``routines.yml`` and validated once, on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or content_dir() / "routines.yml"
        self._lock = threading.Lock()
        self._routines: Dict[str, Routine] | None = None
        self._cues: Dict[str, CueTemplate] = {}

    def _load(self) -> Dict[str, Routine]:
        with self._lock:
            if self._routines is not None:
                return self._routines
            with open(self._path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle) or {}
            if not isinstance(raw, Mapping):
                raise RoutineError(f"{self._path}: must be a mapping")
            settle = raw.get("settle_seconds", 8)
            if _as_int(settle) is None or settle <= 0:
                raise RoutineError("settle_seconds must be a positive whole number")
            cues = _parse_cues(raw.get("cues"))
            routines: Dict[str, Routine] = {}
            for index, data in enumerate(_as_list(raw.get("routines"), "routines")):
                routine = _parse_routine(data, f"routines[{index}]", settle)
                if routine.id in routines:
                    raise RoutineError(f"routine id {routine.id!r} is used twice")
                routines[routine.id] = routine
            if not routines:
                raise RoutineError("no routines")
            self._cues = cues
            self._routines = routines
            return routines

    def get(self, routine_id: str) -> Routine | None:
        return self._load().get(routine_id)

    def ids(self) -> List[str]:
        return list(self._load())

    def cue(self, name: str, **values: Any) -> Cue:
        self._load()
        try:
            template = self._cues[name]
        except KeyError as exc:
            raise RoutineError(f"no cue {name!r}") from exc
        return template.render(name, **values)


def _as_list(value: Any, where: str) -> List[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RoutineError(f"{where}: must be a list")
    return value


def _reply(data: Any, where: str) -> Tuple[str, str]:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: needs 'spoken' and 'text'")
    spoken, text = str(data.get("spoken") or "").strip(), str(data.get("text") or "").strip()
    if not spoken or not text:
        raise RoutineError(f"{where}: 'spoken' and 'text' must not be empty")
    return spoken, text


def _placeholders(template: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise RoutineError(f"{where}: {exc}") from exc


def _parse_cues(data: Any) -> Dict[str, CueTemplate]:
    if not isinstance(data, Mapping):
        raise RoutineError("cues: must be a mapping")
    cues: Dict[str, CueTemplate] = {}
    for name, value in data.items():
        spoken, text = _reply(value, f"cues.{name}")
        allowed = CUE_PLACEHOLDERS.get(str(name), frozenset())
        for form in (spoken, text):
            unknown = _placeholders(form, f"cues.{name}") - allowed
            if unknown:
                raise RoutineError(f"cues.{name}: unknown placeholders {sorted(unknown)}")
        cues[str(name)] = CueTemplate(spoken=spoken, text=text)
    missing = set(CUE_PLACEHOLDERS) - set(cues)
    if missing:
        raise RoutineError(f"cues: missing {sorted(missing)}")
    return cues


def _parse_routine(data: Any, where: str, settle: int) -> Routine:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: must be a mapping")
    routine_id = str(data.get("id") or "").strip()
    if not routine_id:
        raise RoutineError(f"{where}: needs an id")
    where = f"routine {routine_id}"
    steps: List[Step] = []
    for index, step_data in enumerate(_as_list(data.get("steps"), f"{where}.steps")):
        step = _parse_step(step_data, f"{where}.steps[{index}]", settle)
        if any(s.id == step.id for s in steps):
            raise RoutineError(f"{where}: step id {step.id!r} is used twice")
        steps.append(step)
    if not any(step.timed for step in steps):
        raise RoutineError(f"{where}: has no hold")
    intro_spoken, intro_text = _reply(data.get("intro"), f"{where}.intro")
    safety_spoken, safety_text = _reply(data.get("safety"), f"{where}.safety")
    return Routine(
        id=routine_id,
        title=str(data.get("title") or routine_id),
        guide=str(data.get("guide") or ""),
        intro=Cue(INTRO, intro_spoken, intro_text),
        safety=Cue(SAFETY, safety_spoken, safety_text),
        steps=tuple(steps),
    )


def _parse_step(data: Any, where: str, settle: int) -> Step:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: must be a mapping")
    step_id = str(data.get("id") or "").strip()
    if not step_id:
        raise RoutineError(f"{where}: needs an id")
    where = f"{where} ({step_id})"
    side = data.get("side", NO_SIDE)
    if side not in SIDES:
        raise RoutineError(f"{where}: side must be one of {SIDES}, not {side!r}")
    kind = data.get("kind", HOLD)
    if kind not in STEP_KINDS:
        raise RoutineError(f"{where}: kind must be one of {STEP_KINDS}, not {kind!r}")
    hold = _as_int(data.get("hold_seconds"))
    if hold is None or hold < 0 or hold > MAX_HOLD_SECONDS:
        raise RoutineError(f"{where}: hold_seconds must be a whole number, 0 to {MAX_HOLD_SECONDS}")
    step_settle = _as_int(data.get("settle_seconds", settle))
    if step_settle is None or step_settle <= 0:
        raise RoutineError(f"{where}: settle_seconds must be a positive whole number")
    guide = data.get("guide") or []
    quotes = tuple(str(q) for q in (guide if isinstance(guide, list) else [guide]))
    spoken, text = _reply(data, where)
    return Step(
        id=step_id,
        side=str(side),
        text=text,
        spoken=spoken,
        hold_seconds=hold,
        kind=str(kind),
        settle_seconds=step_settle,
        guide=quotes,
    )


_library: RoutineLibrary | None = None
_library_lock = threading.Lock()


def get_routine_library() -> RoutineLibrary:
    """The process-wide library, created on first use."""
    global _library
    with _library_lock:
        if _library is None:
            _library = YamlRoutineLibrary()
        return _library


def set_routine_library(library: RoutineLibrary | None) -> None:
    """Replace the process-wide library (tests); ``None`` resets to the default."""
    global _library
    with _library_lock:
        _library = library


# ---------------------------------------------------------------------------
# The state machine


@dataclass(frozen=True)
class _Active:
    routine: Routine
    step: Step


class RoutineMachine:
    """The commands of a guided routine. Pure: no I/O beyond the library, no clock.

    Every command takes the state and ``now`` first and works in every status;
    commands that need a running routine answer ``no_routine`` when there is none.
    """

    def __init__(
        self,
        library: RoutineLibrary | None = None,
        words_per_second: float | None = DEFAULT_WORDS_PER_SECOND,
    ) -> None:
        """``words_per_second`` estimates how long cues take to say; ``None`` for none."""
        self._library = library
        self._words_per_second = words_per_second

    @property
    def library(self) -> RoutineLibrary:
        return self._library or get_routine_library()

    # -- commands ----------------------------------------------------------

    def start(
        self,
        state: RoutineState,
        now: float,
        routine_id: str,
        hold_override: float | None = None,
    ) -> Transition:
        """Start ``routine_id`` from its first step, whatever was running before.

        ``hold_override`` (seconds) becomes the session's hold length; out of range,
        it is refused with ``hold_out_of_range`` and the routine starts anyway.
        """
        routine = self.library.get(routine_id) if isinstance(routine_id, str) else None
        if routine is None:
            return Transition(state, [self._cue("unknown_routine")])
        say: List[Cue] = []
        override = state.hold_override_seconds
        if hold_override is not None:
            valid = valid_hold(hold_override)
            if valid is None:
                say.append(self._out_of_range())
            else:
                override = valid
        # a generation seeded from the clock cannot collide with reminders
        # left over from before the state was lost (slot reset)
        fresh = RoutineState(
            hold_override_seconds=override,
            generation=max(state.generation, int(now) if math.isfinite(now) else 0),
        )
        say += [routine.intro, routine.safety]
        return self._enter(fresh, now, routine, 0, say)

    def next(self, state: RoutineState, now: float) -> Transition:
        """Go on to the next step (finishing after the last)."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        return self._advance(state, now, active, self._leaving(active))

    def previous(self, state: RoutineState, now: float) -> Transition:
        """Go back one step (on the first step, start it again)."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        index = max(state.step_index - 1, 0)
        return self._enter(
            state, now, active.routine, index, self._leaving(active), came_from=active.step
        )

    def repeat(self, state: RoutineState, now: float) -> Transition:
        """Say the current step again and restart its hold."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        return self._enter(state, now, active.routine, state.step_index, [])

    def pause(self, state: RoutineState, now: float) -> Transition:
        """Freeze the time left; nothing fires until ``resume``."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        if state.status is Status.PAUSED:
            return Transition(state, [self._cue("already_paused")])
        paused = replace(
            state,
            status=Status.PAUSED,
            hold_started_at=None,
            remaining_seconds=self._remaining(state, active.step, now),
            generation=state.generation + 1,
        )
        return Transition(paused, [self._cue("paused")], cancel_previous=True)

    def resume(self, state: RoutineState, now: float) -> Transition:
        """Carry on with the time that was left when paused."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        if state.status is not Status.PAUSED:
            return Transition(state, [self._cue("not_paused")])
        return self._continue(state, now, active, [self._cue("resumed")])

    def stop(self, state: RoutineState, now: float) -> Transition:
        """End the routine; it cannot be resumed, only started again."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        return Transition(self._stopped(state), [self._cue("stopped")], cancel_previous=True)

    def time_left(self, state: RoutineState, now: float) -> Transition:
        """Say how long the current hold has left. Changes nothing."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        if not active.step.timed:
            return Transition(state, [self._cue("no_hold")])
        seconds = math.ceil(self._remaining(state, active.step, now))
        return Transition(state, [self._cue("time_left", seconds=seconds)])

    def switch_sides(self, state: RoutineState, now: float) -> Transition:
        """Jump to the first step of the other side (from a setup step: of the side ahead)."""
        active = self._active(state)
        if active is None:
            return self._no_routine(state)
        side = OTHER_SIDE.get(active.routine.side_at(state.step_index))
        target = active.routine.first_step_of(side) if side else None
        if side is None or target is None:
            return Transition(state, [self._cue("no_sides")])
        say = [*self._leaving(active), self._cue("switch_sides", side=side)]
        return self._enter(state, now, active.routine, target, say)

    def set_hold(self, state: RoutineState, now: float, seconds: float | None) -> Transition:
        """Make holds ``seconds`` long for the rest of the session, the current one too.

        Out of range (below 5 s, above 180 s, or not a number) changes nothing and
        says ``hold_out_of_range``. The current hold keeps the time already held: if
        that is already past the new length, the hold ends now.
        """
        hold = valid_hold(seconds)
        if hold is None:
            return Transition(state, [self._out_of_range()])
        return self._apply_hold(state, now, hold)

    def longer(self, state: RoutineState, now: float) -> Transition:
        """Holds 15 s longer than the current one, up to 180 s, from now on."""
        return self._adjust_hold(state, now, LONGER_BY_SECONDS)

    def shorter(self, state: RoutineState, now: float) -> Transition:
        """Holds 10 s shorter than the current one, down to 5 s, from now on."""
        return self._adjust_hold(state, now, -SHORTER_BY_SECONDS)

    def timer_fired(
        self, state: RoutineState, now: float, cue_name: str, generation: int
    ) -> Transition:
        """A scheduled cue went off. Stale generations, and any cue while not running,
        are ignored (empty transition)."""
        active = self._active(state)
        if (
            active is None
            or state.status is not Status.RUNNING
            or _as_generation(generation) != state.generation
        ):
            return Transition(state)
        if cue_name in (HALFWAY, TEN_SECONDS_LEFT) and active.step.timed:
            return Transition(state, [self._cue(cue_name)])
        if cue_name in (HOLD_END, SETUP_END):
            return self._advance(state, now, active, self._leaving(active))
        return Transition(state)

    def pain(self, state: RoutineState, now: float) -> Transition:
        """Pain words: stop at once and say ``pain``; the caller then gives the
        safety answer. Said in every status, so the caller can always rely on it."""
        cue = self._cue("pain")
        if self._active(state) is None:
            return self._no_routine(state, [cue])
        return Transition(self._stopped(state), [cue], cancel_previous=True)

    def resume_after_reconnect(self, state: RoutineState, now: float) -> Transition:
        """A client came back (page reload, server restart): reschedule what is left.

        Mid-hold: the step again and the time left, with a fresh schedule. If the
        hold ran out less than ``AWAY_LIMIT_SECONDS`` ago: release and the next step,
        as if the timer had fired. Longer ago: the next step, paused, with
        ``welcome_back``. Paused: the step and ``paused``. No routine: nothing.
        """
        active = self._active(state)
        if active is None:
            return self._no_routine(state, [])
        step = active.step
        if state.status is Status.PAUSED:
            return Transition(state, [step.cue(), self._cue("paused")])
        remaining = self._remaining(state, step, now, clamp=False)
        if remaining > 0:
            say = [step.cue()]
            if step.timed:
                left = math.ceil(min(remaining, self._segment(state, step)))
                say.append(self._cue("time_left", seconds=left))
            return self._reschedule(state, now, active, say)
        if -remaining <= AWAY_LIMIT_SECONDS:
            return self._advance(state, now, active, self._leaving(active))
        index = state.step_index + 1
        if index >= len(active.routine.steps):
            return self._finish(state, [])
        following = active.routine.steps[index]
        hold = self._hold_for(state.hold_override_seconds, following)
        paused = replace(
            state,
            step_index=index,
            status=Status.PAUSED,
            hold_started_at=None,
            hold_seconds=hold,
            remaining_seconds=float(hold if following.timed else following.settle_seconds),
            generation=state.generation + 1,
        )
        return Transition(
            paused, [self._cue("welcome_back"), following.cue()], cancel_previous=True
        )

    # -- helpers -----------------------------------------------------------

    def _cue(self, name: str, **values: Any) -> Cue:
        return self.library.cue(name, **values)

    def _out_of_range(self) -> Cue:
        return self._cue(
            "hold_out_of_range", min_seconds=MIN_HOLD_SECONDS, max_seconds=MAX_HOLD_SECONDS
        )

    def _active(self, state: RoutineState) -> _Active | None:
        """The routine and step in progress, if the state really has one."""
        if not state.active or state.routine_id is None:
            return None
        routine = self.library.get(state.routine_id)
        if routine is None or not 0 <= state.step_index < len(routine.steps):
            return None
        return _Active(routine, routine.steps[state.step_index])

    def _no_routine(self, state: RoutineState, say: Sequence[Cue] | None = None) -> Transition:
        """Nothing in progress: say ``no_routine`` (or ``say``). A state that claims to be
        running a routine that does not exist (content changed) is made idle."""
        said = [self._cue("no_routine")] if say is None else list(say)
        if not state.active:
            return Transition(state, said)
        idle = RoutineState(
            hold_override_seconds=state.hold_override_seconds, generation=state.generation + 1
        )
        return Transition(idle, said, cancel_previous=True)

    def _leaving(self, active: _Active) -> List[Cue]:
        """What to say when leaving the current step."""
        return [self._cue("release")] if active.step.timed else []

    @staticmethod
    def _hold_for(override: int | None, step: Step) -> int:
        """The hold of ``step`` with the session's own hold length applied."""
        if not step.timed:
            return 0
        return override if override is not None else step.hold_seconds

    @staticmethod
    def _segment(state: RoutineState, step: Step) -> int:
        """Length of what is being timed: the hold, or the time to get into position."""
        if step.timed:
            return state.hold_seconds if state.hold_seconds > 0 else step.hold_seconds
        return step.settle_seconds

    def _remaining(self, state: RoutineState, step: Step, now: float, clamp: bool = True) -> float:
        """Seconds left of the current segment (negative when overdue, unless clamped)."""
        segment = self._segment(state, step)
        if state.status is Status.PAUSED:
            left = state.remaining_seconds if state.remaining_seconds is not None else segment
        else:
            started = state.hold_started_at if state.hold_started_at is not None else now
            left = segment - max(now - started, 0.0)
        return round(min(max(left, 0.0), segment) if clamp else min(left, segment), 3)

    def _lead_in(self, say: Sequence[Cue]) -> float:
        """Estimated seconds to say ``say`` aloud."""
        if not self._words_per_second or self._words_per_second <= 0:
            return 0.0
        words = sum(len(cue.spoken.split()) for cue in say)
        return round(words / self._words_per_second, 1)

    @staticmethod
    def _timeline(segment: int, timed: bool) -> List[Tuple[float, str]]:
        """The timed cues of a segment, as (seconds from its start, name)."""
        if not timed:
            return [(float(segment), SETUP_END)]
        points: List[Tuple[float, str]] = []
        if segment >= HALFWAY_FROM_SECONDS:
            points.append((segment / 2, HALFWAY))
        if segment >= TEN_SECONDS_LEFT_FROM_SECONDS:
            points.append((float(segment - 10), TEN_SECONDS_LEFT))
        points.append((float(segment), HOLD_END))
        return points

    def _schedule(
        self, state: RoutineState, step: Step, elapsed: float, generation: int
    ) -> List[ScheduledCue]:
        """The cues still ahead when ``elapsed`` seconds of the segment have gone
        (negative while the cues before it are still being said)."""
        return [
            ScheduledCue(round(at - elapsed, 3), name, generation)
            for at, name in self._timeline(self._segment(state, step), step.timed)
            if at > elapsed
        ]

    def _enter(
        self,
        state: RoutineState,
        now: float,
        routine: Routine,
        index: int,
        say: List[Cue],
        came_from: Step | None = None,
    ) -> Transition:
        """Begin step ``index`` afresh: say it, then time it once it has been said."""
        if index >= len(routine.steps):
            return self._finish(state, say)
        step = routine.steps[index]
        said = list(say)
        if (
            came_from is not None
            and came_from.side in OTHER_SIDE
            and step.side == OTHER_SIDE[came_from.side]
        ):
            said.append(self._cue("switch_sides", side=step.side))
        said.append(step.cue())
        hold = self._hold_for(state.hold_override_seconds, step)
        if step.timed:
            start_cue = "massage_start" if step.kind == MASSAGE else "hold_start"
            said.append(self._cue(start_cue, seconds=hold))
        lead_in = self._lead_in(said)
        entered = replace(
            state,
            routine_id=routine.id,
            step_index=index,
            status=Status.RUNNING,
            hold_started_at=round(now + lead_in, 3),
            hold_seconds=hold,
            remaining_seconds=None,
            generation=state.generation + 1,
        )
        schedule = self._schedule(entered, step, -lead_in, entered.generation)
        return Transition(entered, said, schedule, cancel_previous=True)

    def _advance(
        self, state: RoutineState, now: float, active: _Active, say: List[Cue]
    ) -> Transition:
        return self._enter(
            state, now, active.routine, state.step_index + 1, say, came_from=active.step
        )

    def _finish(self, state: RoutineState, say: List[Cue]) -> Transition:
        done = replace(
            state,
            status=Status.FINISHED,
            hold_started_at=None,
            hold_seconds=0,
            remaining_seconds=None,
            generation=state.generation + 1,
        )
        return Transition(done, [*say, self._cue("routine_done")], cancel_previous=True)

    @staticmethod
    def _stopped(state: RoutineState) -> RoutineState:
        return replace(
            state,
            status=Status.STOPPED,
            hold_started_at=None,
            hold_seconds=0,
            remaining_seconds=None,
            generation=state.generation + 1,
        )

    def _continue(
        self, state: RoutineState, now: float, active: _Active, say: List[Cue]
    ) -> Transition:
        """Running again from a paused state, with the time that was left."""
        remaining = self._remaining(state, active.step, now)
        if remaining <= 0:
            return self._advance(state, now, active, [*say, *self._leaving(active)])
        elapsed = self._segment(state, active.step) - remaining
        running = replace(
            state,
            status=Status.RUNNING,
            hold_started_at=round(now - elapsed, 3),
            remaining_seconds=None,
        )
        return self._reschedule(running, now, active, say)

    def _reschedule(
        self, state: RoutineState, now: float, active: _Active, say: List[Cue]
    ) -> Transition:
        """A fresh schedule for the running segment, keeping the time already gone."""
        started = state.hold_started_at if state.hold_started_at is not None else now
        rescheduled = replace(state, generation=state.generation + 1)
        schedule = self._schedule(rescheduled, active.step, now - started, rescheduled.generation)
        return Transition(rescheduled, say, schedule, cancel_previous=True)

    def _current_hold(self, state: RoutineState) -> int:
        """The hold "longer"/"shorter" is relative to: the one under way, else the
        session's, else the next hold of the routine, else 30 s."""
        active = self._active(state)
        if active is not None and active.step.timed and state.hold_seconds > 0:
            return state.hold_seconds
        if state.hold_override_seconds is not None:
            return state.hold_override_seconds
        routine = self.library.get(state.routine_id) if state.routine_id else None
        if routine is not None:
            ahead = routine.steps[state.step_index :] if active else routine.steps
            hold = next((s.hold_seconds for s in ahead if s.timed), None)
            if hold is not None:
                return hold
        return DEFAULT_HOLD_SECONDS

    def _adjust_hold(self, state: RoutineState, now: float, by: int) -> Transition:
        current = self._current_hold(state)
        wanted = min(max(current + by, MIN_HOLD_SECONDS), MAX_HOLD_SECONDS)
        if wanted == current:
            limit = "hold_at_max" if by > 0 else "hold_at_min"
            return Transition(state, [self._cue(limit, seconds=current)])
        return self._apply_hold(state, now, wanted)

    def _apply_hold(self, state: RoutineState, now: float, hold: int) -> Transition:
        """Keep ``hold`` for the session and apply it to the hold under way, if any."""
        say = [self._cue("hold_set", seconds=hold)]
        updated = replace(state, hold_override_seconds=hold)
        active = self._active(state)
        if active is None:
            return self._no_routine(updated, say)
        if not active.step.timed:
            return Transition(updated, say)
        if state.status is Status.PAUSED:
            held = self._segment(state, active.step) - self._remaining(state, active.step, now)
            paused = replace(
                updated, hold_seconds=hold, remaining_seconds=round(max(hold - held, 0.0), 3)
            )
            return Transition(paused, say)
        updated = replace(updated, hold_seconds=hold)
        if self._remaining(updated, active.step, now) <= 0:
            return self._advance(updated, now, active, [*say, *self._leaving(active)])
        return self._reschedule(updated, now, active, say)
