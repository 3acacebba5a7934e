"""Benchmark: NLU pipelines weighed on a development split, never on the held-out set.

Each candidate is trained (``rasa train nlu``, empty cache) on a stratified
share of ``data/nlu.yml`` and tested on the rest, for each ``--seeds`` split;
reported: intent accuracy and macro F1, entity F1, training seconds and the
CPU milliseconds of one ``parse`` (in process, after warm-up). The held-out
set (``tests/nlu_holdout.yml``) is read only with ``--holdout NAME``, once a
candidate is chosen, as the test command reads it.

    .venv/bin/python -m bench.nlu_configs                      # every candidate, 2 splits
    .venv/bin/python -m bench.nlu_configs --only current lean --seeds 1
    .venv/bin/python -m bench.nlu_configs --holdout lean --seeds   # the chosen one, held out

Results: bench/out/nlu-configs[-TAG].json. Not a test.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

import yaml

from coach.tools.stack import RASA, ROOT

OUT = ROOT / "bench" / "out"
Config = Dict[str, Any]

WHITESPACE = [{"name": "WhitespaceTokenizer"}]


def _current() -> Config:
    config: Config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return config


def _pipeline(
    tokens: List[Dict[str, Any]],
    diet: Dict[str, Any],
    char: tuple[int, int] = (2, 5),
    lexical: bool = True,
) -> Callable[[Config], Config]:
    """A candidate: the current config with its pipeline up to DIET replaced."""

    def make(base: Config) -> Config:
        config = copy.deepcopy(base)
        rest = [
            c
            for c in config["pipeline"]
            if c["name"] in ("EntitySynonymMapper", "FallbackClassifier")
            or c["name"].startswith("components.")
        ]
        features = [
            *tokens,
            *([{"name": "LexicalSyntacticFeaturizer"}] if lexical else []),
            {"name": "CountVectorsFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": char[0],
                "max_ngram": char[1],
            },
            {"name": "DIETClassifier", "random_seed": 42, "constrain_similarities": True, **diet},
        ]
        config["pipeline"] = features + rest
        return config

    return make


# "current" is config.yml as it is; the others replace its pipeline up to DIET.
# (The spaCy pipeline this was first run against, 2026-12-04, is in git:
# config.yml before the speed change; spaCy is no longer installed.)
CANDIDATES: Dict[str, Callable[[Config], Config]] = {
    "current": copy.deepcopy,
    "whitespace": _pipeline(WHITESPACE, {"epochs": 100}),
    "whitespace-e50": _pipeline(WHITESPACE, {"epochs": 50}),
    "whitespace-1x128": _pipeline(
        WHITESPACE, {"epochs": 100, "number_of_transformer_layers": 1, "transformer_size": 128}
    ),
    "whitespace-0layers": _pipeline(WHITESPACE, {"epochs": 100, "number_of_transformer_layers": 0}),
    "whitespace-0layers-e200": _pipeline(
        WHITESPACE, {"epochs": 200, "number_of_transformer_layers": 0}
    ),
    "whitespace-char1-4": _pipeline(WHITESPACE, {"epochs": 100}, char=(1, 4)),
}

PARSE_CPU = """
import asyncio, json, logging, statistics, sys, time
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
texts = json.loads(sys.argv[2])
async def main():
    agent = Agent.load(sys.argv[1])
    for text in texts[:20]:
        await agent.parse_message(text)
    spent = []
    for text in texts:
        began = time.process_time()
        await agent.parse_message(text)
        spent.append((time.process_time() - began) * 1000)
    print(json.dumps(statistics.median(spent)))
asyncio.run(main())
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rasa(args: List[str], workdir: Path, log_name: str) -> float:
    """Runs a rasa command quietly (log in ``workdir``); its seconds."""
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_CACHE_DIRECTORY": str(workdir / "cache"),
    }
    began = time.perf_counter()
    with open(workdir / log_name, "wb") as out:
        subprocess.run(
            [RASA, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True
        )
    return round(time.perf_counter() - began, 1)


def split(seed: int, workdir: Path) -> tuple[Path, Path]:
    folder = workdir / f"split-{seed}"
    rasa(
        [
            "data",
            "split",
            "nlu",
            "--nlu",
            "data/nlu.yml",
            "--random-seed",
            str(seed),
            "--out",
            str(folder),
        ],
        workdir,
        f"split-{seed}.log",
    )
    return folder / "training_data.yml", folder / "test_data.yml"


def texts_of(path: Path) -> List[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [m.get("text") for m in load_data(str(path)).intent_examples]


def evaluate(name: str, config: Config, train: Path, test: Path, workdir: Path) -> Dict[str, Any]:
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "config.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    seconds = rasa(
        [
            "train",
            "nlu",
            "--config",
            str(config_file),
            "--nlu",
            str(train),
            "--out",
            str(folder),
            "--fixed-model-name",
            "nlu",
            "--quiet",
        ],
        folder,
        "train.log",
    )
    model = folder / "nlu.tar.gz"
    rasa(
        [
            "test",
            "nlu",
            "--nlu",
            str(test),
            "--model",
            str(model),
            "--out",
            str(folder / "results"),
            "--quiet",
        ],
        folder,
        "test.log",
    )
    intents = json.loads((folder / "results" / "intent_report.json").read_text())
    entities_file = folder / "results" / "DIETClassifier_report.json"
    entities = json.loads(entities_file.read_text()) if entities_file.exists() else {}
    texts = texts_of(test)
    cpu = subprocess.run(
        [sys.executable, "-c", PARSE_CPU, str(model), json.dumps(texts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return {
        "training_s": seconds,
        "accuracy": round(intents["accuracy"], 4),
        "macro_f1": round(intents["macro avg"]["f1-score"], 4),
        "entity_f1": round(entities.get("micro avg", {}).get("f1-score", float("nan")), 4),
        "parse_cpu_ms": round(float(cpu.stdout.strip().splitlines()[-1]), 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_configs", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=list(CANDIDATES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--holdout", choices=list(CANDIDATES), help="train on all, test held out")
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)
    base = _current()
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nlu-configs-") as folder:
        workdir = Path(folder)
        for seed in args.seeds:
            train, test = split(seed, workdir)
            for name in args.only or list(CANDIDATES):
                log(f"seed {seed}: {name}")
                result = evaluate(f"{name}-{seed}", CANDIDATES[name](base), train, test, workdir)
                log(f"  {result}")
                results.setdefault(name, {})[f"dev split {seed}"] = result
        if args.holdout:
            log(f"held out: {args.holdout}")
            result = evaluate(
                f"{args.holdout}-all",
                CANDIDATES[args.holdout](base),
                ROOT / "data" / "nlu.yml",
                ROOT / "tests" / "nlu_holdout.yml",
                workdir,
            )
            log(f"  {result}")
            results.setdefault(args.holdout, {})["held out"] = result
    for by_split in results.values():
        dev = [r for key, r in by_split.items() if key.startswith("dev")]
        if dev:
            by_split["dev mean"] = {
                key: round(statistics.fmean(r[key] for r in dev), 4)
                for key in ("accuracy", "macro_f1", "entity_f1", "training_s", "parse_cpu_ms")
            }
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"nlu-configs{'-' + args.tag if args.tag else ''}.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(json.dumps({k: v.get("dev mean", v) for k, v in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
