"""Phase 2, routines: many socket.io sessions with routines running at once on
the production profile.

Each session is pinned to a replica in turn (``Cookie: coach_replica=rasaN``,
as the balancer's own cookie would), asks for ``hold``-second holds and starts
the knee to chest stretch; the starts are spread over ``spread`` s, as people
arriving would be. Then every session follows its routine to the end without
typing. Reported: every cue each routine scheduled against what arrived (lost,
duplicated, timing error = arrival minus the scheduled time), whether every
routine ended, ``LockError``s in the replicas' logs, events written twice in
PostgreSQL, and the timed cues PostgreSQL holds against those that arrived.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List

from bench.scale.crowd import REPLY_TIMEOUT, START_ROUTINE, outcome_of, sender_id
from bench.scale.follower import CueReport, Follower, cue_report, routine_ended
from bench.scale.measure import LogWatch, cues, loadavg, rasa_logs
from bench.scale.store import duplicated_events, user_events
from coach.tools.cluster import Cluster


def pinned(replica: str) -> Dict[str, str]:
    return {"Cookie": f"coach_replica={replica}"}


def start_routine(follower: Follower, hold: int) -> List[str]:
    """Short holds, then the stretch; the outcome of each message."""
    outcomes = []
    for text in (f"make it {hold} seconds", START_ROUTINE):
        mark = follower.say(text)
        got = follower.reply(mark, REPLY_TIMEOUT)
        outcomes.append(
            "no_reply" if got is None else outcome_of(" ".join(follower.texts_since(mark)))
        )
    return outcomes


def connect_all(url: str, count: int, replicas: List[str]) -> List[Follower]:
    def one(index: int) -> Follower:
        replica = replicas[index % len(replicas)]
        return Follower(url, sender_id(f"routine-{replica}"), headers=pinned(replica))

    with ThreadPoolExecutor(10) as pool:
        return list(pool.map(one, range(count)))


def phase(
    cluster: Cluster, sessions: int, hold: int, spread: float, log: Callable[[str], None]
) -> Dict[str, Any]:
    began = loadavg()
    logs = LogWatch(rasa_logs(cluster.workdir))
    followers = connect_all(cluster.url, sessions, cluster.replicas)
    log(f"  {sessions} sessions connected; starting their routines over {spread:g} s")
    start = time.time() + 0.5

    def follow(indexed: tuple[int, Follower]) -> Dict[str, Any]:
        index, follower = indexed
        time.sleep(max(0.0, start + spread * index / sessions - time.time()))
        mark = follower.mark()
        outcomes = start_routine(follower, hold)
        ended = follower.wait_for(routine_ended, 8 + 2 * hold + 60, mark)
        return {"outcomes": outcomes, "ended": ended is not None}

    try:
        with ThreadPoolExecutor(sessions) as pool:
            results = list(pool.map(follow, enumerate(followers)))
        time.sleep(2)  # a cue delivered twice would come now
        finished = time.time()
    finally:
        for follower in followers:
            follower.close()
    report = CueReport()
    for follower in followers:
        report.add(cue_report(follower, finished + 60))
    senders = [f.session_id for f in followers]
    stored = user_events(cluster, senders)
    stored_cues = sum(s["cues"] for s in stored.values())
    outcomes = [o for r in results for o in r["outcomes"]]
    lock_errors = logs.lines("LockError")
    return {
        "topology": "2 replicas + 2 action servers (PostgreSQL, Redis, HAProxy)",
        "sessions": sessions,
        "hold_s": hold,
        "starts_spread_s": spread,
        "replicas": {r: sum(1 for f in followers if r in f.session_id) for r in cluster.replicas},
        "start_messages": {o: outcomes.count(o) for o in sorted(set(outcomes))},
        "routines_ended": sum(1 for r in results if r["ended"]),
        "cues": cues(report),
        "cues_in_postgres": stored_cues,
        "lock_errors": len(lock_errors),
        "lock_error_lines": lock_errors[:10],
        "duplicated_events": len(duplicated_events(cluster, senders)),
        "loadavg_start": began,
        "loadavg_end": loadavg(),
    }
