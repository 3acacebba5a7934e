"""Phase 4, soak: the production profile under moderate load for a long time.

``users`` users of the usual mix (``bench.scale.crowd``: half REST, half
socket.io, a quarter of those in routines), a message every ``period`` s each,
for ``seconds``; with ``turns``, a new conversation every ``turns``
messages (one for each routine), else one conversation per user throughout.
Every ``interval`` s (a minute by default): the latency of the
messages due in that interval, errors, the resident memory of every replica
and action server (and of its speech workers), the events table of
PostgreSQL, the machine's load.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List

from bench.scale.crowd import Crowd, Mix
from bench.scale.measure import LogWatch, cues, latency, loadavg, rasa_logs
from bench.scale.store import events_size
from bench.scale.topologies import ClusterTopology, safe_rss, tree


def memory(topology: ClusterTopology) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for name, pid in topology.server_pids().items():
        workers = [p for p in tree(pid) if p != pid]
        found[name] = safe_rss(pid)
        if workers:
            found[f"{name} workers"] = round(sum(safe_rss(p) or 0 for p in workers), 1)
    return found


def phase(
    topology: ClusterTopology,
    users: int,
    period: float,
    seconds: float,
    interval: float,
    hold: int,
    turns: int,
    log: Callable[[str], None],
) -> Dict[str, Any]:
    cluster = topology.cluster
    logs = LogWatch(rasa_logs(cluster.workdir))
    began_load = loadavg()
    mix = Mix.of(users)
    crowd = Crowd(topology.url, topology.conversation, mix, period=period, hold=hold, turns=turns)
    snapshots: List[Dict[str, Any]] = []
    done = threading.Event()

    def snapshot(at: float) -> None:
        try:
            table = events_size(cluster)
        except Exception as error:  # PostgreSQL busy: said, not fatal
            table = {"error": str(error)}
        snapshots.append(
            {
                "at_s": round(at, 1),
                "rss_mib": memory(topology),
                "events": table,
                "loadavg": loadavg(),
            }
        )

    start = time.time()

    def sample() -> None:
        snapshot(0.0)
        while not done.wait(interval):
            snapshot(time.time() - start)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        crowd.run(seconds, start_in=1.0)
    finally:
        done.set()
        sampler.join(30)
    snapshot(time.time() - start)
    run_start = crowd.started_at
    periods = []
    for index in range(max(1, int(seconds // interval + (seconds % interval > 0)))):
        low, high = run_start + index * interval, run_start + (index + 1) * interval
        periods.append(
            {
                "from_s": round(index * interval),
                **latency([s for s in crowd.samples if low <= s.due < high]),
            }
        )
    first, last = snapshots[0]["rss_mib"], snapshots[-1]["rss_mib"]
    growth = {
        name: round(last[name] - first[name], 1)
        for name in first
        if first.get(name) is not None and last.get(name) is not None
    }
    log(f"  soak: {latency(crowd.samples)}")
    return {
        "topology": topology.label,
        "users": users,
        "mix": vars(mix),
        "period_s": period,
        "conversation_turns": turns or None,
        "seconds": seconds,
        "interval_s": interval,
        "overall": latency(crowd.samples),
        "per_interval": periods,
        "snapshots": snapshots,
        "rss_growth_mib": growth,
        "cues": cues(crowd.cues),
        "routines_started": crowd.routines_started,
        "routines_finished": crowd.routines_finished,
        "connect_errors": crowd.connect_errors,
        "lock_errors": logs.count("LockError"),
        "error_lines": logs.lines(r"\bERROR\b|Traceback")[:12],
        "loadavg_start": began_load,
        "loadavg_end": loadavg(),
    }
