"""Phase 1, load: open-loop users in the shape of real use, more of them each
step, for each topology in turn (one running at a time).

Per number of users U: half REST, half socket.io, a quarter of the socket.io
users in routines (``bench.scale.crowd``); each user sends a message every
``period`` s (jitter 0.8-1.2x) for ``seconds``. Reported per U: latency
p50/p95/p99 from when each message was due, errors, messages answered a
second, the cues' timing, and the CPU of the servers (Rasa servers and action
servers with their workers; for the cluster, PostgreSQL, Redis and HAProxy
apart) and of this load generator. U stops growing once p95 passes 2 s or any
error or "try again" appears; the knee is the most users with p95 under
500 ms and neither.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

from bench.scale.crowd import Crowd, Mix, post
from bench.scale.measure import (
    KNEE_MS,
    SLOW_MS,
    LogWatch,
    by_channel,
    cues,
    latency,
    loadavg,
    own_cpu_seconds,
    rasa_logs,
    settle,
)
from bench.scale.topologies import Topology, tree_cpu_seconds


def failed(result: Dict[str, Any]) -> bool:
    """Any error or "try again": no more users after this step."""
    return bool(result["errors"] or result["try_again"])


def warm_up(topology: Topology) -> None:
    """One conversation, so the first users do not pay for loading graphs."""
    for text in topology.conversation:
        post(topology.url, "scale-warm-up", text, timeout=60)


def level(
    topology: Topology, users: int, seconds: float, period: float, hold: int, logs: LogWatch | None
) -> Dict[str, Any]:
    waited = settle(topology)
    began_load = loadavg()
    mix = Mix.of(users, topology.rest_only)
    crowd = Crowd(topology.url, topology.conversation, mix, period=period, hold=hold)
    servers, support = topology.server_pids(), topology.support_pids()
    cpu0, support0, own0 = tree_cpu_seconds(servers), tree_cpu_seconds(support), own_cpu_seconds()
    began = time.time()
    crowd.run(seconds)
    elapsed = time.time() - began
    cpu = tree_cpu_seconds(servers) - cpu0
    answered = sum(1 for s in crowd.samples if s.outcome == "ok")
    result: Dict[str, Any] = {
        "users": users,
        "mix": vars(mix),
        "period_s": period,
        "seconds": seconds,
        "offered_msg_s": round(users / period, 1),
        **latency(crowd.samples),
        "channels": by_channel(crowd.samples),
        "answered_msg_s": round(answered / seconds, 1),
        "connect_errors": crowd.connect_errors,
        "routines_started": crowd.routines_started,
        "routines_finished": crowd.routines_finished,
        "cues": cues(crowd.cues),
        "server_cpu_cores": round(cpu / elapsed, 2),
        "server_cpu_ms_a_message": round(cpu * 1000 / max(answered, 1), 1),
        "support_cpu_cores": round((tree_cpu_seconds(support) - support0) / elapsed, 2),
        "load_generator_cpu_cores": round((own_cpu_seconds() - own0) / elapsed, 2),
        "settle_before_s": waited,
        "loadavg_start": began_load,
        "loadavg_end": loadavg(),
        "elapsed_s": round(elapsed, 1),
    }
    result["errors"] += crowd.connect_errors
    if logs is not None:
        result["lock_errors"] = logs.count("LockError")
    return result


def run(
    topology: Topology,
    workdir: Path,
    steps: Sequence[int],
    seconds: float,
    period: float,
    hold: int,
    log: Any,
) -> Dict[str, Any]:
    """Loads a started ``topology`` step by step."""
    began = loadavg()
    warm_up(topology)
    logs = LogWatch(rasa_logs(workdir)) if topology.key == "cluster" else None
    levels: List[Dict[str, Any]] = []
    for users in steps:
        log(f"  {topology.key}: {users} users for {seconds:g} s")
        result = level(topology, users, seconds, period, hold, logs)
        log(
            f"    p50/p95/p99 {result.get('p50_ms')}/{result.get('p95_ms')}/"
            f"{result.get('p99_ms')} ms, errors {result['errors']}, "
            f"{result['answered_msg_s']} msg/s, CPU {result['server_cpu_cores']} cores"
        )
        levels.append(result)
        if result.get("p95_ms", 0) > SLOW_MS or failed(result):
            break
    under = [r["users"] for r in levels if r.get("p95_ms", SLOW_MS) < KNEE_MS and not failed(r)]
    return {
        "topology": topology.label,
        "loadavg_start": began,
        "loadavg_end": loadavg(),
        "levels": levels,
        "knee_users": max(under) if under else None,
        "knee_rule": f"most users with p95 < {KNEE_MS:g} ms, no errors, no 'try again'",
    }
