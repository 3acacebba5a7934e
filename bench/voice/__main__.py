"""Benchmark: the voice channel with synthetic voices, and where to set MIN_CONFIDENCE.

Starts its own stack (offline voice, PSOAS_WORDS_PER_SECOND=0) with speech models
built from the current data/, then, over the real ``/webhooks/voice/webhook``:

1. questions: held-out sentences of every non-routine intent, spoken by each
   voice, each in a fresh conversation; right = the same reply texts as typing
   the sentence (as a perfect recogniser would write it) in a fresh conversation,
   where that typed reply is for the labelled intent (the rest are counted apart);
2. commands: held-out routine commands, ``hands_free``, in a fresh routine mid-hold
   (120 s); right = the same effect as typing it (routine status, step, side,
   hold, and reply texts with digits masked);
3. rejection: the coach's own sentences (espeak-ng, its offline voice) in
   ``hands_free`` and ``barge_in``, both every sentence it can say (worst case)
   and what it just said to that conversation (what the echo guard sees),
   everyday chatter and noise in every mode; and barge-in recall ("stop",
   "wait", "ouch" ... in every voice);
4. thresholds: per language model, the confidence of every recording and what
   acting on its transcript would have done (right, wrong, or a false accept of
   echo, chatter, noise): the model's own result comes from the server when the
   channel reported that model, else from an in-process PocketsphinxRecognizer on
   the same models; transcripts are typed over REST to judge them. Prints
   accept-right / accept-wrong / false accepts at several thresholds, the same
   for the command model with an intent gate (act only on routine commands and
   red flags), a recommended MIN_CONFIDENCE per model, and push-to-talk during a
   routine under the channel's plan (gated) and two alternatives;
5. latency: p50/p95 of the voice request (WAV in, JSON with audio URLs out),
   sequential and with 4 clients at once.

Raw results: bench/out/voice-*.json (``--tag`` names a run). Not a test: figures
for docs/benchmarks.md. flite voices are skipped (with a note) when flite is not
installed; espeak-ng is required (it is the coach's own offline voice).

    .venv/bin/python -m bench.voice                 # default set, about 10 minutes
    .venv/bin/python -m bench.voice --full          # every voice and speed, every sentence
    .venv/bin/python -m bench.voice --voices espeak:en-us:160 flite:slt:1.0 --per-intent 3
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

from bench.voice import corpus
from bench.voice import thresholds as th
from bench.voice.audio import Voice, available_engines
from bench.voice.client import Client
from bench.voice.commands import run_commands
from bench.voice.config import (
    CHATTER_VOICES,
    COACH_VOICE,
    DEFAULT_VOICES,
    FULL_VOICES,
    MODELS,
    PHASES,
    Config,
    Output,
    Record,
    log,
)
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.latency import run_latency
from bench.voice.local import Local
from bench.voice.questions import run_questions
from bench.voice.rejection import run_barge_in_recall, run_echo_said, run_rejection
from bench.voice.report import (
    accuracy_rows,
    print_tables,
    recall_rows,
    rejection_rows,
    worst_commands,
)
from bench.voice.supervisor import Supervisor
from bench.voice.tuning import analyse_thresholds, crosscheck, question_mode_in_routine
from coach.speech.listening import MIN_CONFIDENCE
from coach.speech.lm.build import build as build_speech_models
from coach.tools.stack import MODEL, ROOT, Stack

# what the figures depend on beyond the commit: the recogniser's code and the
# language-model builder's (every module of both packages)
RECOGNISER_CODE = ("coach/speech/asr", "coach/speech/lm")


def git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return done.stdout.strip() + (" (uncommitted changes)" if dirty else "")


def code_fingerprint() -> str:
    """What the figures depend on beyond the commit: the recogniser's code."""
    digest = hashlib.sha256()
    for folder in RECOGNISER_CODE:
        for path in sorted((ROOT / folder).glob("*.py")):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.voice",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--voices", nargs="+", help=f"default: {' '.join(DEFAULT_VOICES)}")
    parser.add_argument("--full", action="store_true", help="every voice and speed, all sentences")
    parser.add_argument(
        "--per-intent", type=int, default=4, help="held-out questions per intent (of 10)"
    )
    parser.add_argument(
        "--command-per-intent", type=int, default=5, help="held-out commands per intent (of 10)"
    )
    parser.add_argument("--chatter-voices", nargs="+", default=list(CHATTER_VOICES))
    parser.add_argument("--latency-requests", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2, help="clients for the accuracy runs")
    parser.add_argument("--tag", default="", help="results in bench/out/voice-TAG-*.json")
    parser.add_argument(
        "--reanalyse",
        action="store_true",
        help="no stack: thresholds again from the saved points of the run --tag names",
    )
    parser.add_argument(
        "--phases",
        nargs="+",
        default=list(PHASES),
        choices=list(PHASES),
    )
    parser.add_argument(
        "--wrong-cost", type=float, default=3.0, help="a wrong answer costs N rejections"
    )
    parser.add_argument("--ood-cost-questions", type=float, default=1.0)
    parser.add_argument("--ood-cost-listening", type=float, default=20.0)
    return parser.parse_args(argv)


def weights_of(args: argparse.Namespace) -> Dict[str, float]:
    return {
        "wrong": args.wrong_cost,
        "ood_questions": args.ood_cost_questions,
        "ood_listening": args.ood_cost_listening,
    }


def config_of(args: argparse.Namespace) -> Config | None:
    """The run the arguments ask for (``None``, after saying why, when it cannot run)."""
    phases = list(args.phases)
    if "thresholds" in phases:
        phases = sorted(set(phases) | {"questions", "commands", "rejection"})
    wanted = args.voices or (FULL_VOICES if args.full else DEFAULT_VOICES)
    engines = available_engines()
    if not engines["espeak"]:
        log("espeak-ng is not installed: it is the coach's own voice and this benchmark needs it")
        return None
    skipped = [v for v in wanted if not engines[Voice.parse(v).engine]]
    if skipped:
        log(f"flite is not installed (apt-get install flite): skipping {', '.join(skipped)}")
    chatter_voices = [
        Voice.parse(v) for v in args.chatter_voices if engines[Voice.parse(v).engine]
    ] or [Voice.parse(COACH_VOICE.replace("en-us", "en-us+m3"))]
    return Config(
        voices=[Voice.parse(v) for v in wanted if v not in skipped],
        skipped_voices=skipped,
        chatter_voices=chatter_voices,
        question_per_intent=None if args.full else args.per_intent,
        command_per_intent=None if args.full else args.command_per_intent,
        phases=phases,
        jobs=args.jobs,
        latency_requests=args.latency_requests,
        output=Output(args.tag),
        weights=weights_of(args),
    )


def reanalyse(output: Output, weights: Dict[str, float]) -> int:
    """Tables and recommendation again from a run's saved points (other weights)."""
    path = output.path("thresholds")
    saved = json.loads(path.read_text(encoding="utf-8"))
    points = {
        model: [th.Point(c, h, o, cat, i, t) for c, h, o, cat, i, t in saved[model]["points"]]
        for model in MODELS
    }
    analysis = th.summarise_models(points, weights)
    results = {
        "thresholds": th.strip_points(analysis),
        "recommended": th.recommend(analysis),
    }
    print(f"from {path.relative_to(ROOT)}, weights {weights}")
    print_tables(results)
    return 0


def run_phases(
    b: Bench,
    config: Config,
    questions: List[Sentence],
    commands: List[Sentence],
    results: Dict[str, Any],
) -> None:
    """Each phase asked for, in order, its raw records written as it ends."""
    write = config.output.write
    q_recs: List[Record] = []
    c_recs: List[Record] = []
    recall: List[Record] = []
    rejection: List[Record] = []
    if "questions" in config.phases:
        q_recs = run_questions(b, questions)
        write("questions", q_recs)
        results["questions"] = {"by_voice": accuracy_rows(q_recs, "voice")}
    if "commands" in config.phases:
        c_recs = run_commands(b, commands)
        write("commands", c_recs)
        results["commands"] = {
            "by_voice": accuracy_rows(c_recs, "voice"),
            "by_intent": worst_commands(c_recs),
        }
    if "rejection" in config.phases:
        rejection = run_rejection(b, config.chatter_voices)
        echo_said = run_echo_said(b)
        recall = run_barge_in_recall(b)
        write(
            "rejection",
            {"rejection": rejection, "echo_said": echo_said, "barge_in_recall": recall},
        )
        results["rejection"] = {
            "rows": rejection_rows(rejection + echo_said),
            "recall_by_voice": recall_rows(recall, "voice"),
            "recall_by_phrase": recall_rows(recall, "text"),
        }
    if "thresholds" in config.phases:
        analysis = analyse_thresholds(
            b, q_recs, c_recs, recall, rejection, commands, config.weights
        )
        results["recommended"] = th.recommend(analysis)
        first = [v.label for v in config.voices if v.engine == "espeak"][:1] + [
            v.label for v in config.voices if v.engine == "flite"
        ][:1]
        levels = {"current": dict(MIN_CONFIDENCE), "recommended": results["recommended"]}
        analysis["question_mode_in_routine"] = question_mode_in_routine(
            b, q_recs, c_recs, first, levels
        )
        write("thresholds", analysis)
        results["thresholds"] = th.strip_points(analysis)
        crosscheck(b, q_recs, c_recs, results)
    if "latency" in config.phases:
        results["latency"] = b.safe(
            lambda n: run_latency(b, questions, commands, n), config.latency_requests
        )
        write("latency", results["latency"])


def run(config: Config, command: str) -> int:
    """Build speech models from the current data/, start a stack on them, run the phases,
    write the summary and print the tables."""
    questions = corpus.questions(config.question_per_intent)
    commands = corpus.commands(config.command_per_intent)
    started = time.perf_counter()
    meta: Dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": command,
        "commit": git_commit(),
        "recogniser_code_sha256": code_fingerprint(),
        "model": str(MODEL.relative_to(ROOT)),
        "model_trained": datetime.datetime.fromtimestamp(MODEL.stat().st_mtime).isoformat(
            timespec="minutes"
        ),
        "voices": [v.label for v in config.voices],
        "skipped_voices": config.skipped_voices,
        "chatter_voices": [v.label for v in config.chatter_voices],
        "coach_voice": COACH_VOICE,
        "questions": len(questions),
        "commands": len(commands),
        "min_confidence_now": dict(MIN_CONFIDENCE),
    }
    results: Dict[str, Any] = {"meta": meta}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        speech = workdir / "speech"
        manifest = build_speech_models(speech)
        meta["speech_models"] = manifest["models"]
        meta["speech_models_fingerprint"] = str(manifest["fingerprint"])[:12]
        stack = Stack(
            workdir,
            env={
                "PSOAS_TTS_ENGINES": "espeak",
                "PSOAS_WORDS_PER_SECOND": "0",
                "PSOAS_SPEECH_MODEL_DIR": str(speech),
            },
        )
        try:
            log("starting the action server and Rasa")
            supervisor = Supervisor(stack)
            supervisor.start()
            b = Bench(Client(stack), Local(speech), config.voices, config.jobs, supervisor)
            b.safe(b.client.typed_answer, "hi")  # warm-up: first predictions build TF graphs
            run_phases(b, config, questions, commands, results)
            meta["rasa_rss_mib"] = round(stack.rss_mib("rasa"))
            meta["stack_restarts"] = supervisor.restarts
        finally:
            stack.stop_rasa()
            stack.stop_actions()
    meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
    config.output.write("summary", results)
    print_tables(results)
    print(f"\n{json.dumps(meta, indent=1)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reanalyse:
        return reanalyse(Output(args.tag), weights_of(args))
    config = config_of(args)
    if config is None:
        return 2
    command = "python -m bench.voice " + " ".join(sys.argv[1:] if argv is None else argv)
    return run(config, command)


if __name__ == "__main__":
    sys.exit(main())
