"""One run of bench/voice: speech models built once from the current data/, then
for each recogniser a stack of its own (``PSOAS_RECOGNIZER``), the phases, its
workers' memory; the summary and raw records keyed by recogniser."""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from bench.voice import corpus, rows
from bench.voice import thresholds as th
from bench.voice.client import Client
from bench.voice.commands import run_commands
from bench.voice.conditions import CLEAN
from bench.voice.config import COACH_VOICE, Config, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import NLU_HOLDOUT_SET, SPEECH_HOLDOUT_SET, Sentence
from bench.voice.latency import run_latency
from bench.voice.local import Local
from bench.voice.memory import worker_memory
from bench.voice.pain import run_pain
from bench.voice.questions import run_questions
from bench.voice.rejection import run_barge_in_recall, run_echo_said, run_rejection
from bench.voice.report import render
from bench.voice.supervisor import Supervisor
from bench.voice.tuning import analyse_thresholds, crosscheck, question_mode_in_routine
from coach.settings import RECOGNIZER
from coach.speech.lm.build import build as build_speech_models
from coach.speech.thresholds import red_flag_min_confidence
from coach.tools.stack import MODEL, ROOT, Stack

# what the figures depend on beyond the commit: the recognisers' code and the
# language-model builder's (every module of both packages), and the policy's bars
RECOGNISER_CODE = ("coach/speech/asr", "coach/speech/lm")
POLICY = "coach/speech/listening.py"


def git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return done.stdout.strip() + (" (uncommitted changes)" if dirty else "")


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    paths = [p for folder in RECOGNISER_CODE for p in sorted((ROOT / folder).glob("*.py"))]
    for path in [*paths, ROOT / POLICY]:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Sets:
    """What is said: held-out questions, the two command sets, the pain reports."""

    questions: List[Sentence]
    commands: List[Sentence]  # routine commands of tests/nlu_holdout.yml
    speech_commands: List[Sentence]  # bench/voice/holdout_speech.yml
    pain: List[Sentence]

    @classmethod
    def of(cls, config: Config) -> Sets:
        per_intent = config.sizes.speech_commands
        if per_intent is None:
            per_intent = config.command_per_intent
        return cls(
            questions=corpus.questions(config.question_per_intent),
            commands=corpus.commands(config.command_per_intent)
            if config.sizes.nlu_commands
            else [],
            speech_commands=corpus.speech_commands(per_intent),
            pain=corpus.pain_phrases(config.sizes.pain),
        )


def run_phases(b: Bench, config: Config, sets: Sets, part: Dict[str, Any]) -> None:
    """Each phase asked for, in order, for one recogniser; raw records written as
    each ends (``voice-NAME.json``, keyed by recogniser)."""

    def write(name: str, data: Any) -> None:
        config.output.write_part(name, b.recognizer, data)

    q_recs: List[Record] = []
    c_recs: List[Record] = []
    recall: List[Record] = []
    rejection: List[Record] = []
    if "questions" in config.phases:
        q_recs = run_questions(b, sets.questions)
        write("questions", q_recs)
        part["questions"] = {"rows": rows.by_clip(q_recs, rows.accuracy)}
    if "commands" in config.phases:
        named = [(SPEECH_HOLDOUT_SET, sets.speech_commands), (NLU_HOLDOUT_SET, sets.commands)]
        named = [(name, sentences) for name, sentences in named if sentences]
        c_recs = run_commands(b, named)
        write("commands", c_recs)
        part["commands"] = {
            name: {"rows": rows.by_clip([r for r in c_recs if r["set"] == name], rows.accuracy)}
            for name, _ in named
        }
        part["commands"]["by_intent"] = rows.worst_commands(c_recs)
    if "pain" in config.phases:
        p_recs = run_pain(b, sets.pain)
        write("pain", p_recs)
        part["pain"] = {
            "rows": rows.by_clip(p_recs, rows.pain),
            "by_phrase": rows.pain_by_phrase(p_recs),
        }
    if "rejection" in config.phases:
        rejection = run_rejection(b, config.chatter_voices)
        echo_said = run_echo_said(b)
        recall = run_barge_in_recall(b)
        write("rejection", {"rejection": rejection, "echo_said": echo_said, "recall": recall})
        part["rejection"] = {
            "rows": rows.rejection_rows(rejection + echo_said),
            "by_clip": rows.by_clip(rejection + echo_said, rows.false_accepts),
            "recall": rows.by_clip(recall, rows.recall),
            "recall_by_phrase": rows.by_key(recall, "text", rows.recall),
        }
    if "thresholds" in config.phases:
        commands = sets.commands + sets.speech_commands
        analysis = analyse_thresholds(
            b, q_recs, c_recs, recall, rejection, commands, config.weights
        )
        part["recommended"] = th.recommend(analysis)
        first = [v.label for v in config.voices][:2]
        condition = CLEAN if CLEAN in config.conditions else config.conditions[0]
        levels = {"current": th.current_bars(b.recognizer), "recommended": part["recommended"]}
        analysis["question_mode_in_routine"] = question_mode_in_routine(
            b, q_recs, c_recs, first, levels, condition
        )
        write("thresholds", analysis)
        part["thresholds"] = th.strip_points(analysis)
        crosscheck(b, q_recs, c_recs, part)
    if "latency" in config.phases:
        part["latency"] = b.safe(
            lambda n: run_latency(b, sets.questions, sets.commands or sets.speech_commands, n),
            config.latency_requests,
        )
        write("latency", part["latency"])


def run_recognizer(config: Config, recognizer: str, speech: Path, sets: Sets) -> Dict[str, Any]:
    """A stack with ``PSOAS_RECOGNIZER=recognizer``, the phases, its memory."""
    started = time.perf_counter()
    part: Dict[str, Any] = {}
    meta: Dict[str, Any] = {
        "min_confidence": th.current_bars(recognizer),
        "red_flag_min_confidence": red_flag_min_confidence(recognizer),
    }
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            Path(tmp),
            env={
                "PSOAS_TTS_ENGINES": "espeak",
                "PSOAS_WORDS_PER_SECOND": "0",
                "PSOAS_SPEECH_MODEL_DIR": str(speech),
                RECOGNIZER: recognizer,
            },
        )
        try:
            log(f"{recognizer}: starting the action server and Rasa")
            supervisor = Supervisor(stack)
            supervisor.start()
            b = Bench(
                Client(stack, config.jobs),
                Local(speech, recognizer),
                config.voices,
                config.jobs,
                supervisor,
                conditions=config.conditions,
                recognizer=recognizer,
                sizes=config.sizes,
                local_checks=config.local_checks,
            )
            b.safe(b.client.typed_answer, "hi")  # warm-up: first predictions build TF graphs
            run_phases(b, config, sets, part)
            assert stack.rasa is not None
            meta["memory"] = worker_memory(stack.rasa.pid)
            meta["stack_restarts"] = supervisor.restarts
        except Exception:
            log(f"{recognizer}: failed; the stack's logs (rasa.log) said:")
            rasa_log = Path(tmp) / "rasa.log"
            if rasa_log.exists():
                log(rasa_log.read_text(errors="replace")[-3000:])
            raise
        finally:
            stack.stop_rasa()
            stack.stop_actions()
    meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
    part["meta"] = meta
    return part


def run(config: Config, command: str) -> int:
    """Build speech models from the current data/, run every recogniser, write the
    summary and the report, print the tables."""
    sets = Sets.of(config)
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
        "recognizers": config.recognizers,
        "voices": [v.label for v in config.voices],
        "conditions": config.conditions,
        "skipped_voices": config.skipped_voices,
        "chatter_voices": [v.label for v in config.chatter_voices],
        "coach_voice": COACH_VOICE,
        "questions": len(sets.questions),
        "commands": len(sets.commands),
        "speech_commands": len(sets.speech_commands),
        "pain": len(sets.pain),
        "synthetic": True,
    }
    results: Dict[str, Any] = {"meta": meta, "recognizers": {}}
    failed: List[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        speech = Path(tmp) / "speech"
        manifest = build_speech_models(speech)
        meta["speech_models"] = manifest["models"]
        meta["speech_models_fingerprint"] = str(manifest["fingerprint"])[:12]
        for recognizer in config.recognizers:
            try:
                results["recognizers"][recognizer] = run_recognizer(
                    config, recognizer, speech, sets
                )
            except Exception:  # the other recognisers still run; the report says so
                log(f"{recognizer}: no results\n{traceback.format_exc()}")
                failed.append(recognizer)
            config.output.write("summary", results)
    meta["failed"] = failed
    meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
    config.output.write("summary", results)
    text = render(results)
    path = config.output.write_text("report", text)
    print(text)
    print(f"\n{json.dumps(meta, indent=1)}")
    log(f"report: {path.relative_to(ROOT)}")
    return 1 if failed else 0
