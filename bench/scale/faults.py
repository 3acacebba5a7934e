"""Phase 3, faults on the production profile, mid-conversation and mid-routine.

For each fault in turn: ``talkers`` REST conversations and ``routines``
socket.io sessions in a routine with ``hold``-second holds, all through the
balancer and pinned to the replicas in turn (its cookie); a talker sends a
message a second, each once the last is answered. ``lead`` s in (the routines
in their first hold), 10 ms after the first talker (pinned to rasa1) sent a
message, so mid-message: ``kill -9`` of replica rasa1, ``kill -9`` of action
server actions1, a restart of PostgreSQL, a restart of Redis. The talkers go
on for ``after`` s, the routines to their end; then what was killed is
started again.

A routine session whose replica died does what the widget does: connects
again (every 0.5 s until the balancer takes it) with the same session id and
sends ``coach.intents.RECONNECT_MESSAGE``; its gap runs from the kill to the
first message of its routine on the new connection.

Reported per fault: messages answered, told "try again", unanswered (HTTP
errors, no reply); per conversation the time from the fault until it is
answered again (a lock left by a dead replica shows here); messages answered
but missing from PostgreSQL (lost), and written though not answered; events
written twice; the routines' gaps, cues and endings; ``LockError`` and
``ERROR`` lines of the replicas' logs.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

from bench.scale.crowd import (
    REPLY_TIMEOUT,
    outcome_of,
    post,
    sender_id,
    texts,
    told_to_try_again,
)
from bench.scale.follower import (
    LOST_AFTER_SECONDS,
    CueReport,
    Follower,
    cue_report,
    routine_ended,
    routine_of,
)
from bench.scale.measure import LogWatch, cues, loadavg, rasa_logs
from bench.scale.routines import pinned, start_routine
from bench.scale.store import duplicated_events, user_events
from bench.scale.topologies import wait_balanced
from coach.intents import RECONNECT_MESSAGE
from coach.tools.cluster import SAMPLE_QUESTIONS, Cluster

QUESTIONS = SAMPLE_QUESTIONS
FAULTS = ("kill_replica", "kill_action_server", "restart_postgres", "restart_redis")


@dataclass
class Said:
    sent: float
    done: float
    outcome: str


@dataclass
class Talker:
    """A REST conversation: a message every ``every`` s until stopped."""

    url: str
    replica: str
    every: float = 1.0
    sender: str = field(default_factory=lambda: sender_id("talk"))
    said: List[Said] = field(default_factory=list)
    sending: threading.Event = field(default_factory=threading.Event)

    def run(self, stop: threading.Event) -> None:
        turn = 0
        while not stop.is_set():
            sent = time.time()
            self.sending.set()
            try:
                status, reply = post(
                    self.url, self.sender, QUESTIONS[turn % len(QUESTIONS)], pinned(self.replica)
                )
                outcome = outcome_of(texts(reply), status)
            except OSError:
                outcome = "error"
            self.said.append(Said(sent, time.time(), outcome))
            turn += 1
            stop.wait(max(0.0, sent + self.every - time.time()))

    def answered_again(self, fault_at: float) -> float | None:
        """Seconds from the fault until a message sent after it was answered."""
        after = [s.done for s in self.said if s.sent >= fault_at and s.outcome == "ok"]
        return round(min(after) - fault_at, 2) if after else None


@dataclass
class RoutineSession:
    """A routine followed to its end, reconnecting as the widget does if its
    replica goes."""

    url: str
    replica: str
    hold: int
    session: str = ""
    first: Follower | None = None
    again: Follower | None = None
    outcomes: List[str] = field(default_factory=list)
    ended: bool = False
    reconnected_at: float | None = None
    heard_again_at: float | None = None

    def run(self, deadline: float) -> None:
        self.session = sender_id(f"fault-{self.replica}")
        self.first = Follower(self.url, self.session, headers=pinned(self.replica))
        mark = self.first.mark()
        self.outcomes += start_routine(self.first, self.hold)
        if self.first.wait_for(routine_ended, deadline - time.time(), mark) is not None:
            self.ended = True
            return
        if self.first.connected:
            return  # not ended by the deadline
        while time.time() < deadline:
            try:
                self.again = Follower(self.url, self.session, headers=pinned(self.replica))
                break
            except Exception:  # the balancer has no replica for it yet
                time.sleep(0.5)
        if self.again is None:
            return
        self.reconnected_at = time.time()
        mark = self.again.say(RECONNECT_MESSAGE)
        heard = self.again.wait_for(lambda m: routine_of(m) is not None, REPLY_TIMEOUT, mark)
        if heard is None:
            return
        self.heard_again_at = heard[0]
        self.ended = self.again.wait_for(routine_ended, deadline - time.time(), mark) is not None

    def cues(self, finished: float) -> CueReport:
        """The cues due before the connection was lost, then those after the reconnect."""
        report = CueReport()
        if self.first is not None:
            cut = self.first.disconnected_at if self.again is not None else None
            report.add(cue_report(self.first, cut + LOST_AFTER_SECONDS if cut else finished))
        if self.again is not None:
            report.add(cue_report(self.again, finished))
        return report

    def describe(self, fault_at: float) -> Dict[str, Any]:
        def since(moment: float | None) -> float | None:
            return round(moment - fault_at, 2) if moment is not None else None

        first = self.first
        return {
            "session": self.session,
            "replica": self.replica,
            "disconnected_s": since(first.disconnected_at if first else None),
            "reconnected_s": since(self.reconnected_at),
            "heard_again_s": since(self.heard_again_at),
            "ended": self.ended,
        }

    def close(self) -> None:
        for follower in (self.first, self.again):
            if follower is not None:
                follower.close()


def mid_message(talker: Talker) -> None:
    """Returns 10 ms after ``talker`` sent a message: while a replica handles it
    (a message takes about 30 ms), so the fault lands mid-message."""
    talker.sending.clear()
    talker.sending.wait(5)
    time.sleep(0.01)


def inject(cluster: Cluster, fault: str) -> str | None:
    """Does ``fault``; returns the server to start again afterwards, if any."""
    if fault == "kill_replica":
        cluster.kill("rasa1")
        return "rasa1"
    if fault == "kill_action_server":
        cluster.kill("actions1")
        return "actions1"
    if fault == "restart_postgres":
        cluster.postgres.restart()
    elif fault == "restart_redis":
        cluster.redis.restart()
    return None


def one_fault(
    cluster: Cluster, fault: str, talkers: int, routines: int, hold: int, lead: float, after: float
) -> Dict[str, Any]:
    logs = LogWatch(rasa_logs(cluster.workdir))
    began = loadavg()
    stop = threading.Event()
    replicas = cluster.replicas
    people = [Talker(cluster.url, replicas[i % len(replicas)]) for i in range(talkers)]
    sessions = [
        RoutineSession(cluster.url, replicas[i % len(replicas)], hold) for i in range(routines)
    ]
    moment: Dict[str, float] = {}
    deadline = time.time() + lead + 8 + 2 * hold + 90
    pool = ThreadPoolExecutor(talkers + routines)
    try:
        running = [pool.submit(s.run, deadline) for s in sessions]
        running += [pool.submit(p.run, stop) for p in people]
        time.sleep(lead)
        mid_message(people[0])  # pinned to rasa1, the replica that is killed
        moment["at"] = time.time()
        restore = inject(cluster, fault)
        moment["done"] = time.time()
        time.sleep(after)
        stop.set()
        for future in running:
            future.result()
        finished = time.time()
    finally:
        stop.set()
        pool.shutdown(wait=True)
        for session in sessions:
            session.close()
    restore_s = None
    if restore is not None:
        started = time.monotonic()
        cluster.restart(restore)
        wait_balanced(cluster)
        restore_s = round(time.monotonic() - started, 1)
    fault_at = moment["at"]
    outcomes: Dict[str, int] = {}
    for talker in people:
        for said in talker.said:
            outcomes[said.outcome] = outcomes.get(said.outcome, 0) + 1
    senders = [p.sender for p in people]
    stored = user_events(cluster, senders)
    answered = {p.sender: sum(1 for s in p.said if s.outcome == "ok") for p in people}
    recovered = {p.sender: p.answered_again(fault_at) for p in people}
    report = CueReport()
    for session in sessions:
        report.add(session.cues(finished))
    cut = [s for s in sessions if s.reconnected_at is not None]
    return {
        "fault": fault,
        "fault_s": round(moment["done"] - fault_at, 2),
        "messages": {
            "answered": outcomes.get("ok", 0),
            "try_again": sum(n for k, n in outcomes.items() if told_to_try_again(k)),
            "unanswered": sum(
                n for k, n in outcomes.items() if k != "ok" and not told_to_try_again(k)
            ),
            "outcomes": outcomes,
        },
        "answered_again_s": {
            "max": max((v for v in recovered.values() if v is not None), default=None),
            "never": sum(1 for v in recovered.values() if v is None),
            "each": sorted(v for v in recovered.values() if v is not None),
        },
        "events_lost": sum(max(0, answered[s] - stored[s]["typed"]) for s in senders),
        "written_not_answered": sum(max(0, stored[s]["typed"] - answered[s]) for s in senders),
        "duplicated_events": len(
            duplicated_events(cluster, [*senders, *(s.session for s in sessions)])
        ),
        "routines": {
            "sessions": len(sessions),
            "start_messages_not_ok": sum(1 for s in sessions for o in s.outcomes if o != "ok"),
            "ended_normally": sum(1 for s in sessions if s.ended),
            "reconnected": len(cut),
            "gap_s": [round(s.heard_again_at - fault_at, 2) for s in cut if s.heard_again_at],
            "not_heard_again": sum(1 for s in cut if s.heard_again_at is None),
            "cues": cues(report),
            "each": [s.describe(fault_at) for s in sessions],
        },
        "lock_errors": logs.count("LockError"),
        "error_lines": logs.lines(r"\bERROR\b|Traceback")[:12],
        "restore_s": restore_s,
        "loadavg_start": began,
        "loadavg_end": loadavg(),
    }


def phase(
    cluster: Cluster,
    faults: List[str],
    talkers: int,
    routines: int,
    hold: int,
    lead: float,
    after: float,
    log: Callable[[str], None],
) -> Dict[str, Any]:
    results: Dict[str, Any] = {
        "topology": "2 replicas + 2 action servers (PostgreSQL, Redis, HAProxy)",
        "talkers": talkers,
        "routine_sessions": routines,
        "hold_s": hold,
        "fault_after_s": lead,
        "talk_after_fault_s": after,
        "loadavg_start": loadavg(),
        "faults": {},
    }
    for fault in faults:
        log(f"  {fault}")
        results["faults"][fault] = outcome = one_fault(
            cluster, fault, talkers, routines, hold, lead, after
        )
        log(f"    {outcome['messages']}, routines {outcome['routines']['gap_s']}")
    results["loadavg_end"] = loadavg()
    return results
