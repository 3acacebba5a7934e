"""Benchmark: REST reply latency (p50/p95) for 1 and 20 concurrent conversations,
and the resident memory of the Rasa server and the action server.

Starts its own stack from models/psoas-coach.tar.gz (train first: scripts/test or
scripts/run). Not a test: it prints figures for docs/benchmarks.md.

    .venv/bin/python -m bench.rest_latency [--turns 12] [--concurrency 1 20] [--cold-audio]

Replies carry synthesized audio, with the default engine chain (here, where gTTS
cannot be reached, the offline piper voice). As ``scripts/run`` does, every fixed
text is pre-rendered into the stack's audio cache first, unless ``--cold-audio``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

from coach.tools.stack import Stack

CONVERSATION = [
    "hi",
    "what is the psoas",
    "where is it exactly",
    "how do i stretch it",
    "how long?",
    "and the other side?",
    "tell me more",
    "how do i massage my psoas",
    "what should a release tool be like",
    "my leg is numb",
    "i'm pregnant can i still do this",
    "thanks bye",
]


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_conversation(stack: Stack, turns: int) -> List[float]:
    sender = f"bench-{uuid.uuid4().hex[:8]}"
    latencies = []
    for i in range(turns):
        started = time.perf_counter()
        stack.send(sender, CONVERSATION[i % len(CONVERSATION)])
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def measure(stack: Stack, concurrency: int, turns: int) -> Dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: run_conversation(stack, turns), range(concurrency)))
    wall = time.perf_counter() - started
    latencies = [value for conversation in results for value in conversation]
    return {
        "conversations": concurrency,
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "throughput_rps": round(len(latencies) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=len(CONVERSATION))
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20])
    parser.add_argument(
        "--cold-audio", action="store_true", help="no pre-rendering: synthesis on first use"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack(Path(workdir))
        prerender_seconds = None
        if not args.cold_audio:
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "coach.tools.prerender_audio"],
                env=stack.env,
                check=True,
                capture_output=True,
            )
            prerender_seconds = round(time.perf_counter() - began, 1)
        try:
            stack.start_actions()
            stack.start_rasa()
            idle = {
                "rasa_rss_mib": stack.rss_mib("rasa"),
                "actions_rss_mib": stack.rss_mib("actions"),
            }
            run_conversation(stack, 3)  # warm-up: first predictions build TF graphs
            rows = [measure(stack, c, args.turns) for c in args.concurrency]
            started = time.perf_counter()
            stack.send("bench-long", "how do i stretch my psoas " * 380)  # ~10,000 characters
            long_ms = round((time.perf_counter() - started) * 1000, 1)
            loaded = {
                "rasa_rss_mib": stack.rss_mib("rasa"),
                "actions_rss_mib": stack.rss_mib("actions"),
            }
        finally:
            stack.stop_rasa()
            stack.stop_actions()
    print(
        json.dumps(
            {
                "latency": rows,
                "ten_thousand_char_message_ms": long_ms,
                "prerender_seconds": prerender_seconds,
                "memory_idle": {k: round(v) for k, v in idle.items()},
                "memory_after_load": {k: round(v) for k, v in loaded.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
