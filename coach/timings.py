"""Where one request's time went, by stage, for the ``Server-Timing`` header.

A voice request goes through decoding, the routine's status, one or more
recognitions, the NLU's reading, the conversation (Rasa, the action server) and
speech synthesis. The channel opens a ``Timings`` for the request
(``collecting``); code deeper down (synthesis, reached through Rasa's output
channel) adds to whichever one is open in its task (``current``), and adds
nothing when none is. The browser's developer tools show the header; the voice
benchmark (``bench/voice/latency.py``) reports it per stage.

Stage names are tokens of the header's grammar: letters, digits, ``_``.
"""

from __future__ import annotations

import contextvars
import re
import time
from contextlib import contextmanager, suppress
from typing import Dict, Iterator, Tuple

STAGE_NAME = re.compile(r"^[A-Za-z0-9_]+$")

# the key of the open Timings: the variable is a constant, its value is each
# task's own (asyncio copies it into the tasks and threads a task starts)
_CURRENT: contextvars.ContextVar[Timings | None] = contextvars.ContextVar(
    "psoas_timings", default=None
)


class Timings:
    """Seconds and counts per stage, summed over repeats (two recognitions:
    one ``asr`` entry of count 2)."""

    def __init__(self) -> None:
        self._stages: Dict[str, Tuple[float, int]] = {}

    def add(self, stage: str, seconds: float) -> None:
        if not STAGE_NAME.match(stage):
            raise ValueError(f"not a Server-Timing token: {stage!r}")
        total, count = self._stages.get(stage, (0.0, 0))
        self._stages[stage] = (total + max(0.0, seconds), count + 1)

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started)

    def seconds(self, stage: str) -> float:
        return self._stages.get(stage, (0.0, 0))[0]

    def count(self, stage: str) -> int:
        return self._stages.get(stage, (0.0, 0))[1]

    def stages(self) -> Dict[str, float]:
        return {stage: total for stage, (total, _) in self._stages.items()}

    def header(self) -> str:
        """The ``Server-Timing`` value: ``asr;dur=412.3;desc="2", nlu;dur=30.1``
        (milliseconds; ``desc`` is the count when a stage ran more than once)."""
        parts = []
        for stage, (total, count) in self._stages.items():
            part = f"{stage};dur={total * 1000:.1f}"
            if count > 1:
                part += f';desc="{count}"'
            parts.append(part)
        return ", ".join(parts)


def parse_header(value: str) -> Dict[str, float]:
    """Milliseconds per stage from a ``Server-Timing`` value (``header``'s
    inverse, for clients; entries without ``dur`` are skipped)."""
    out: Dict[str, float] = {}
    for entry in value.split(","):
        name, _, params = entry.partition(";")
        name = name.strip()
        for param in params.split(";"):
            key, _, number = param.strip().partition("=")
            if key == "dur" and name:
                with suppress(ValueError):
                    out[name] = out.get(name, 0.0) + float(number)
    return out


@contextmanager
def collecting(timings: Timings) -> Iterator[Timings]:
    """``timings`` is ``current()`` in this task (and tasks it starts) until the
    block ends."""
    token = _CURRENT.set(timings)
    try:
        yield timings
    finally:
        _CURRENT.reset(token)


def current() -> Timings | None:
    return _CURRENT.get()


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Adds the block's time to the open ``Timings`` as ``name`` (none open:
    only runs the block)."""
    timings = _CURRENT.get()
    if timings is None:
        yield
        return
    with timings.measure(name):
        yield
