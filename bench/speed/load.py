"""How a bot is loaded and what is read off its processes.

- ``sequential``: one conversation, one message at a time; each message's CPU
  (every thread of the process, from ``/proc/PID/task/*/schedstat``, in
  nanoseconds) and latency;
- ``closed_loop``: N clients sending as fast as they are answered (saturation
  throughput);
- ``open_loop``: U users, each sending a message every P seconds whatever the
  others do, as people typing would; latency counts from when the message was
  due, so a server that falls behind is charged for the wait (no coordinated
  omission).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

from bench.speed.bots import post

Send = Callable[[str, str], object]


def cpu_ns(pid: int) -> int:
    """CPU time of every live thread of ``pid`` so far, in nanoseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` so far, ended threads included (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies_ms: Sequence[float]) -> Dict[str, float]:
    return {
        "requests": len(latencies_ms),
        "p50_ms": round(statistics.median(latencies_ms), 1),
        "p95_ms": round(percentile(latencies_ms, 0.95), 1),
        "p99_ms": round(percentile(latencies_ms, 0.99), 1),
        "max_ms": round(max(latencies_ms), 1),
    }


def new_sender() -> str:
    return f"speed-{uuid.uuid4().hex[:10]}"


@dataclass
class Sequential:
    """One conversation after another, a message at a time."""

    latencies_ms: List[float]
    cpu_ms: Dict[str, List[float]]  # per process name, a value per message
    total_cpu_ms: Dict[str, float]  # per process name, /proc/PID/stat over the run, a message

    def as_dict(self) -> Dict[str, object]:
        return {
            **summary(self.latencies_ms),
            "cpu_ms_median": {k: round(statistics.median(v), 1) for k, v in self.cpu_ms.items()},
            "cpu_ms_mean": {k: round(statistics.fmean(v), 1) for k, v in self.cpu_ms.items()},
            "cpu_ms_per_message_stat": {k: round(v, 1) for k, v in self.total_cpu_ms.items()},
        }


def sequential(url: str, conversation: List[str], pids: Dict[str, int], rounds: int) -> Sequential:
    latencies: List[float] = []
    cpu: Dict[str, List[float]] = {name: [] for name in pids}
    began = {name: cpu_seconds(pid) for name, pid in pids.items()}
    for _ in range(rounds):
        sender = new_sender()
        for text in conversation:
            before = {name: cpu_ns(pid) for name, pid in pids.items()}
            started = time.perf_counter()
            post(url, sender, text)
            latencies.append((time.perf_counter() - started) * 1000)
            # what the server still does after answering (saving the tracker)
            # belongs to this message too
            time.sleep(0.05)
            for name, pid in pids.items():
                cpu[name].append((cpu_ns(pid) - before[name]) / 1e6)
    count = rounds * len(conversation)
    total = {name: (cpu_seconds(pid) - began[name]) * 1000 / count for name, pid in pids.items()}
    return Sequential(latencies, cpu, total)


def closed_loop(url: str, conversation: List[str], clients: int, seconds: float) -> float:
    """Messages a second with ``clients`` sending back to back for ``seconds``."""
    deadline = time.perf_counter() + seconds
    done = [0] * clients

    def client(index: int) -> None:
        sender, turn = new_sender(), 0
        while time.perf_counter() < deadline:
            post(url, sender, conversation[turn % len(conversation)])
            done[index] += 1
            turn += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return round(sum(done) / (time.perf_counter() - started), 1)


def open_loop(
    url: str, conversation: List[str], users: int, period: float, seconds: float
) -> Dict[str, float]:
    """``users`` each send a message every ``period`` s for ``seconds``, their
    phases spread evenly; latency from the moment each message was due."""
    start = time.perf_counter() + 1.0
    latencies: List[float] = []
    errors = [0]
    lock = threading.Lock()

    def user(index: int) -> None:
        sender = new_sender()
        due = start + period * index / users
        turn = 0
        while due < start + seconds:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                post(url, sender, conversation[turn % len(conversation)])
            except OSError:
                with lock:
                    errors[0] += 1
            with lock:
                latencies.append((time.perf_counter() - due) * 1000)
            turn += 1
            due += period

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    return {
        "users": users,
        "period_s": period,
        "offered_rps": round(users / period, 2),
        "errors": errors[0],
        **summary(latencies),
    }
