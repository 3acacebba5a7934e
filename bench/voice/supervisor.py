"""Keeping the stack up during a long benchmark run."""

from __future__ import annotations

import datetime
import http.client
import subprocess
import threading
import time
import urllib.error
from typing import Callable, List, TypeVar

from bench.voice.client import StackTrouble, new_sender
from bench.voice.config import log
from coach.tools.stack import Stack

T = TypeVar("T")
R = TypeVar("R")

FAILURES = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


class Supervisor:
    """Restarts the stack's servers when they die under us. Other people's scripts
    on a shared machine may stop every Rasa process they see; each task runs again
    from scratch (fresh conversations), and the restarts are reported."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.restarts: List[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def _dead(process: subprocess.Popen[bytes] | None) -> bool:
        return process is None or process.poll() is not None

    def revive(self, reason: str) -> None:
        with self._lock:
            stack = self.stack
            if not self._dead(stack.actions) and not self._dead(stack.rasa):
                return
            log(f"the stack died ({reason}): restarting it")
            self.restarts.append(f"{datetime.datetime.now():%H:%M:%S} {reason}")
            stack.stop_rasa()
            stack.stop_actions()
            self.start()
            stack.send(new_sender("warm-up"), "hi")

    def start(self, tries: int = 3) -> None:
        """Both servers up (again if one is killed while starting)."""
        for attempt in range(tries):
            try:
                self.stack.start_actions()
                self.stack.start_rasa()
                return
            except (RuntimeError, TimeoutError) as exc:
                self.stack.stop_rasa()
                self.stack.stop_actions()
                if attempt == tries - 1:
                    raise
                log(f"the stack did not start ({exc}): trying again")
                self.restarts.append(f"{datetime.datetime.now():%H:%M:%S} start: {exc}"[:160])
                time.sleep(5)

    def run(self, fn: Callable[[T], R], item: T, tries: int = 3) -> R:
        for attempt in range(tries):
            try:
                return fn(item)
            except (*FAILURES, StackTrouble) as exc:
                if attempt == tries - 1:
                    raise
                time.sleep(2)
                self.revive(f"{type(exc).__name__}: {exc}"[:120])
        raise AssertionError("unreachable")
