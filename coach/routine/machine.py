"""Guided routines: a pure state machine that walks through the steps and times the holds.

The person lies on the floor; the coach reads each step aloud and times each hold.
Everything here is pure logic with an injected clock. Three entries, each taking
the current :class:`RoutineState` and ``now`` (epoch seconds):

* ``start(state, now, routine_id, hold_override=None)``: begin a routine;
* ``handle(state, now, command, arg=None)``: one of ``coach.intents.COMMANDS``
  (next, pause, set_hold with the seconds as ``arg``, pain, reconnect...),
  dispatched through ``COMMAND_HANDLERS`` below, one small handler per command;
* ``timer_fired(state, now, cue_name, generation)``: a scheduled cue went off.

Each returns a :class:`Transition` with

* ``state``: the new state (store ``state.to_dict()`` in a slot: JSON-safe);
* ``say``: the cues to say now, in order (each with a spoken and a text form);
* ``schedule``: the timed cues to schedule, with delays counted from ``now``;
  when the timer goes off, call ``timer_fired`` with the cue's name and generation;
* ``cancel_previous``: whether every reminder scheduled before is now obsolete.
  It is true whenever the generation moved on, which is the case whenever
  ``schedule`` is non-empty and on pause, stop, pain and finish. A stale reminder
  that fires anyway is ignored, since its generation is old.

The data model is in ``coach.routine.model``, the routines (``content/routines.yml``)
behind ``coach.routine.library``, the clock arithmetic in ``coach.routine.timing``
and the moves the handlers are made of in ``coach.routine.transitions``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Any, Callable, List, Mapping

from coach import intents
from coach.routine import timing
from coach.routine.library import RoutineLibrary
from coach.routine.model import (
    AWAY_LIMIT_SECONDS,
    HALFWAY,
    HOLD_END,
    LONGER_BY_SECONDS,
    OTHER_SIDE,
    SETUP_END,
    SHORTER_BY_SECONDS,
    TEN_SECONDS_LEFT,
    Cue,
    RoutineState,
    Status,
    Transition,
    as_generation,
    valid_hold,
)
from coach.routine.transitions import Active, Transitions
from coach.settings import DEFAULT_WORDS_PER_SECOND

Handler = Callable[[Transitions, RoutineState, float, Any], Transition]
InProgressHandler = Callable[[Transitions, RoutineState, float, Active, Any], Transition]


def _in_progress(handler: InProgressHandler) -> Handler:
    """A command that needs a routine in progress: with none, it says ``no_routine``."""

    @functools.wraps(handler)
    def run(moves: Transitions, state: RoutineState, now: float, arg: Any) -> Transition:
        active = moves.active(state)
        if active is None:
            return moves.no_routine(state)
        return handler(moves, state, now, active, arg)

    return run


# -- one handler per command -------------------------------------------------


@_in_progress
def _next(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Go on to the next step (finishing after the last)."""
    return moves.advance(state, now, active, moves.leaving(active))


@_in_progress
def _previous(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Go back one step (on the first step, start it again)."""
    index = max(state.step_index - 1, 0)
    leaving = moves.leaving(active)
    return moves.enter(state, now, active.routine, index, leaving, came_from=active.step)


@_in_progress
def _repeat(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Say the current step again and restart its hold."""
    return moves.enter(state, now, active.routine, state.step_index, [])


@_in_progress
def _pause(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Freeze the time left; nothing fires until ``resume``."""
    if state.status is Status.PAUSED:
        return Transition(state, [moves.cue("already_paused")])
    paused = replace(
        state,
        status=Status.PAUSED,
        hold_started_at=None,
        remaining_seconds=timing.remaining(state, active.step, now),
        generation=state.generation + 1,
    )
    return Transition(paused, [moves.cue("paused")], cancel_previous=True)


@_in_progress
def _resume(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Carry on with the time that was left when paused."""
    if state.status is not Status.PAUSED:
        return Transition(state, [moves.cue("not_paused")])
    return moves.carry_on(state, now, active, [moves.cue("resumed")])


@_in_progress
def _stop(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """End the routine; it cannot be resumed, only started again."""
    return Transition(moves.stopped(state), [moves.cue("stopped")], cancel_previous=True)


@_in_progress
def _time_left(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Say how long the current hold has left. Changes nothing."""
    if not active.step.timed:
        return Transition(state, [moves.cue("no_hold")])
    seconds = math.ceil(timing.remaining(state, active.step, now))
    return Transition(state, [moves.cue("time_left", seconds=seconds)])


@_in_progress
def _switch_sides(
    moves: Transitions, state: RoutineState, now: float, active: Active, _: Any
) -> Transition:
    """Jump to the first step of the other side (from a setup step: of the side ahead)."""
    side = OTHER_SIDE.get(active.routine.side_at(state.step_index))
    target = active.routine.first_step_of(side) if side else None
    if side is None or target is None:
        return Transition(state, [moves.cue("no_sides")])
    say = [*moves.leaving(active), moves.cue("switch_sides", side=side)]
    return moves.enter(state, now, active.routine, target, say)


def _set_hold(moves: Transitions, state: RoutineState, now: float, seconds: Any) -> Transition:
    """Make holds ``seconds`` long for the rest of the session, the current one too.

    Out of range (below 5 s, above 180 s, or not a number) changes nothing and
    says ``hold_out_of_range``.
    """
    hold = valid_hold(seconds)
    if hold is None:
        return Transition(state, [moves.out_of_range()])
    return moves.apply_hold(state, now, hold)


def _longer(moves: Transitions, state: RoutineState, now: float, _: Any) -> Transition:
    """Holds 15 s longer than the current one, up to 180 s, from now on."""
    return moves.adjust_hold(state, now, LONGER_BY_SECONDS)


def _shorter(moves: Transitions, state: RoutineState, now: float, _: Any) -> Transition:
    """Holds 10 s shorter than the current one, down to 5 s, from now on."""
    return moves.adjust_hold(state, now, -SHORTER_BY_SECONDS)


def _pain(moves: Transitions, state: RoutineState, now: float, _: Any) -> Transition:
    """Pain words: stop at once and say ``pain``; the caller then gives the
    safety answer. Said in every status, so the caller can always rely on it."""
    cue = moves.cue("pain")
    if moves.active(state) is None:
        return moves.no_routine(state, [cue])
    return Transition(moves.stopped(state), [cue], cancel_previous=True)


def _reconnect(moves: Transitions, state: RoutineState, now: float, _: Any) -> Transition:
    """A client came back (page reload, server restart): reschedule what is left.

    Mid-hold: the step again and the time left, with a fresh schedule. If the
    hold ran out less than ``AWAY_LIMIT_SECONDS`` ago: release and the next step,
    as if the timer had fired. Longer ago: the next step, paused, with
    ``welcome_back``. Paused: the step and ``paused``. No routine: nothing.
    """
    active = moves.active(state)
    if active is None:
        return moves.no_routine(state, [])
    step = active.step
    if state.status is Status.PAUSED:
        return Transition(state, [step.cue(), moves.cue("paused")])
    remaining = timing.remaining(state, step, now, clamp=False)
    if remaining > 0:
        say = [step.cue()]
        if step.timed:
            left = math.ceil(min(remaining, timing.segment(state, step)))
            say.append(moves.cue("time_left", seconds=left))
        return moves.reschedule(state, now, active, say)
    if -remaining <= AWAY_LIMIT_SECONDS:
        return moves.advance(state, now, active, moves.leaving(active))
    index = state.step_index + 1
    if index >= len(active.routine.steps):
        return moves.finish(state, [])
    following = active.routine.steps[index]
    hold = timing.hold_for(state.hold_override_seconds, following)
    paused = replace(
        state,
        step_index=index,
        status=Status.PAUSED,
        hold_started_at=None,
        hold_seconds=hold,
        remaining_seconds=float(hold if following.timed else following.settle_seconds),
        generation=state.generation + 1,
    )
    return Transition(paused, [moves.cue("welcome_back"), following.cue()], cancel_previous=True)


# What each command does in each status. "none" is idle, finished or stopped (a
# state whose routine no longer exists counts as none, and is made idle);
# [release] is said when leaving a hold.
#
# command       none               running (setup step or hold)           paused
# next          no_routine         [release], next step (or done)         as running
# previous      no_routine         [release], step before (first: again)  as running
# repeat        no_routine         the step again, timed afresh           as running
# pause         no_routine         paused, time left frozen               already_paused
# resume        no_routine         not_paused                             resumed, time runs on
# stop          no_routine         stopped                                stopped
# time_left     no_routine         time_left (setup step: no_hold)        time_left (frozen)
# switch_sides  no_routine         other side's first step (or no_sides)  as running
# set_hold      hold_set, kept     hold_set, the hold under way too       hold_set, time left too
# longer        as set_hold, 15 s more than the current hold (hold_at_max at 180 s)
# shorter       as set_hold, 10 s less than the current hold (hold_at_min at 5 s)
# pain          pain               pain, stopped                          pain, stopped
# reconnect     nothing            step, time left, rescheduled (or on)   step, paused
COMMAND_HANDLERS: Mapping[str, Handler] = {
    intents.NEXT: _next,
    intents.PREVIOUS: _previous,
    intents.REPEAT: _repeat,
    intents.PAUSE: _pause,
    intents.RESUME: _resume,
    intents.STOP: _stop,
    intents.TIME_LEFT: _time_left,
    intents.SWITCH_SIDES: _switch_sides,
    intents.SET_HOLD: _set_hold,
    intents.LONGER: _longer,
    intents.SHORTER: _shorter,
    intents.PAIN: _pain,
    intents.RECONNECT: _reconnect,
}


class RoutineMachine:
    """The commands of a guided routine. Pure: no I/O beyond the library, no clock.

    Every command takes the state and ``now`` first and works in every status;
    commands that need a running routine answer ``no_routine`` when there is none.
    """

    def __init__(
        self,
        library: RoutineLibrary,
        words_per_second: float | None = DEFAULT_WORDS_PER_SECOND,
    ) -> None:
        """``words_per_second`` estimates how long cues take to say; ``None`` for none."""
        self._moves = Transitions(library, words_per_second)

    @property
    def library(self) -> RoutineLibrary:
        return self._moves.library

    def handle(self, state: RoutineState, now: float, command: str, arg: Any = None) -> Transition:
        """Apply ``command`` (one of ``coach.intents.COMMANDS``); only ``set_hold``
        takes an ``arg``, the seconds asked for. Raises ``ValueError`` for an
        unknown command."""
        handler = COMMAND_HANDLERS.get(command)
        if handler is None:
            raise ValueError(f"unknown routine command {command!r}")
        return handler(self._moves, state, now, arg)

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
        moves = self._moves
        routine = self.library.get(routine_id) if isinstance(routine_id, str) else None
        if routine is None:
            return Transition(state, [moves.cue("unknown_routine")])
        say: List[Cue] = []
        override = state.hold_override_seconds
        if hold_override is not None:
            valid = valid_hold(hold_override)
            if valid is None:
                say.append(moves.out_of_range())
            else:
                override = valid
        # a generation seeded from the clock cannot collide with reminders
        # left over from before the state was lost (slot reset)
        fresh = RoutineState(
            hold_override_seconds=override,
            generation=max(state.generation, int(now) if math.isfinite(now) else 0),
        )
        say += [routine.intro, routine.safety]
        return moves.enter(fresh, now, routine, 0, say)

    def timer_fired(
        self, state: RoutineState, now: float, cue_name: str, generation: int
    ) -> Transition:
        """A scheduled cue went off. Stale generations, and any cue while not running,
        are ignored (empty transition)."""
        moves = self._moves
        active = moves.active(state)
        if (
            active is None
            or state.status is not Status.RUNNING
            or as_generation(generation) != state.generation
        ):
            return Transition(state)
        if cue_name in (HALFWAY, TEN_SECONDS_LEFT) and active.step.timed:
            return Transition(state, [moves.cue(cue_name)])
        if cue_name in (HOLD_END, SETUP_END):
            return moves.advance(state, now, active, moves.leaving(active))
        return Transition(state)
