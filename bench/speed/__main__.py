"""Benchmark: the coach's cost per typed message beside the stock ``rasa init`` bot.

In one run, for each bot on this machine (one at a time, nothing else running):
training time from an empty cache (``--no-train`` to skip), then a server
started as in use, warmed up, and measured:

1. one conversation at a time (``--rounds`` conversations of 12 turns): latency
   p50/p95 and CPU milliseconds a message, the Rasa server's and, for the
   coach, the action server's too (median of the per-message figures, and the
   whole run's CPU over its messages as a check);
2. open loop (``--users`` users each sending a message every ``--period`` s for
   ``--seconds``): latency p50/p95/p99 from when each message was due;
3. closed loop (``--clients`` sending back to back): saturation throughput;
4. resident memory after the load (and, for the coach, a 10,000-character
   message's answer time).

``--first-run`` also times a fresh clone of HEAD to its first answer
(``bench.speed.first_run``). Results: bench/out/speed[-TAG].json and .md.
Not a test: figures for docs/benchmarks.md.

    .venv/bin/python -m bench.speed                      # about 15 minutes with training
    .venv/bin/python -m bench.speed --no-train --bots coach --tag quick
    .venv/bin/python -m bench.speed --first-run --bots   # only the fresh clone
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

from bench.speed.bots import CoachBot, StockBot
from bench.speed.first_run import first_answer
from bench.speed.load import closed_loop, open_loop, rss_mib, sequential
from coach.tools.stack import ROOT

OUT = ROOT / "bench" / "out"
BOTS = ("coach", "stock")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(bot: Any, args: argparse.Namespace) -> Dict[str, Any]:
    if args.train:
        log(f"{bot.name}: training from an empty cache")
        bot.train()
        log(f"  {bot.training_seconds} s")
    log(f"{bot.name}: starting")
    bot.start()
    try:
        pids = bot.pids()
        idle = {name: round(rss_mib(pid)) for name, pid in pids.items()}
        sequential(bot.url, bot.conversation, pids, 1)  # warm-up: TF graphs, caches
        log(f"{bot.name}: {args.rounds} conversations one message at a time")
        one = sequential(bot.url, bot.conversation, pids, args.rounds).as_dict()
        log(f"  {one}")
        log(f"{bot.name}: {args.users} users, a message every {args.period} s each")
        crowd = open_loop(bot.url, bot.conversation, args.users, args.period, args.seconds)
        log(f"  {crowd}")
        log(f"{bot.name}: {args.clients} clients back to back for {args.saturation_seconds} s")
        throughput = closed_loop(bot.url, bot.conversation, args.clients, args.saturation_seconds)
        log(f"  {throughput} messages/s")
        long_ms = None
        if isinstance(bot, CoachBot):
            started = time.perf_counter()
            bot.stack.send("speed-long", "how do i stretch my psoas " * 380)
            long_ms = round((time.perf_counter() - started) * 1000)
        loaded = {name: round(rss_mib(pid)) for name, pid in pids.items()}
    finally:
        bot.stop()
    return {
        "training_s": bot.training_seconds,
        "one_conversation": one,
        "open_loop": crowd,
        "saturation_rps": throughput,
        "rss_idle_mib": idle,
        "rss_after_load_mib": loaded,
        "ten_thousand_characters_ms": long_ms,
    }


def markdown(results: Dict[str, Dict[str, Any]], first: Dict[str, Any] | None) -> str:
    rows: List[str] = [
        "| bot | CPU a message, Rasa (median) | with action server | training | "
        "1 conv. p50 / p95 | open loop p50 / p95 / p99 | saturation | Rasa RSS after load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        one, crowd = r["one_conversation"], r["open_loop"]
        cpu = one["cpu_ms_median"]
        both = round(sum(cpu.values()), 1)
        training = f"{r['training_s']} s" if r["training_s"] is not None else "not measured"
        rows.append(
            f"| {name} | {cpu['rasa']} ms | {both} ms | {training} | "
            f"{one['p50_ms']} / {one['p95_ms']} ms | "
            f"{crowd['p50_ms']} / {crowd['p95_ms']} / {crowd['p99_ms']} ms "
            f"({crowd['users']} users every {crowd['period_s']} s) | "
            f"{r['saturation_rps']} msg/s | {r['rss_after_load_mib']['rasa']} MiB |"
        )
    if "coach" in results and "rasa init" in results:
        ours = results["coach"]["one_conversation"]["cpu_ms_median"]["rasa"]
        stock = results["rasa init"]["one_conversation"]["cpu_ms_median"]["rasa"]
        rows.append(f"\nCPU a message, coach / stock (Rasa server): {ours / stock:.2f}x")
    if first is not None:
        rows.append(
            f"\nFresh clone to first answer: {first['seconds_to_first_answer']} s "
            f"({first['output_lines']} lines of output)"
        )
        rows.extend(f"- {s['at_s']} s: {s['stage']}" for s in first["stages"])
    return "\n".join(rows) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument("--bots", nargs="*", default=list(BOTS), choices=list(BOTS))
    parser.add_argument("--no-train", dest="train", action="store_false")
    parser.add_argument("--rounds", type=int, default=5, help="sequential conversations")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--period", type=float, default=3.0, help="seconds between a user's")
    parser.add_argument("--seconds", type=float, default=60.0, help="open loop duration")
    parser.add_argument("--clients", type=int, default=8, help="closed loop clients")
    parser.add_argument("--saturation-seconds", type=float, default=30.0)
    parser.add_argument("--cold-audio", action="store_true", help="coach: no pre-rendering")
    parser.add_argument("--first-run", action="store_true", help="time a fresh clone too")
    parser.add_argument(
        "--env", nargs="*", default=[], metavar="NAME=VALUE", help="for the coach's servers"
    )
    parser.add_argument("--tag", default="")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results: Dict[str, Dict[str, Any]] = {}
    for which in args.bots:
        with tempfile.TemporaryDirectory(prefix="speed-") as folder:
            workdir = Path(folder)
            bot = (
                CoachBot(
                    workdir,
                    prerender=not args.cold_audio,
                    env=dict(item.split("=", 1) for item in args.env),
                )
                if which == "coach"
                else StockBot(workdir)
            )
            results[bot.name] = measure(bot, args)
    first = None
    if args.first_run:
        log("fresh clone to first answer")
        first = first_answer()
    report = markdown(results, first)
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"speed{'-' + args.tag if args.tag else ''}"
    command = "python -m bench.speed " + " ".join(sys.argv[1:] if argv is None else argv)
    stem.with_suffix(".json").write_text(
        json.dumps({"command": command, "bots": results, "first_run": first}, indent=1),
        encoding="utf-8",
    )
    stem.with_suffix(".md").write_text(f"`{command}`\n\n{report}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
