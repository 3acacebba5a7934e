"""Benchmark: the voice channel with synthetic voices and conditions, per recogniser.

For each recogniser (``--recognizers``: ``PSOAS_RECOGNIZER``, Whisper tiny.en and
pocketsphinx by default) starts a stack of its own (offline voice,
PSOAS_WORDS_PER_SECOND=0, speech models built once from the current data/),
then, over the real ``/webhooks/voice/webhook``, every voice (espeak-ng, flite,
piper) under every condition (``bench.voice.conditions``: clean, pink noise at
20 and 10 dB SNR, a synthetic room, an Opus phone link, sped up):

1. questions: held-out sentences of every non-routine intent, each in a fresh
   conversation; right = the same reply texts as typing the sentence (as a
   perfect recogniser would write it) in a fresh conversation, where that typed
   reply is for the labelled intent (the rest are counted apart);
2. commands: ``hands_free``, in a fresh routine mid-hold (120 s), two sets
   reported apart: the spoken commands of ``bench/voice/holdout_speech.yml``
   and the routine commands of ``tests/nlu_holdout.yml``; right = the same
   effect as typing it (routine status, step, side, hold, and reply texts with
   digits masked);
3. pain: the pain and red-flag reports of ``holdout_speech.yml`` said mid-hold;
   acted upon = the routine paused or stopped afterwards;
4. rejection: the coach's own sentences (espeak-ng, its offline voice) in
   ``hands_free`` and ``barge_in``, both every sentence it can say (worst case)
   and what it just said to that conversation (what the echo guard sees),
   everyday chatter and noise in every mode (false accepts); and barge-in recall
   ("stop", "wait", "ouch" ...);
5. thresholds: per language model, the confidence of every recording and what
   acting on its transcript would have done (the recogniser's own result from the
   server, else from the same recogniser in-process), against the measured
   recogniser's bars (``min_confidence(model, engine)``); accept-right /
   accept-wrong / false accepts at several thresholds, a recommended bar per
   model, and push-to-talk during a routine under the channel's plan;
6. latency: p50/p95 of the voice request (WAV in, JSON with audio URLs out),
   sequential and with 4 clients at once; then the recognition workers' memory
   (RSS of the ``coach.speech.asr.worker`` processes under the Rasa server).

Raw results: bench/out/voice-[TAG-]*.json, keyed by recogniser (``--tag`` names a
run); the tables: printed and in bench/out/voice-[TAG-]report.md. Not a test:
figures for docs/benchmarks.md. Everything is synthetic (voices and conditions).

    .venv/bin/python -m bench.voice --quick      # all conditions, 2 voices: ~10 min a recogniser
    .venv/bin/python -m bench.voice              # default voices, every condition: hours
    .venv/bin/python -m bench.voice --recognizers pocketsphinx \\
        --voices piper:joe:1.0 --conditions clean noise10 --per-intent 1
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Dict, Sequence

from bench.voice import corpus
from bench.voice import thresholds as th
from bench.voice.audio import Voice, available_engines, noises
from bench.voice.conditions import CONDITIONS
from bench.voice.config import (
    CHATTER_VOICES,
    COACH_VOICE,
    DEFAULT_VOICES,
    FULL_VOICES,
    MODELS,
    PHASES,
    QUICK_SIZES,
    QUICK_VOICES,
    RECOGNIZERS,
    Config,
    Output,
    Sizes,
    log,
)
from bench.voice.markdown import Md
from bench.voice.markdown import thresholds as threshold_tables
from bench.voice.rejection import ECHO_TRIGGERS
from bench.voice.runner import Sets, run
from coach.settings import KNOWN_RECOGNIZERS, POCKETSPHINX

QUICK_PHASES = ("questions", "commands", "pain", "rejection", "latency")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.voice",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--recognizers", nargs="+", default=list(RECOGNIZERS), choices=list(KNOWN_RECOGNIZERS)
    )
    parser.add_argument("--voices", nargs="+", help=f"default: {' '.join(DEFAULT_VOICES)}")
    parser.add_argument(
        "--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS)
    )
    parser.add_argument("--full", action="store_true", help="every voice and speed, all sentences")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a small representative run: voices {' '.join(QUICK_VOICES)}, every condition, "
        "1 sentence per intent (the spoken command set only), subsets of the pain, echo, "
        "chatter and noise sets, 10 latency requests, no thresholds phase",
    )
    parser.add_argument(
        "--per-intent", type=int, default=None, help="held-out questions per intent (default 4)"
    )
    parser.add_argument(
        "--command-per-intent",
        type=int,
        default=None,
        help="held-out commands per intent, of each set (default 5)",
    )
    parser.add_argument("--chatter-voices", nargs="+", default=None)
    parser.add_argument(
        "--pain", type=int, default=None, help="pain phrases, spread over the 30 (default all)"
    )
    parser.add_argument(
        "--chatter", type=int, default=None, help="chatter sentences (default all 28)"
    )
    parser.add_argument("--latency-requests", type=int, default=None, help="default 30")
    parser.add_argument("--jobs", type=int, default=2, help="clients for the accuracy runs")
    parser.add_argument("--tag", default="", help="results in bench/out/voice-TAG-*.json")
    parser.add_argument(
        "--reanalyse",
        action="store_true",
        help="no stack: thresholds again from the saved points of the run --tag names",
    )
    parser.add_argument("--phases", nargs="+", default=None, choices=list(PHASES))
    parser.add_argument(
        "--dry-run", action="store_true", help="no stack: how many recordings the run makes"
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


def _or(value: int | None, quick: int, default: int | None, args: argparse.Namespace) -> int | None:
    if value is not None:
        return value
    if args.quick:
        return quick
    return None if args.full else default


def config_of(args: argparse.Namespace) -> Config | None:
    """The run the arguments ask for (``None``, after saying why, when it cannot run)."""
    phases = list(args.phases or (QUICK_PHASES if args.quick else PHASES))
    if "thresholds" in phases:
        phases = sorted(set(phases) | {"questions", "commands", "rejection"}, key=PHASES.index)
    wanted = args.voices or (
        QUICK_VOICES if args.quick else FULL_VOICES if args.full else DEFAULT_VOICES
    )
    engines = available_engines()
    if not engines["espeak"]:
        log("espeak-ng is not installed: it is the coach's own voice and this benchmark needs it")
        return None
    skipped = [v for v in wanted if not engines[Voice.parse(v).engine]]
    if skipped:
        log(f"not installed (flite: apt-get install flite; piper: piper-tts): skipping {skipped}")
    chatter = args.chatter_voices or list(CHATTER_VOICES[:1] if args.quick else CHATTER_VOICES)
    chatter_voices = [Voice.parse(v) for v in chatter if engines[Voice.parse(v).engine]] or [
        Voice.parse(COACH_VOICE.replace("en-us", "en-us+m3"))
    ]
    return Config(
        recognizers=list(dict.fromkeys(args.recognizers)),
        voices=[Voice.parse(v) for v in wanted if v not in skipped],
        conditions=[c for c in CONDITIONS if c in args.conditions],
        skipped_voices=skipped,
        chatter_voices=chatter_voices,
        question_per_intent=_or(args.per_intent, 1, 4, args),
        command_per_intent=_or(args.command_per_intent, 1, 5, args),
        phases=phases,
        jobs=args.jobs,
        latency_requests=args.latency_requests or (10 if args.quick else 30),
        output=Output(args.tag),
        weights=weights_of(args),
        sizes=replace(
            QUICK_SIZES if args.quick else Sizes(),
            **{k: v for k, v in (("pain", args.pain), ("chatter", args.chatter)) if v is not None},
        ),
        local_checks="thresholds" in phases or not args.quick,
    )


def reanalyse(output: Output, weights: Dict[str, float]) -> int:
    """Tables and recommendation again from a run's saved points (other weights)."""
    path = output.path("thresholds")
    saved = json.loads(path.read_text(encoding="utf-8"))
    if all(model in saved for model in MODELS):  # a run from before the recognisers
        saved = {POCKETSPHINX: saved}
    md = Md()
    md.text(f"from {path}, weights {weights} (synthetic voices)")
    for recognizer, analysis in saved.items():
        points = {
            model: [
                th.Point(c, h, o, cat, i, t) for c, h, o, cat, i, t in analysis[model]["points"]
            ]
            for model in MODELS
        }
        summary = th.summarise_models(points, weights, analysis.get("engine", recognizer))
        threshold_tables(md, th.strip_points(summary), th.recommend(summary), recognizer)
    print(md.render())
    return 0


def dry_run(config: Config) -> int:
    """The recordings of each phase, per recogniser, and a rough duration (seconds a
    recording on 2 cores, measured: about 0.4 in a fresh conversation, 1 mid-hold)."""
    sets = Sets.of(config)
    speakers = len(config.voices) * len(config.conditions)
    conditions = len(config.conditions)
    sizes = config.sizes
    echo = len(corpus.coach_sentences()[:: sizes.echo_every]) * 2 * conditions
    chatter = len(corpus.subset(corpus.CHATTER, sizes.chatter)) * len(config.chatter_voices)
    noise = len(corpus.subset(list(noises()), sizes.noises))
    triggers = len(corpus.subset(ECHO_TRIGGERS, sizes.echo_triggers))
    counts = {  # phase: (fresh, mid-hold)
        "questions": (len(sets.questions) * speakers, 0),
        "commands": (0, (len(sets.commands) + len(sets.speech_commands)) * speakers),
        "pain": (0, len(sets.pain) * speakers),
        "rejection": (
            echo + (chatter + noise) * 3 * conditions,
            2 * 2 * triggers * conditions  # about 2 replies a trigger, 2 modes
            + len(corpus.subset(corpus.BARGE_IN_PHRASES, sizes.barge_in)) * speakers,
        ),
    }
    total = 0.0
    for phase, (fresh, held) in counts.items():
        if phase in config.phases:
            total += 0.4 * fresh + 1.0 * held
            print(f"{phase}: {fresh + held} recordings ({held} mid-hold)")
    total += 90 + (40 if "latency" in config.phases else 0)  # start-up, typed references
    print(f"about {total / 60:.0f} minutes a recogniser ({len(config.recognizers)}), more with")
    print("thresholds (in-process re-decoding) and on a loaded machine")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reanalyse:
        return reanalyse(Output(args.tag), weights_of(args))
    config = config_of(args)
    if config is None:
        return 2
    if args.dry_run:
        return dry_run(config)
    command = "python -m bench.voice " + " ".join(sys.argv[1:] if argv is None else argv)
    return run(config, command)


if __name__ == "__main__":
    sys.exit(main())
