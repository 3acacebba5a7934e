"""The routine's clock arithmetic, as pure functions of a state, a step and ``now``.

A step starts counting once its cues have been spoken (``lead_in``, estimated from
the word count), so a 30-second hold is 30 seconds of holding, not 30 seconds
minus the time it took to explain. What is timed is a *segment*: the hold, or for
a setup step the time to get into position (``settle_seconds``).
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from coach.routine.model import (
    HALFWAY,
    HALFWAY_FROM_SECONDS,
    HOLD_END,
    SETUP_END,
    TEN_SECONDS_LEFT,
    TEN_SECONDS_LEFT_FROM_SECONDS,
    Cue,
    RoutineState,
    ScheduledCue,
    Status,
    Step,
)


def hold_for(override: int | None, step: Step) -> int:
    """The hold of ``step`` with the session's own hold length applied (0: setup step)."""
    if not step.timed:
        return 0
    return override if override is not None else step.hold_seconds


def segment(state: RoutineState, step: Step) -> int:
    """Length of what is being timed: the hold, or the time to get into position."""
    if step.timed:
        return state.hold_seconds if state.hold_seconds > 0 else step.hold_seconds
    return step.settle_seconds


def remaining(state: RoutineState, step: Step, now: float, clamp: bool = True) -> float:
    """Seconds left of the current segment (negative when overdue, unless clamped)."""
    length = segment(state, step)
    if state.status is Status.PAUSED:
        left = state.remaining_seconds if state.remaining_seconds is not None else length
    else:
        started = state.hold_started_at if state.hold_started_at is not None else now
        left = length - max(now - started, 0.0)
    return round(min(max(left, 0.0), length) if clamp else min(left, length), 3)


def lead_in(say: Sequence[Cue], words_per_second: float | None) -> float:
    """Estimated seconds to say ``say`` aloud; 0 with no speech rate."""
    if not words_per_second or words_per_second <= 0:
        return 0.0
    words = sum(len(cue.spoken.split()) for cue in say)
    return round(words / words_per_second, 1)


def timeline(length: int, timed: bool) -> List[Tuple[float, str]]:
    """The timed cues of a segment, as (seconds from its start, name)."""
    if not timed:
        return [(float(length), SETUP_END)]
    points: List[Tuple[float, str]] = []
    if length >= HALFWAY_FROM_SECONDS:
        points.append((length / 2, HALFWAY))
    if length >= TEN_SECONDS_LEFT_FROM_SECONDS:
        points.append((float(length - 10), TEN_SECONDS_LEFT))
    points.append((float(length), HOLD_END))
    return points


def schedule(
    state: RoutineState, step: Step, elapsed: float, generation: int
) -> List[ScheduledCue]:
    """The cues still ahead when ``elapsed`` seconds of the segment have gone
    (negative while the cues before it are still being said)."""
    return [
        ScheduledCue(round(at - elapsed, 3), name, generation)
        for at, name in timeline(segment(state, step), step.timed)
        if at > elapsed
    ]
