"""Benchmark: the coach at scale, the long version of tests/integration/test_scale.py.

    .venv/bin/python -m bench.scale                       # every phase, about 25 minutes
    .venv/bin/python -m bench.scale --quick --tag smoke   # a few seconds a phase
    .venv/bin/python -m bench.scale --phases routines,faults --tag faults

Phases (``--phases``, run in this order, loopback only):

1. ``load``: open-loop users for the stock ``rasa init`` bot (REST only),
   the single-process default and the 2-replica profile, one at a time
   (``bench.scale.load``);
2. ``routines``: 50 socket.io sessions with routines at once on the 2-replica
   profile (``bench.scale.routines``);
3. ``soak``: the 2-replica profile under moderate load for ``--soak-seconds``
   (``bench.scale.soak``); run before the faults, so that no restarted server
   hides a growth in memory;
4. ``faults``: ``kill -9`` of a replica and of an action server, restarts of
   PostgreSQL and Redis, mid-conversation and mid-routine (``bench.scale.faults``).

The 2-replica profile is started once for every phase that needs it. Results:
bench/out/scale-TAG.json and .md (the markdown is printed too); the servers'
logs stay in bench/out/scale-TAG-work/ until the next run with that tag.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

from bench.scale import faults, load, routines, soak
from bench.scale.measure import code_version, machine
from bench.scale.report import markdown
from bench.scale.topologies import CLUSTER, OUT, SINGLE, STOCK, ClusterTopology, make

PHASES = ("load", "routines", "soak", "faults")
BEGAN = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - BEGAN:6.0f} s] {message}", file=sys.stderr, flush=True)


def listed(text: str) -> List[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def numbers(text: str) -> List[int]:
    return [int(item) for item in listed(text)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--phases", type=listed, default=list(PHASES), help="comma-separated, of " + str(PHASES))
    add("--quick", action="store_true", help="a smoke run: a few seconds a phase")
    add("--tag", default="")
    add("--topologies", type=listed, default=[STOCK, SINGLE, CLUSTER], help="for the load phase")
    add(
        "--users",
        type=numbers,
        default=[10, 20, 40, 80, 120, 160, 200, 240],
        help="load: users per step",
    )
    add("--seconds", type=float, default=20.0, help="load: seconds per step")
    add("--period", type=float, default=3.0, help="seconds between a user's messages")
    add("--hold", type=int, default=10, help="load and soak: routine holds (s)")
    add("--routine-sessions", type=int, default=50)
    add("--routine-hold", type=int, default=25, help="25 s: every kind of cue")
    add("--routine-spread", type=float, default=10.0, help="routines start over this many s")
    add("--faults", type=listed, default=list(faults.FAULTS))
    add("--fault-talkers", type=int, default=6)
    add("--fault-routines", type=int, default=4)
    add("--fault-hold", type=int, default=20)
    add("--fault-lead", type=float, default=12.0, help="s from the start to the fault")
    add("--fault-after", type=float, default=15.0, help="s of talk after the fault")
    add("--soak-seconds", type=float, default=600.0)
    add("--soak-users", type=int, default=20)
    add("--soak-interval", type=float, default=60.0)
    add(
        "--soak-turns",
        type=int,
        default=12,
        help="a new conversation every this many messages (0: one per user throughout)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.phases) - set(PHASES) or set(args.topologies) - {STOCK, SINGLE, CLUSTER}
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if args.quick:
        args.users, args.seconds, args.hold = [2, 4], 10.0, 5
        args.routine_sessions, args.routine_hold, args.routine_spread = 6, 5, 2.0
        args.fault_talkers, args.fault_routines, args.fault_hold = 2, 2, 10
        args.fault_lead, args.fault_after = 10.0, 5.0
        args.soak_seconds, args.soak_users, args.soak_interval = 20.0, 6, 5.0
        args.soak_turns = min(args.soak_turns, 4)
    return args


def settings(args: argparse.Namespace) -> str:
    return (
        f"period {args.period:g} s (jitter 0.8-1.2x); load steps {args.seconds:g} s each; "
        f"routine holds {args.hold} s (load, soak), {args.routine_hold} s (routines), "
        f"{args.fault_hold} s (faults); offline voice (espeak), texts pre-rendered; "
        "PSOAS_WORDS_PER_SECOND=0 (holds start when announced); TICKET_LOCK_LIFETIME=15"
    )


def fresh_workdir(tag: str) -> Path:
    workdir = OUT / f"scale{'-' + tag if tag else ''}-work"
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    return workdir


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = fresh_workdir(args.tag)
    command = "python -m bench.scale " + " ".join(sys.argv[1:] if argv is None else argv)
    results: Dict[str, Any] = {
        "command": command,
        "machine": machine(),
        "code": code_version(),
        "settings": settings(args),
        "phases": {},
    }
    phases, timings = results["phases"], {}
    cluster_phases = [p for p in args.phases if p != "load"]
    cluster: ClusterTopology | None = None
    try:
        if "load" in args.phases:
            began = time.monotonic()
            phases["load"] = {"topologies": {}}
            for key in args.topologies:
                topology = make(key, workdir)
                log(f"load: starting {topology.label}")
                try:
                    topology.start()
                    phases["load"]["topologies"][key] = load.run(
                        topology, workdir / key, args.users, args.seconds, args.period,
                        args.hold, log,
                    )  # fmt: skip
                finally:
                    if isinstance(topology, ClusterTopology) and cluster_phases:
                        cluster = topology
                    else:
                        topology.stop()
            timings["load"] = round(time.monotonic() - began)
        if cluster_phases and cluster is None:
            log("starting the 2-replica profile")
            cluster = ClusterTopology(workdir / CLUSTER)
            cluster.start()  # a start that fails is stopped in the finally below
        for name in [p for p in PHASES if p in cluster_phases]:
            assert cluster is not None
            began = time.monotonic()
            log(f"{name}")
            if name == "routines":
                phases[name] = routines.phase(
                    cluster.cluster, args.routine_sessions, args.routine_hold,
                    args.routine_spread, log,
                )  # fmt: skip
            elif name == "soak":
                phases[name] = soak.phase(
                    cluster, args.soak_users, args.period, args.soak_seconds,
                    args.soak_interval, args.hold, args.soak_turns, log,
                )  # fmt: skip
            else:
                phases[name] = faults.phase(
                    cluster.cluster, args.faults, args.fault_talkers, args.fault_routines,
                    args.fault_hold, args.fault_lead, args.fault_after, log,
                )  # fmt: skip
            timings[name] = round(time.monotonic() - began)
    finally:
        if cluster is not None:
            cluster.stop()
        results["phase_seconds"] = timings
        results["total_seconds"] = round(time.monotonic() - BEGAN)
        OUT.mkdir(parents=True, exist_ok=True)
        stem = OUT / f"scale{'-' + args.tag if args.tag else ''}"
        stem.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    report = markdown(results)
    print(report)
    stem.with_suffix(".md").write_text(f"`{command}`\n\n{report}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
