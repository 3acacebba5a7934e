"""The moves every routine command is made of: enter a step, move on, finish, stop,
carry on after a pause, reschedule, change the hold. Each returns a
:class:`Transition`; ``coach.routine.machine`` composes them, one small handler
per command.

Whenever a move changes the schedule it bumps the state's ``generation`` and sets
``cancel_previous``: a stale reminder that fires anyway is then ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, List, Sequence

from coach.routine import timing
from coach.routine.library import RoutineLibrary
from coach.routine.model import (
    DEFAULT_HOLD_SECONDS,
    MASSAGE,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    OTHER_SIDE,
    Cue,
    Routine,
    RoutineState,
    Status,
    Step,
    Transition,
)


@dataclass(frozen=True)
class Active:
    """The routine and step in progress."""

    routine: Routine
    step: Step


class Transitions:
    """The building blocks of the machine's transitions, over a library of routines."""

    def __init__(self, library: RoutineLibrary, words_per_second: float | None) -> None:
        """``words_per_second`` estimates how long cues take to say; ``None`` for none."""
        self.library = library
        self.words_per_second = words_per_second

    def cue(self, name: str, **values: Any) -> Cue:
        return self.library.cue(name, **values)

    def out_of_range(self) -> Cue:
        return self.cue(
            "hold_out_of_range", min_seconds=MIN_HOLD_SECONDS, max_seconds=MAX_HOLD_SECONDS
        )

    def active(self, state: RoutineState) -> Active | None:
        """The routine and step in progress, if the state really has one."""
        if not state.active or state.routine_id is None:
            return None
        routine = self.library.get(state.routine_id)
        if routine is None or not 0 <= state.step_index < len(routine.steps):
            return None
        return Active(routine, routine.steps[state.step_index])

    def no_routine(self, state: RoutineState, say: Sequence[Cue] | None = None) -> Transition:
        """Nothing in progress: say ``no_routine`` (or ``say``). A state that claims to be
        running a routine that does not exist (content changed) is made idle."""
        said = [self.cue("no_routine")] if say is None else list(say)
        if not state.active:
            return Transition(state, said)
        idle = RoutineState(
            hold_override_seconds=state.hold_override_seconds, generation=state.generation + 1
        )
        return Transition(idle, said, cancel_previous=True)

    def leaving(self, active: Active) -> List[Cue]:
        """What to say when leaving the current step."""
        return [self.cue("release")] if active.step.timed else []

    def enter(
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
            return self.finish(state, say)
        step = routine.steps[index]
        said = list(say)
        if (
            came_from is not None
            and came_from.side in OTHER_SIDE
            and step.side == OTHER_SIDE[came_from.side]
        ):
            said.append(self.cue("switch_sides", side=step.side))
        said.append(step.cue())
        hold = timing.hold_for(state.hold_override_seconds, step)
        if step.timed:
            start_cue = "massage_start" if step.kind == MASSAGE else "hold_start"
            said.append(self.cue(start_cue, seconds=hold))
        lead_in = timing.lead_in(said, self.words_per_second)
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
        schedule = timing.schedule(entered, step, -lead_in, entered.generation)
        return Transition(entered, said, schedule, cancel_previous=True)

    def advance(
        self, state: RoutineState, now: float, active: Active, say: List[Cue]
    ) -> Transition:
        """On to the step after the current one (finishing after the last)."""
        return self.enter(
            state, now, active.routine, state.step_index + 1, say, came_from=active.step
        )

    def finish(self, state: RoutineState, say: List[Cue]) -> Transition:
        done = replace(
            state,
            status=Status.FINISHED,
            hold_started_at=None,
            hold_seconds=0,
            remaining_seconds=None,
            generation=state.generation + 1,
        )
        return Transition(done, [*say, self.cue("routine_done")], cancel_previous=True)

    @staticmethod
    def stopped(state: RoutineState) -> RoutineState:
        return replace(
            state,
            status=Status.STOPPED,
            hold_started_at=None,
            hold_seconds=0,
            remaining_seconds=None,
            generation=state.generation + 1,
        )

    def carry_on(
        self, state: RoutineState, now: float, active: Active, say: List[Cue]
    ) -> Transition:
        """Running again from a paused state, with the time that was left."""
        remaining = timing.remaining(state, active.step, now)
        if remaining <= 0:
            return self.advance(state, now, active, [*say, *self.leaving(active)])
        elapsed = timing.segment(state, active.step) - remaining
        running = replace(
            state,
            status=Status.RUNNING,
            hold_started_at=round(now - elapsed, 3),
            remaining_seconds=None,
        )
        return self.reschedule(running, now, active, say)

    def reschedule(
        self, state: RoutineState, now: float, active: Active, say: List[Cue]
    ) -> Transition:
        """A fresh schedule for the running segment, keeping the time already gone."""
        started = state.hold_started_at if state.hold_started_at is not None else now
        rescheduled = replace(state, generation=state.generation + 1)
        schedule = timing.schedule(rescheduled, active.step, now - started, rescheduled.generation)
        return Transition(rescheduled, say, schedule, cancel_previous=True)

    def current_hold(self, state: RoutineState) -> int:
        """The hold "longer"/"shorter" is relative to: the one under way, else the
        session's, else the next hold of the routine, else 30 s."""
        active = self.active(state)
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

    def adjust_hold(self, state: RoutineState, now: float, by: int) -> Transition:
        """The current hold ``by`` seconds longer (or shorter), within the limits."""
        current = self.current_hold(state)
        wanted = min(max(current + by, MIN_HOLD_SECONDS), MAX_HOLD_SECONDS)
        if wanted == current:
            limit = "hold_at_max" if by > 0 else "hold_at_min"
            return Transition(state, [self.cue(limit, seconds=current)])
        return self.apply_hold(state, now, wanted)

    def apply_hold(self, state: RoutineState, now: float, hold: int) -> Transition:
        """Keep ``hold`` for the session and apply it to the hold under way, if any.

        The current hold keeps the time already held: if that is already past the
        new length, the hold ends now (or, paused, on resume).
        """
        say = [self.cue("hold_set", seconds=hold)]
        updated = replace(state, hold_override_seconds=hold)
        active = self.active(state)
        if active is None:
            return self.no_routine(updated, say)
        if not active.step.timed:
            return Transition(updated, say)
        if state.status is Status.PAUSED:
            held = timing.segment(state, active.step) - timing.remaining(state, active.step, now)
            paused = replace(
                updated, hold_seconds=hold, remaining_seconds=round(max(hold - held, 0.0), 3)
            )
            return Transition(paused, say)
        updated = replace(updated, hold_seconds=hold)
        if timing.remaining(updated, active.step, now) <= 0:
            return self.advance(updated, now, active, [*say, *self.leaving(active)])
        return self.reschedule(updated, now, active, say)
