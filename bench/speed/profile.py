"""Where a typed message's CPU goes in the Rasa server: a cProfile of the coach's
server over warm conversations, summed by the library that spends it.

Starts the coach as the speed benchmark does (``bench.speed.bots.CoachBot``:
pre-rendered audio as in use) with the Rasa server under ``cProfile``
(``bench.speed.profiled_rasa``), warms it up with one conversation, profiles
``--rounds`` conversations of ``bench.speed.bots.COACH_CONVERSATION``, and
prints the CPU a message by area (own time of the functions in each package),
the key steps of a message (cumulative), and the top functions by cumulative
time. Results: bench/out/profile[-TAG].txt, the raw profile beside it (.prof,
for pstats). cProfile slows Python code about 1.5-2x and native code not at
all: read the shares, not the totals.

    .venv/bin/python -m bench.speed.profile [--rounds 5] [--tag after]
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from bench.speed.bots import COACH_CONVERSATION, CoachBot, post
from coach.tools.stack import ROOT

OUT = ROOT / "bench" / "out"

# (area, substring of a function's file): first match wins
AREAS: List[Tuple[str, str]] = [
    ("jsonschema (Rasa's action-result check)", "/jsonschema/"),
    ("TensorFlow (DIET, TED)", "/tensorflow/"),
    ("Keras", "/keras/"),
    ("spaCy", "/spacy/"),
    ("thinc (spaCy's layers)", "/thinc/"),
    ("scikit-learn (CountVectors)", "/sklearn/"),
    ("scipy sparse", "/scipy/"),
    ("numpy", "/numpy/"),
    ("SQLAlchemy (tracker store)", "/sqlalchemy/"),
    ("dask (Rasa's graph runner)", "/dask/"),
    ("structlog, logging", "/structlog/"),
    ("structlog, logging", "/logging/"),
    ("Rasa: NLU components", "/rasa/nlu/"),
    ("Rasa: policies", "/rasa/core/policies/"),
    ("Rasa: tracker, events, domain", "/rasa/shared/"),
    ("Rasa: other", "/rasa/"),
    ("Sanic, aiohttp, asyncio", "/sanic/"),
    ("Sanic, aiohttp, asyncio", "/aiohttp/"),
    ("Sanic, aiohttp, asyncio", "/asyncio/"),
    ("the coach's own code", str(ROOT / "coach")),
    ("the coach's own code", str(ROOT / "channels")),
    ("the coach's own code", str(ROOT / "components")),
]


# (step, file ending, function): cumulative time a message, what each step costs
KEY_STEPS: List[Tuple[str, str, str]] = [
    ("handling a message, in all", "rasa/core/processor.py", "handle_message"),
    ("NLU: parse", "rasa/core/processor.py", "parse_message"),
    ("NLU: spaCy", "rasa/nlu/utils/spacy_utils.py", "process"),
    ("NLU: DIET", "rasa/nlu/classifiers/diet_classifier.py", "process"),
    ("NLU: the safety screen", "components/message_screen.py", "process"),
    ("policies: the next action", "rasa/core/processor.py", "_predict_next_with_tracker"),
    ("TED", "rasa/core/policies/ted_policy.py", "predict_action_probabilities"),
    ("tracker store: retrieve", "rasa/core/tracker_store.py", "_retrieve"),
    ("tracker store: save", "rasa/core/processor.py", "save_tracker"),
    ("actions: checking results", "rasa/core/actions/action.py", "_validate_action_result"),
]


def key_steps(stats: pstats.Stats, messages: int) -> List[str]:
    rows = ["| step | ms a message (cumulative) |", "|---|---|"]
    for step, ending, name in KEY_STEPS:
        cumulative = sum(
            entry[3]
            for (filename, _, function), entry in stats.stats.items()  # type: ignore[attr-defined]
            if filename.endswith(ending) and function == name
        )
        if cumulative:
            rows.append(f"| {step} | {cumulative / messages * 1000:.1f} |")
    return rows


def area_of(filename: str) -> str:
    for area, part in AREAS:
        if part in filename:
            return area
    if filename.startswith("~") or filename.startswith("<"):
        return "built-ins (C functions, json, re ...)"
    return "other Python"


def summarize(stats_file: Path, messages: int) -> str:
    top = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=top)
    by_area: Dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_area[area_of(filename)] += own
        total += own
    lines = [f"{messages} messages, {total / messages * 1000:.1f} ms a message under cProfile", ""]
    lines.append("| area | ms a message (own time) | share |")
    lines.append("|---|---|---|")
    for area, own in sorted(by_area.items(), key=lambda item: -item[1]):
        if own / total >= 0.005:
            lines.append(f"| {area} | {own / messages * 1000:.1f} | {own / total:.0%} |")
    lines += ["", *key_steps(stats, messages)]
    stats.sort_stats("cumulative").print_stats(40)
    return "\n".join(lines) + "\n\nTop 40 by cumulative time:\n" + top.getvalue()


def profile(rounds: int, stem: Path) -> str:
    """Profiles ``rounds`` warm conversations; keeps the raw profile as ``stem``.prof."""
    with tempfile.TemporaryDirectory(prefix="profile-") as folder:
        stats_file = Path(folder) / "rasa.prof"
        launcher = [sys.executable, "-m", "bench.speed.profiled_rasa", str(stats_file)]
        bot = CoachBot(Path(folder), launcher=launcher)
        bot.start()
        try:
            rasa = bot.pids()["rasa"]
            for text in COACH_CONVERSATION:  # warm-up: TF graphs, caches
                post(bot.url, "profile-warm-up", text)
            os.kill(rasa, signal.SIGUSR1)
            time.sleep(0.5)
            for round_ in range(rounds):
                for text in COACH_CONVERSATION:
                    post(bot.url, f"profile-{round_}", text)
            os.kill(rasa, signal.SIGUSR2)
            for _ in range(100):
                if stats_file.exists() and stats_file.stat().st_size:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            shutil.copy(stats_file, stem.with_suffix(".prof"))
            return summarize(stats_file, rounds * len(COACH_CONVERSATION))
        finally:
            bot.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.profile", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"profile{'-' + args.tag if args.tag else ''}"
    report = profile(args.rounds, stem)
    print(report)
    stem.with_suffix(".txt").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
