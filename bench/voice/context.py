"""What every phase of a run works with: the stack's client, the in-process
recogniser, the voices and conditions, and running tasks in parallel under the
supervisor."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, List, Sequence, TypeVar

from bench.voice.audio import Voice
from bench.voice.client import Client
from bench.voice.conditions import CLEAN, Speaker
from bench.voice.config import Sizes, log
from bench.voice.local import Local
from bench.voice.supervisor import Supervisor

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Bench:
    client: Client
    local: Local
    voices: List[Voice]
    jobs: int
    supervisor: Supervisor | None = None
    conditions: List[str] = field(default_factory=lambda: [CLEAN])
    recognizer: str = ""  # PSOAS_RECOGNIZER of the stack
    sizes: Sizes = field(default_factory=Sizes)
    local_checks: bool = True

    @property
    def speakers(self) -> List[Speaker]:
        """Every voice under every condition."""
        return [Speaker(v, c) for v in self.voices for c in self.conditions]

    def under_conditions(self, voices: Sequence[Voice]) -> List[Speaker]:
        return [Speaker(v, c) for v in voices for c in self.conditions]

    def safe(self, fn: Callable[[T], R], item: T) -> R:
        """``fn(item)``, run again after a stack restart if the stack died."""
        return self.supervisor.run(fn, item) if self.supervisor else fn(item)

    @property
    def waiting_threads(self) -> int:
        """Threads for phases whose recordings wait for the coach to finish
        (``Client.after_the_coach``): ``jobs`` of them speak at once."""
        return self.jobs * 8

    def pmap(
        self, fn: Callable[[T], R], items: Sequence[T], label: str, threads: int | None = None
    ) -> List[R]:
        """``fn`` over ``items`` on ``threads`` (``jobs``) threads, in order, with
        progress on stderr (each item run again after a stack restart)."""
        if not items:
            return []
        done = 0
        lock = threading.Lock()
        started = time.perf_counter()

        def run(item: T) -> R:
            nonlocal done
            result = self.safe(fn, item)
            with lock:
                done += 1
                if done % 50 == 0 or done == len(items):
                    log(f"  {label}: {done}/{len(items)} ({time.perf_counter() - started:.0f} s)")
            return result

        with ThreadPoolExecutor(max_workers=max(1, threads or self.jobs)) as pool:
            return list(pool.map(run, items))
