"""What every phase reads: latency summaries, CPU, the machine's load, new log lines."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence

from bench.scale.crowd import Sample, told_to_try_again
from bench.scale.follower import CueReport
from bench.scale.topologies import Topology, tree_cpu_seconds
from bench.speed.load import cpu_seconds, percentile, summary
from coach.tools.stack import ROOT

SLOW_MS = 2000.0  # p95 past this (or any error): no more users
KNEE_MS = 500.0  # the knee: the most users with p95 under this
IDLE_CORES = 0.15  # a server busier than this is still draining a backlog


def loadavg() -> List[float]:
    return [round(v, 2) for v in os.getloadavg()]


def machine() -> Dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {"cores": os.cpu_count(), "cpu": model, "memory_gib": round(pages / 2**30, 1)}


def code_version() -> Dict[str, Any]:
    """The commit, and the files changed in the working tree (others may be at work in it)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "changed": [line[3:] for line in git("status", "--porcelain").splitlines() if line],
    }


def own_cpu_seconds() -> float:
    return cpu_seconds(os.getpid())


def settle(topology: Topology, seconds: float = 30) -> float:
    """Waits until the servers are idle (a backlog drained); returns the wait."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        before = tree_cpu_seconds(topology.server_pids())
        time.sleep(1)
        if tree_cpu_seconds(topology.server_pids()) - before < IDLE_CORES:
            break
    return round(time.monotonic() - began, 1)


def latency(samples: Sequence[Sample]) -> Dict[str, Any]:
    """p50/p95/p99 over every message (errors count with their time to fail)."""
    if not samples:
        return {"requests": 0}
    outcomes: Dict[str, int] = {}
    for sample in samples:
        outcomes[sample.outcome] = outcomes.get(sample.outcome, 0) + 1
    return {
        **summary([s.latency_ms for s in samples]),
        "ok": outcomes.get("ok", 0),
        "try_again": sum(n for k, n in outcomes.items() if told_to_try_again(k)),
        "errors": sum(n for k, n in outcomes.items() if k != "ok" and not told_to_try_again(k)),
        "outcomes": outcomes,
    }


def by_channel(samples: Sequence[Sample]) -> Dict[str, Any]:
    channels = sorted({s.channel for s in samples})
    return {c: latency([s for s in samples if s.channel == c]) for c in channels}


def cues(report: CueReport) -> Dict[str, Any]:
    errors = report.errors_ms
    timing: Dict[str, Any] = {}
    if errors:
        timing = {
            "p50_ms": round(statistics.median(errors), 1),
            "p95_ms": round(percentile(errors, 0.95), 1),
            "max_ms": round(max(errors), 1),
            "over_250_ms": sum(1 for e in errors if e > 250),
        }
    return {
        "scheduled": report.scheduled,
        "arrived": report.arrived,
        "lost": len(report.lost),
        "lost_examples": report.lost[:10],
        "superseded": report.superseded,
        "duplicated": report.duplicated,
        **timing,
    }


class LogWatch:
    """The lines written to some logs since it was made."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.start = {p: p.stat().st_size if p.exists() else 0 for p in paths}

    def lines(self, pattern: str) -> List[str]:
        found: List[str] = []
        wanted = re.compile(pattern)
        for path, offset in self.start.items():
            if not path.exists():
                continue
            with open(path, "rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", errors="replace")
            found += [f"{path.name}: {line}" for line in text.splitlines() if wanted.search(line)]
        return found

    def count(self, pattern: str) -> int:
        return len(self.lines(pattern))


def rasa_logs(workdir: Path) -> List[Path]:
    return sorted(workdir.glob("rasa*.log"))
