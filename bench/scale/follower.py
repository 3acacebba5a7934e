"""A socket.io client that follows a conversation as the web widget does, and
what a routine's cues did on the way to it.

``Follower`` records every bot message with its arrival time (same machine,
same clock as the server's ``routine.schedule``). ``cue_report`` reads the
record afterwards: every timed cue a routine scheduled (the ``schedule`` of each
message's ``routine`` object) should arrive exactly once, at its time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

import socketio

from coach.routine.model import HALFWAY, TEN_SECONDS_LEFT

# the client says "packet queue is empty, aborting" whenever a socket closes
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)

Message = Dict[str, Any]
Predicate = Callable[[Message], bool]
# a cue may be matched by a burst that starts this much before its time (clock
# rounding); a scheduled cue is lost when nothing came this long after its time
EARLY_SECONDS = 0.05
LOST_AFTER_SECONDS = 10.0


class Follower:
    """One socket.io session (``rich``, as our widget asks), every bot message
    kept as (arrival, message)."""

    def __init__(
        self,
        url: str,
        session_id: str,
        headers: Dict[str, str] | None = None,
        timeout: float = 20,
    ) -> None:
        self.session_id = session_id
        self.received: List[Tuple[float, Message]] = []
        self.sent: List[Tuple[float, int]] = []  # (time, index of the next message)
        self.disconnected_at: float | None = None
        self._changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self._confirmed = threading.Event()
        self.sio.on("session_confirm", lambda *_: self._confirmed.set())
        self.sio.on("bot_uttered", self._record)
        self.sio.on("disconnect", self._gone)
        self.sio.connect(url, headers=headers or {}, transports=["websocket"], wait_timeout=timeout)
        if not self.switch(session_id, timeout):
            self.close()
            raise TimeoutError(f"no session_confirm for {session_id}")

    def switch(self, session_id: str, timeout: float = 20) -> bool:
        """Asks for the session ``session_id`` on this socket (a new conversation)."""
        self._confirmed.clear()
        self.session_id = session_id
        self.sio.emit("session_request", {"session_id": session_id, "rich": True})
        return self._confirmed.wait(timeout)

    def _record(self, data: Message) -> None:
        with self._changed:
            self.received.append((time.time(), data if isinstance(data, dict) else {}))
            self._changed.notify_all()

    def _gone(self, *_: Any) -> None:
        with self._changed:
            self.disconnected_at = time.time()
            self._changed.notify_all()

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected) and self.disconnected_at is None

    def say(self, text: str) -> int:
        """Sends ``text``; returns the index its reply starts at."""
        with self._changed:
            mark = len(self.received)
            self.sent.append((time.time(), mark))
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id})
        return mark

    def mark(self) -> int:
        with self._changed:
            return len(self.received)

    def texts_since(self, mark: int) -> List[str]:
        with self._changed:
            return [str(m.get("text", "")) for _, m in self.received[mark:]]

    def wait_for(
        self, predicate: Predicate, timeout: float, after: int = 0
    ) -> Tuple[float, Message] | None:
        """The first message from index ``after`` on that matches, or None after
        ``timeout`` s (or once disconnected)."""
        deadline = time.time() + timeout
        with self._changed:
            while True:
                for arrived, message in self.received[after:]:
                    if predicate(message):
                        return arrived, message
                left = deadline - time.time()
                if left <= 0 or self.disconnected_at is not None:
                    return None
                self._changed.wait(left)

    def reply(self, after: int, timeout: float, quiet: float = 0.1) -> Tuple[float, int] | None:
        """The arrival of the first message from ``after`` on, once the reply is
        whole (``quiet`` s with nothing more, at most 1 s); with how many came."""
        first = self.wait_for(lambda _: True, timeout, after)
        if first is None:
            return None
        settle_until = first[0] + 1.0
        with self._changed:
            count = len(self.received)
            while time.time() < settle_until:
                self._changed.wait(quiet)
                if len(self.received) == count:
                    break
                count = len(self.received)
        return first[0], count - after

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a socket already gone
            self.sio.disconnect()


def routine_of(message: Message) -> Dict[str, Any] | None:
    routine = message.get("routine")
    return routine if isinstance(routine, dict) else None


def status_of(message: Message) -> str | None:
    return (routine_of(message) or {}).get("status")


def has_text(fragment: str) -> Predicate:
    return lambda m: fragment.lower() in str(m.get("text", "")).lower()


def hold_running(message: Message) -> bool:
    return (routine_of(message) or {}).get("hold_seconds", 0) > 0


def routine_ended(message: Message) -> bool:
    return status_of(message) in ("finished", "stopped")


@dataclass
class CueReport:
    """The cues one or more sessions were scheduled, and what came of them."""

    scheduled: int = 0  # cues that came due (not those cancelled before their time)
    arrived: int = 0
    lost: List[str] = field(default_factory=list)  # "session cue at"
    # due, not yet arrived when the person said something that cancelled them
    # (a "stop" sent while the server was behind): late, then moot, not lost
    superseded: int = 0
    duplicated: int = 0  # the same message twice, or a burst no cue explains
    errors_ms: List[float] = field(default_factory=list)  # arrival minus schedule

    def add(self, other: CueReport) -> None:
        self.scheduled += other.scheduled
        self.arrived += other.arrived
        self.lost += other.lost
        self.superseded += other.superseded
        self.duplicated += other.duplicated
        self.errors_ms += other.errors_ms


def caused_by(cue: str, routine: Dict[str, Any], step_before: int) -> bool:
    """Whether a ``routine`` state is what ``cue`` firing makes of the state
    before: a halfway or ten-seconds cue changes nothing; the end of a hold or
    of a setup step moves on a step (or finishes)."""
    status, step = routine.get("status"), routine.get("step_index")
    if cue in (HALFWAY, TEN_SECONDS_LEFT):
        return status == "running" and not routine.get("schedule") and step == step_before
    return status == "finished" or (status == "running" and step == step_before + 1)


def cue_report(follower: Follower, until: float) -> CueReport:
    """What the timed cues scheduled in ``follower``'s session did, up to ``until``
    (epoch s: cues due later than ``until - LOST_AFTER_SECONDS`` are not judged).

    Every ``routine`` message is the state after a cue or after something the
    person said: after a cue when a scheduled cue was due by its ``server_time``
    and the state is what that cue makes (``caused_by``), else the reply. A
    cue's arrival is the first message of its burst (after the previous
    ``routine`` message, not before its time). A new schedule, or the end of
    the routine, cancels what was left: cues due before then that never came
    are lost; when the person cancelled them (a "stop"), only those due before
    the person spoke are owed, and one whose answer came less than
    ``LOST_AFTER_SECONDS`` after its time is superseded (late, then moot), not lost.
    """
    report = CueReport()
    with follower._changed:
        received = list(follower.received)
        sends = {mark: sent for sent, mark in follower.sent}
    seen: set[Tuple[str, Any]] = set()
    pending: List[Dict[str, Any]] = []
    burst_from, step = 0, -1
    asked: float | None = None  # when the message awaiting its reply was sent
    for index, (arrived, message) in enumerate(received):
        routine = routine_of(message)
        if index in sends:
            asked = sends[index]
        if routine is None:
            continue
        key = (str(message.get("text")), routine.get("server_time"))
        if key in seen:
            report.duplicated += 1
            continue
        seen.add(key)
        server_time = float(routine.get("server_time") or 0)
        due = [p for p in pending if p["at"] <= server_time + EARLY_SECONDS]
        cue = next((p for p in due if caused_by(p["cue"], routine, step)), None)
        reply_sent = None
        if cue is not None:
            pending.remove(cue)
            first = next(
                (a for a, _ in received[burst_from : index + 1] if a >= cue["at"] - EARLY_SECONDS),
                arrived,
            )
            report.arrived += 1
            report.errors_ms.append(round((first - cue["at"]) * 1000, 1))
        elif asked is not None:  # the answer to something the person said
            reply_sent, asked = asked, None
        else:
            report.duplicated += 1
        schedule = routine.get("schedule") or []
        if schedule or routine.get("status") != "running":
            # cancelled before it was due (by the time the person spoke, if they
            # did): never owed; due, and less than LOST_AFTER_SECONDS late when
            # the person's answer came: superseded; else lost
            cancelled_at = reply_sent if reply_sent is not None else server_time - EARLY_SECONDS
            for p in pending:
                if p["at"] >= cancelled_at:
                    report.scheduled -= 1
                elif reply_sent is not None and arrived - p["at"] < LOST_AFTER_SECONDS:
                    report.superseded += 1
                else:
                    report.lost.append(f"{follower.session_id} {p['cue']} {p['at']:.3f}")
            pending = [dict(item) for item in schedule]
            report.scheduled += len(schedule)
        step = int(routine.get("step_index") or 0)
        burst_from = index + 1
    report.lost += [
        f"{follower.session_id} {p['cue']} {p['at']:.3f}"
        for p in pending
        if p["at"] < until - LOST_AFTER_SECONDS
    ]
    report.scheduled -= sum(1 for p in pending if p["at"] >= until - LOST_AFTER_SECONDS)
    return report
