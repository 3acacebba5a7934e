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
import functools
import hashlib
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple, TypeVar

from bench import voice_corpus as corpus
from bench import voice_thresholds as th
from bench.voice_audio import Voice, available_engines, noises, wav_seconds
from bench.voice_client import Client, HoldPool, Reply, StackTrouble, VoiceResult, new_sender
from bench.voice_corpus import Sentence
from coach.speech.asr.audio_input import decode_wav, is_silent
from coach.speech.asr.service import (
    BARGE_IN,
    COMMANDS,
    MIN_CONFIDENCE,
    QUESTIONS,
    PocketsphinxRecognizer,
    Recognition,
)
from coach.speech.lm.build import ROUTINE_INTENTS
from coach.speech.lm.build import build as build_speech_models
from coach.tools.stack import MODEL, ROOT, Stack

OUT = ROOT / "bench" / "out"
DEFAULT_VOICES = ("espeak:en-us:160", "espeak:en-us+m3:140", "flite:slt:1.0", "flite:rms:1.0")
FULL_VOICES = (
    *(
        f"espeak:{v}:{s}"
        for v in ("en-us", "en-us+m3", "en-us+f1", "en-us-nyc", "en")
        for s in (140, 160, 180)
    ),
    *("flite:slt:1.0", "flite:slt:1.2", "flite:rms:1.0", "flite:kal16:1.0", "flite:awb:1.0"),
)
CHATTER_VOICES = ("espeak:en-us+m3:160", "flite:rms:1.0")
# the coach's offline voice (PSOAS_ESPEAK_VOICE, PSOAS_ESPEAK_SPEED defaults)
COACH_VOICE = "espeak:en-us:160"
QUESTION, HANDS_FREE, BARGE = "question", "hands_free", "barge_in"
REJECTED_STATUSES = ("not_understood", "no_speech")
HARMLESS_INTENTS = ("out_of_scope", "nlu_fallback")
MODELS = (QUESTIONS, COMMANDS, BARGE_IN)
# the model each mode tries first (mid-routine for the listening modes)
MODE_MODEL = {QUESTION: QUESTIONS, HANDS_FREE: COMMANDS, BARGE: BARGE_IN}

T = TypeVar("T")
R = TypeVar("R")
Record = Dict[str, Any]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


FAILURES = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


class Supervisor:
    """Restarts the stack's servers when they die under us. Other people's scripts
    on a shared machine may stop every Rasa process they see; each task runs again
    from scratch (fresh conversations), and the restarts are reported."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.restarts: List[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def _dead(process: subprocess.Popen[bytes] | None) -> bool:
        return process is None or process.poll() is not None

    def revive(self, reason: str) -> None:
        with self._lock:
            stack = self.stack
            if not self._dead(stack.actions) and not self._dead(stack.rasa):
                return
            log(f"the stack died ({reason}): restarting it")
            self.restarts.append(f"{datetime.datetime.now():%H:%M:%S} {reason}")
            stack.stop_rasa()
            stack.stop_actions()
            self.start()
            stack.send(new_sender("warm-up"), "hi")

    def start(self, tries: int = 3) -> None:
        """Both servers up (again if one is killed while starting)."""
        for attempt in range(tries):
            try:
                self.stack.start_actions()
                self.stack.start_rasa()
                return
            except (RuntimeError, TimeoutError) as exc:
                self.stack.stop_rasa()
                self.stack.stop_actions()
                if attempt == tries - 1:
                    raise
                log(f"the stack did not start ({exc}): trying again")
                self.restarts.append(f"{datetime.datetime.now():%H:%M:%S} start: {exc}"[:160])
                time.sleep(5)

    def run(self, fn: Callable[[T], R], item: T, tries: int = 3) -> R:
        for attempt in range(tries):
            try:
                return fn(item)
            except (*FAILURES, StackTrouble) as exc:
                if attempt == tries - 1:
                    raise
                time.sleep(2)
                self.revive(f"{type(exc).__name__}: {exc}"[:120])
        raise AssertionError("unreachable")


SUPERVISOR: Supervisor | None = None


def pmap(fn: Callable[[T], R], items: Sequence[T], jobs: int, label: str) -> List[R]:
    """``fn`` over ``items`` on ``jobs`` threads, in order, with progress on stderr
    (each item run again after a stack restart)."""
    if not items:
        return []
    done = 0
    lock = threading.Lock()
    started = time.perf_counter()

    def run(item: T) -> R:
        nonlocal done
        result = SUPERVISOR.run(fn, item) if SUPERVISOR else fn(item)
        with lock:
            done += 1
            if done % 50 == 0 or done == len(items):
                log(f"  {label}: {done}/{len(items)} ({time.perf_counter() - started:.0f} s)")
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, items))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def pct(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "n/a"


# --- in-process recognition ---------------------------------------------------------


class Local:
    """The server's recogniser, in this process, on the same models (transcripts of
    recordings the server did not act upon, and cross-checks)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._mine = threading.local()  # one decoder per thread (not thread-safe)
        self._cache: Dict[Tuple[str, str], Recognition] = {}
        self._lock = threading.Lock()
        self.seconds: Dict[str, List[float]] = defaultdict(list)

    @property
    def recognizer(self) -> PocketsphinxRecognizer:
        if not hasattr(self._mine, "recognizer"):
            self._mine.recognizer = PocketsphinxRecognizer(self.directory)
        recognizer: PocketsphinxRecognizer = self._mine.recognizer
        return recognizer

    def recognize(self, audio: bytes, model: str) -> Recognition:
        key = (hashlib.sha256(audio).hexdigest(), model)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        pcm = decode_wav(audio)
        if is_silent(pcm):
            result = Recognition("", 0.0, model, 0.0)
        else:
            started = time.perf_counter()
            result = self.recognizer.recognize(pcm.samples, model)
            with self._lock:
                self.seconds[model].append(time.perf_counter() - started)
        with self._lock:
            self._cache[key] = result
        return result


@dataclass
class Bench:
    client: Client
    local: Local
    voices: List[Voice]
    jobs: int
    results: Dict[str, Any] = field(default_factory=dict)


# --- records ------------------------------------------------------------------------


def record(voice: str, sentence: Sentence | None, name: str, mode: str, r: VoiceResult) -> Record:
    return {
        "voice": voice,
        "engine": voice.split(":")[0],
        "intent": sentence.intent if sentence else "",
        "text": name,
        "ideal": sentence.ideal if sentence else "",
        "mode": mode,
        **r.as_dict(),
    }


def judge(
    b: Bench,
    rec: Record,
    audio: bytes,
    ref: Reply,
    model: str,
    same: Callable[[Reply, Reply], bool],
    typed: Callable[[str], Reply],
) -> None:
    """The outcome as the channel decided (right, wrong, rejected, error); then, for
    ``model`` alone, the transcript whatever the confidence, the outcome if it had
    been acted upon, and the word errors. The channel may have tried several
    models (it reports the one it acted upon, or the last one it tried): the
    model's own result comes from the server when it reported that model, else
    from the in-process recogniser."""
    reply = Reply(rec["reply"]["intent"], tuple(rec["reply"]["texts"]), rec["reply"]["routine"])
    if rec["status"] == "ok":
        rec["outcome"] = th.RIGHT if same(reply, ref) else th.WRONG
    else:
        rec["outcome"] = "rejected" if rec["status"] in REJECTED_STATUSES else "error"
    if rec["status"] == "ok" and rec["model"] == model:
        rec["asr_transcript"], rec["asr_confidence"] = rec["transcript"], rec["confidence"]
        rec["if_accepted"] = rec["outcome"]
        rec["if_accepted_intent"] = reply.intent
    else:
        local = b.local.recognize(audio, model)
        rec["asr_transcript"], rec["asr_confidence"] = local.transcript, local.confidence
        if rec["model"] == model and rec["confidence"] is not None:
            rec["local_matches_server"] = abs(local.confidence - float(rec["confidence"])) < 1e-3
        would = typed(local.transcript) if local.transcript else None
        rec["if_accepted"] = (th.RIGHT if same(would, ref) else th.WRONG) if would else None
        rec["if_accepted_intent"] = would.intent if would else None
    reference = corpus.compare_words(rec["ideal"])
    hypothesis = corpus.compare_words(rec["asr_transcript"])
    rec["word_errors"] = corpus.word_errors(reference, hypothesis)
    rec["words"] = len(reference)


def same_answer(a: Reply, b: Reply) -> bool:
    return a.same_answer(b)


def same_effect(a: Reply, b: Reply) -> bool:
    return a.same_effect(b)


# --- 1. questions -------------------------------------------------------------------


def run_questions(b: Bench, sentences: List[Sentence]) -> List[Record]:
    ideals = sorted({s.ideal for s in sentences})
    log(f"questions: {len(ideals)} typed references")
    refs = dict(zip(ideals, pmap(b.client.typed_answer, ideals, b.jobs, "typed"), strict=True))
    tasks = [(v, s) for v in b.voices for s in sentences]

    def one(task: Tuple[Voice, Sentence]) -> Record:
        voice, sentence = task
        audio = voice.say(sentence.say)
        rec = record(voice.label, sentence, sentence.text, QUESTION, b.client.voice_fresh(audio))
        ref = refs[sentence.ideal]
        rec["typed_ok"] = ref.intent == sentence.intent
        rec["typed_intent"] = ref.intent
        judge(b, rec, audio, ref, QUESTIONS, same_answer, b.client.typed_answer)
        return rec

    log(f"questions: {len(tasks)} recordings")
    return pmap(one, tasks, b.jobs, "questions")


# --- 2. commands --------------------------------------------------------------------


def run_commands(b: Bench, sentences: List[Sentence]) -> List[Record]:
    ideals = sorted({s.ideal for s in sentences})
    log(f"commands: {len(ideals)} typed references (each in a fresh routine)")
    refs = dict(zip(ideals, pmap(b.client.typed_effect, ideals, b.jobs, "typed"), strict=True))
    tasks = [(v, s) for v in b.voices for s in sentences]

    def one(task: Tuple[Voice, Sentence]) -> Record:
        voice, sentence = task
        audio = voice.say(sentence.say)
        result = b.client.voice_mid_hold(audio, HANDS_FREE)
        rec = record(voice.label, sentence, sentence.text, HANDS_FREE, result)
        ref = refs[sentence.ideal]
        rec["typed_ok"] = ref.intent == sentence.intent
        rec["typed_intent"] = ref.intent
        rec["ref"] = ref.as_dict()
        judge(b, rec, audio, ref, COMMANDS, same_effect, b.client.typed_effect)
        return rec

    log(f"commands: {len(tasks)} recordings (hands_free, mid-hold)")
    return pmap(one, tasks, b.jobs, "commands")


# --- 3. rejection and barge-in recall -----------------------------------------------


def stops_or_pauses(reply: Reply) -> bool:
    return reply.routine is not None and reply.routine[0] in ("paused", "stopped")


def run_barge_in_recall(b: Bench) -> List[Record]:
    phrases = corpus.barge_in_phrases()
    refs = {s.ideal: safe(b.client.typed_effect, s.ideal) for s in phrases}
    tasks = [(v, s) for v in b.voices for s in phrases]

    def one(task: Tuple[Voice, Sentence]) -> Record:
        voice, sentence = task
        audio = voice.say(sentence.say)
        result = b.client.voice_mid_hold(audio, BARGE)
        rec = record(voice.label, sentence, sentence.text, BARGE, result)
        ref = refs[sentence.ideal]
        rec["typed_ok"] = stops_or_pauses(ref)
        rec["typed_intent"] = ref.intent
        judge(b, rec, audio, ref, BARGE_IN, same_effect, b.client.typed_effect)
        return rec

    log(f"barge-in recall: {len(tasks)} recordings")
    return pmap(one, tasks, b.jobs, "barge-in")


# typed mid-hold to make the coach say something (then played back as its echo)
ECHO_TRIGGERS: Tuple[Tuple[str, ...], ...] = (
    (),  # the start of the routine and of the hold
    ("/ask_time_left",),
    ("/routine_pause",),
    ("/routine_pause", "/routine_resume"),
    ("/hold_longer",),
    ('/set_hold_duration{"duration": "45 seconds"}',),
    ("/ask_other_side",),
    ("/ask_repeat",),
)


def run_echo_said(b: Bench) -> List[Record]:
    """The coach's voice heard back right after it spoke, in the same conversation
    (what the server's echo guard is for): each spoken reply of a trigger, in the
    coach's voice, in each listening mode, each in a fresh routine mid-hold."""
    coach = Voice.parse(COACH_VOICE)

    def said_by(trigger: Tuple[str, ...]) -> List[str]:
        sender = new_sender("echo-probe")
        messages = b.client.start_hold(sender)
        for text in trigger:
            messages = b.client.rest(sender, text)
        b.client.stop_routine(sender)
        return [str(m["spoken"]) for m in messages if m.get("spoken")]

    tasks = [
        (trigger, spoken, mode)
        for trigger, texts in zip(
            ECHO_TRIGGERS, pmap(said_by, list(ECHO_TRIGGERS), b.jobs, "echo probes"), strict=True
        )
        for spoken in dict.fromkeys(texts)
        for mode in (HANDS_FREE, BARGE)
    ]

    def one(task: Tuple[Tuple[str, ...], str, str]) -> Record:
        trigger, spoken, mode = task
        sender = new_sender("echo")
        b.client.start_hold(sender)
        for text in trigger:
            b.client.rest(sender, text)
        result = b.client.voice(sender, coach.say(spoken), mode)
        b.client.stop_routine(sender)
        rec = record(coach.label, None, spoken, mode, result)
        rec["set"] = "echo, just said"
        rec["trigger"] = " then ".join(trigger) or "start"
        return rec

    log(f"echo of what the coach just said: {len(tasks)} recordings")
    return pmap(one, tasks, b.jobs, "echo, just said")


def run_rejection(b: Bench, chatter_voices: List[Voice]) -> List[Record]:
    pool = HoldPool(b.client)
    coach = Voice.parse(COACH_VOICE)
    tasks: List[Tuple[str, str, str, bytes, str]] = []  # set, voice, name, audio, mode
    for sentence in corpus.coach_sentences():
        audio = coach.say(sentence.say)
        tasks += [("echo", coach.label, sentence.text, audio, m) for m in (HANDS_FREE, BARGE)]
    for voice in chatter_voices:
        for sentence in corpus.chatter():
            audio = voice.say(sentence.say)
            tasks += [
                ("chatter", voice.label, sentence.text, audio, m)
                for m in (HANDS_FREE, BARGE, QUESTION)
            ]
    for name, audio in noises().items():
        tasks += [("noise", "noise", name, audio, m) for m in (HANDS_FREE, BARGE, QUESTION)]

    def one(task: Tuple[str, str, str, bytes, str]) -> Record:
        kind, voice, name, audio, mode = task
        # push-to-talk outside a routine; the listening modes mid-hold
        result = b.client.voice_fresh(audio, mode) if mode == QUESTION else pool.voice(audio, mode)
        rec = record(voice, None, name, mode, result)
        rec["set"] = kind
        rec["seconds"] = round(wav_seconds(audio), 2)
        # the mode's first model alone (hands-free falls back on the barge-in list):
        # its transcript, confidence and the NLU intent of the transcript
        model = MODE_MODEL[mode]
        if result.acted and result.model == model:
            rec["asr_transcript"], rec["asr_confidence"] = result.transcript, result.confidence
            rec["if_accepted_intent"] = result.reply.intent
        else:
            local = b.local.recognize(audio, model)
            rec["asr_transcript"], rec["asr_confidence"] = local.transcript, local.confidence
            rec["if_accepted_intent"] = (
                b.client.typed_answer(local.transcript).intent if local.says_something else None
            )
        return rec

    log(f"rejection: {len(tasks)} recordings (echo, chatter, noise)")
    try:
        return pmap(one, tasks, b.jobs, "rejection")
    finally:
        pool.close()


# --- 4. thresholds ------------------------------------------------------------------


def safe(fn: Callable[[T], R], item: T) -> R:
    """``fn(item)``, run again after a stack restart if the stack died."""
    return SUPERVISOR.run(fn, item) if SUPERVISOR else fn(item)


def says_something(transcript: str) -> bool:
    """What the channel requires besides confidence (a word that is not a filler)."""
    return bool(transcript) and Recognition(transcript, 1.0, QUESTIONS, 1.0).says_something


def domain_points(records: Iterable[Record], category: str) -> List[th.Point]:
    return [
        th.Point(
            float(r["asr_confidence"] or 0.0),
            says_something(r["asr_transcript"]),
            r["if_accepted"] or th.WRONG,
            category,
            r.get("if_accepted_intent"),
            r["asr_transcript"],
        )
        for r in records
        if r["typed_ok"]
    ]


def ood_points(records: Iterable[Record], mode: str) -> List[th.Point]:
    return [
        th.Point(
            float(r["asr_confidence"] or 0.0),
            says_something(r["asr_transcript"]),
            th.OOD,
            r["set"],
            r.get("if_accepted_intent"),
            r["asr_transcript"],
        )
        for r in records
        if r["mode"] == mode
    ]


def barge_in_on_commands(b: Bench, sentences: List[Sentence]) -> Tuple[List[th.Point], Record]:
    """The routine commands said while the coach speaks, in-process: stop and pause
    should be acted upon; every other command must not be (a false accept)."""
    points: List[th.Point] = []
    stop_pause: Counter[str] = Counter()
    tasks = [(v, s) for v in b.voices for s in sentences]

    def one(task: Tuple[Voice, Sentence]) -> Tuple[Sentence, Recognition]:
        voice, sentence = task
        return sentence, b.local.recognize(voice.say(sentence.say), BARGE_IN)

    for sentence, result in pmap(one, tasks, b.jobs, "barge-in model on commands"):
        if sentence.intent in corpus.BARGE_IN_INTENTS:
            ref = safe(b.client.typed_effect, sentence.ideal)
            accepted = result.accepted()
            right = accepted and safe(b.client.typed_effect, result.transcript).same_effect(ref)
            stop_pause["n"] += 1
            stop_pause["acted"] += accepted
            stop_pause["right"] += right
        else:
            said = f"{sentence.text} -> {result.transcript}"
            points.append(
                th.Point(
                    result.confidence, result.says_something, th.OOD, "other command", text=said
                )
            )
    return points, dict(stop_pause)


def accepted_at(rec: Record, threshold: float) -> bool:
    return bool(rec["asr_transcript"]) and float(rec["asr_confidence"] or 0.0) >= threshold


def question_mode_in_routine(
    b: Bench,
    questions: List[Record],
    commands: List[Record],
    voices: List[str],
    levels: Dict[str, Dict[str, float]],
) -> Dict[str, Any]:
    """Push-to-talk during a routine: the channel tries the command model (its
    result taken only when the NLU reads it as routine talk: "gated"), then the
    barge-in list, then the question model. Compared, in-process, with the
    ungated plan it had before, and with the question model alone (it holds
    every NLU example, the commands too), for questions and for commands, at
    each set of thresholds. Questions are judged by their reply in a fresh conversation,
    commands by their effect mid-hold."""
    qs = [r for r in questions if r["voice"] in voices and r["typed_ok"]]
    cs = [r for r in commands if r["voice"] in voices and r["typed_ok"]]
    plans = ("ungated: commands, barge-in, questions", "questions only", "now: gated")

    def audio(rec: Record) -> bytes:
        return Voice.parse(rec["voice"]).say(corpus.make_sentence("", rec["text"], "q").say)

    def outcomes(
        results: Dict[str, Recognition],
        judge_text: Callable[[str], str],
        intent_of: Callable[[str], str | None],
    ) -> Dict[str, Tuple[str, ...]]:
        out: Dict[str, Tuple[str, ...]] = {}
        for name, level in levels.items():

            def taken(model: str, level: Dict[str, float] = level) -> bool:
                return results[model].accepted(level[model])

            alone = judge_text(results[QUESTIONS].transcript) if taken(QUESTIONS) else "rejected"
            barge = judge_text(results[BARGE_IN].transcript) if taken(BARGE_IN) else alone
            command = judge_text(results[COMMANDS].transcript) if taken(COMMANDS) else barge
            gated = command
            if taken(COMMANDS) and intent_of(results[COMMANDS].transcript) not in GATE:
                gated = barge
            out[name] = (command, alone, gated)
        return out

    def judged(rec: Record, typed: Callable[[str], Any], same: str) -> Dict[str, Tuple[str, ...]]:
        """Each plan's outcome; right when typing the transcript gives the same
        reply (``same_answer``) or effect (``same_effect``) as typing the words."""
        clip = audio(rec)
        results = {m: b.local.recognize(clip, m) for m in MODELS}
        reference = typed(rec["ideal"])

        def judge_text(text: str) -> str:
            return th.RIGHT if getattr(typed(text), same)(reference) else th.WRONG

        return outcomes(results, judge_text, lambda t: b.client.typed_answer(t).intent)

    def on_question(rec: Record) -> Dict[str, Tuple[str, ...]]:
        return judged(rec, b.client.typed_answer, "same_answer")

    def on_command(rec: Record) -> Dict[str, Tuple[str, ...]]:
        return judged(rec, b.client.typed_effect, "same_effect")

    result: Dict[str, Any] = {"voices": voices, "questions": len(qs), "commands": len(cs)}
    for kind, recs, fn in (("questions", qs, on_question), ("commands", cs, on_command)):
        found = pmap(fn, recs, b.jobs, f"question mode mid-routine ({kind})")
        for name, level in levels.items():
            for i, plan in enumerate(plans):
                counts = Counter(o[name][i] for o in found)
                result.setdefault(name, {"thresholds": level})[f"{kind}; {plan}"] = dict(counts)
    return result


# what the voice channel lets the command model act upon (channels/voice.py)
GATE = ROUTINE_INTENTS


def summarise(
    pts: List[th.Point], current: float, weights: Tuple[float, float], gate: Any = None
) -> Dict[str, Any]:
    wrong_cost, ood_cost = weights
    categories = sorted({p.category for p in pts if p.outcome == th.OOD})
    accepted_ood = {
        c: [
            round(p.confidence, 3)
            for p in pts
            if p.category == c and p.outcome == th.OOD and p.accepted(0.0, gate)
        ]
        for c in categories
    }
    ood = [p for p in pts if p.outcome == th.OOD]
    return {
        "table": [r.as_dict() for r in th.table(pts, gate=gate)],
        "false_accepts": [
            {
                c: [
                    sum(p.accepted(t, gate) for p in ood if p.category == c),
                    sum(1 for p in ood if p.category == c),
                ]
                for c in categories
            }
            for t in th.TABLE_THRESHOLDS
        ],
        "at_current": th.row(pts, current, gate).as_dict(),
        "lowest_without_false_accepts": th.lowest_quiet(pts, 0, gate),
        "least_cost": th.least_cost(pts, wrong_cost, ood_cost, gate),
        "least_cost_if_a_wrong_answer_costs": {
            str(w): th.least_cost(pts, w, ood_cost, gate)["threshold"] for w in (1, 2, 3, 5, 10)
        },
        "ood_top_confidences": {
            c: sorted(v, reverse=True)[:5] for c, v in accepted_ood.items() if v
        },
    }


def analyse_thresholds(
    b: Bench,
    questions: List[Record],
    commands: List[Record],
    recall: List[Record],
    rejection: List[Record],
    command_sentences: List[Sentence],
    weights: Dict[str, float],
) -> Dict[str, Any]:
    other_commands, stop_pause = barge_in_on_commands(b, command_sentences)
    points = {
        QUESTIONS: domain_points(questions, "question") + ood_points(rejection, QUESTION),
        COMMANDS: domain_points(commands, "command") + ood_points(rejection, HANDS_FREE),
        BARGE_IN: domain_points(recall, "barge_in") + ood_points(rejection, BARGE) + other_commands,
    }
    out = summarise_models(points, weights)
    out["barge_in_holdout_stop_pause"] = stop_pause
    return out


def summarise_models(points: Dict[str, List[th.Point]], weights: Dict[str, float]) -> Any:
    """Per model: tables, least cost and quiet thresholds (and variants)."""
    out: Dict[str, Any] = {"weights": weights}
    for model, pts in points.items():
        listening = model != QUESTIONS
        cost = (weights["wrong"], weights["ood_listening" if listening else "ood_questions"])
        current = MIN_CONFIDENCE[model]
        out[model] = {"current": current, "all": summarise(pts, current, cost)}
        if model == COMMANDS:
            quiet = [p for p in pts if p.category != "echo"]
            out[model]["without_echo"] = summarise(quiet, current, cost)
            out[model]["intent_gate"] = summarise(pts, current, cost, GATE)
            out[model]["intent_gate_without_echo"] = summarise(quiet, current, cost, GATE)
        out[model]["points"] = [
            [round(p.confidence, 4), p.heard, p.outcome, p.category, p.intent, p.text] for p in pts
        ]
    return out


def reanalyse(tag: str, weights: Dict[str, float]) -> int:
    """Tables and recommendation again from a run's saved points (other weights)."""
    path = OUT / f"voice-{tag}thresholds.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    points = {
        model: [th.Point(c, h, o, cat, i, t) for c, h, o, cat, i, t in saved[model]["points"]]
        for model in MODELS
    }
    analysis = summarise_models(points, weights)
    results = {
        "thresholds": strip_points(analysis),
        "recommended": recommend(analysis),
    }
    print(f"from {path.relative_to(ROOT)}, weights {weights}")
    print_tables(results)
    return 0


def strip_points(analysis: Dict[str, Any]) -> Dict[str, Any]:
    return {
        k: {kk: vv for kk, vv in v.items() if kk != "points"} if isinstance(v, dict) else v
        for k, v in analysis.items()
    }


def recommend(analysis: Dict[str, Any]) -> Dict[str, float]:
    """Questions: the least-cost threshold. Listening models: the least-cost one, but
    never below the lowest one that acted on none of the echo, chatter and noise
    (for the command model: chatter and noise; its echo is kept out by the client,
    which sends what it hears while the coach speaks as barge-in), nor below 0.5."""
    out = {}
    for model in MODELS:
        variant = analysis[model].get("without_echo") or analysis[model]["all"]
        best = float(variant["least_cost"]["threshold"])
        if model != QUESTIONS:
            quiet = variant["lowest_without_false_accepts"]
            best = max(best, float(quiet if quiet is not None else 0.99), 0.5)
        out[model] = round(best, 2)
    return out


# --- 5. latency ---------------------------------------------------------------------


def run_latency(b: Bench, questions: List[Sentence], commands: List[Sentence], n: int) -> Any:
    voice = b.voices[0]
    q_audio = [voice.say(s.say) for s in spread(questions, n)]
    c_audio = [voice.say(s.say) for s in spread(commands, n)]
    out: Dict[str, Any] = {"voice": voice.label, "requests_each": n}

    def question(i: int) -> VoiceResult:
        return b.client.voice(new_sender("lat"), q_audio[i], QUESTION)

    def command(senders: List[str], i: int) -> VoiceResult:
        return b.client.voice(senders[i], c_audio[i], HANDS_FREE)

    for clients in (1, 4):
        log(f"latency: {clients} client(s)")
        senders = [new_sender("lat-hold") for _ in c_audio]
        for sender in senders:
            b.client.start_hold(sender, 180)
        calls: Dict[str, Callable[[int], VoiceResult]] = {
            "questions": question,
            "commands": functools.partial(command, senders),
        }
        for name, call in calls.items():
            audio = q_audio if name == "questions" else c_audio
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                results = list(pool.map(call, range(len(audio))))
            wall = time.perf_counter() - started
            ms = [r.ms for r in results]
            out[f"{name}_{clients}"] = {
                "clients": clients,
                "requests": len(ms),
                "statuses": dict(Counter(r.status for r in results)),
                "with_audio_url": sum(r.all_audio for r in results),
                "p50_ms": round(statistics.median(ms), 1),
                "p95_ms": round(percentile(ms, 0.95), 1),
                "max_ms": round(max(ms), 1),
                "throughput_rps": round(len(ms) / wall, 2),
                "mean_audio_s": round(statistics.mean(wav_seconds(a) for a in audio), 2),
            }
        for sender in senders:
            b.client.stop_routine(sender)
    out["in_process_recognition_ms"] = {
        model: round(1000 * statistics.mean(v), 1) for model, v in b.local.seconds.items() if v
    }
    return out


def spread(items: Sequence[T], n: int) -> List[T]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


# --- summaries ----------------------------------------------------------------------


def accuracy_rows(records: List[Record], key: str) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Record]] = defaultdict(list)
    for rec in records:
        groups[rec[key]].append(rec)
        if key == "voice":
            groups[f"all {rec['engine']}"].append(rec)
    rows = []
    for name, recs in sorted(groups.items(), key=lambda item: item[0].startswith("all ")):
        ok = [r for r in recs if r["typed_ok"]]
        outcomes = Counter(r["outcome"] for r in ok)
        words = sum(r["words"] for r in recs)
        rows.append(
            {
                key: name,
                "n": len(ok),
                "typed_fails": len(recs) - len(ok),
                "right": outcomes[th.RIGHT],
                "rejected": outcomes["rejected"],
                "wrong": outcomes[th.WRONG],
                "errors": outcomes["error"],
                "wer": round(sum(r["word_errors"] for r in recs) / words, 3) if words else None,
            }
        )
    return rows


def worst_commands(records: List[Record]) -> List[Dict[str, Any]]:
    rows = accuracy_rows(records, "intent")
    for row in rows:
        recs = [r for r in records if r["intent"] == row["intent"] and r["typed_ok"]]
        wrong = Counter(
            f"{r['transcript']!r} -> {r['reply']['intent']}"
            for r in recs
            if r["outcome"] == th.WRONG
        )
        missed = Counter(
            f"{r['text']!r} ({r['voice']})" for r in recs if r["outcome"] == "rejected"
        )
        row["wrong_examples"] = [k for k, _ in wrong.most_common(3)]
        row["rejected_examples"] = [k for k, _ in missed.most_common(3)]
    return sorted(rows, key=lambda r: r["right"] / max(1, r["n"]))


def rejection_rows(records: List[Record]) -> List[Dict[str, Any]]:
    groups: Dict[Tuple[str, str], List[Record]] = defaultdict(list)
    for rec in records:
        groups[(rec["set"], rec["mode"])].append(rec)
    rows = []
    for (kind, mode), recs in sorted(groups.items()):
        acted = [r for r in recs if r["status"] == "ok"]
        echo_guarded = sum(1 for r in recs if "coach's own voice" in r.get("detail", ""))
        rows.append(
            {
                "set": kind,
                "mode": mode,
                "n": len(recs),
                "acted": len(acted),
                "harmless": sum(1 for r in acted if r["reply"]["intent"] in HARMLESS_INTENTS),
                "stopped_by_echo_guard": echo_guarded,
                "examples": [
                    f"{r['text'][:40]!r} -> {r['transcript']!r} ({r['confidence']})"
                    for r in acted[:4]
                ],
            }
        )
    return rows


def print_tables(results: Dict[str, Any]) -> None:
    def line(*cells: Any) -> None:
        print("| " + " | ".join(str(c) for c in cells) + " |")

    def head(*cells: str) -> None:
        line(*cells)
        line(*(["---"] * len(cells)))

    if "questions" in results:
        print("\n## Spoken questions (question mode, fresh conversation)\n")
        head("voice", "n", "right", "rejected", "wrong answer", "WER", "typed fails")
        for r in results["questions"]["by_voice"]:
            n = r["n"]
            line(
                r["voice"],
                n,
                pct(r["right"], n),
                pct(r["rejected"], n),
                pct(r["wrong"], n),
                r["wer"],
                r["typed_fails"],
            )
    if "commands" in results:
        print("\n## Routine commands (hands_free, mid-hold)\n")
        head("voice", "n", "right", "rejected", "wrong", "WER", "typed fails")
        for r in results["commands"]["by_voice"]:
            n = r["n"]
            line(
                r["voice"],
                n,
                pct(r["right"], n),
                pct(r["rejected"], n),
                pct(r["wrong"], n),
                r["wer"],
                r["typed_fails"],
            )
        print()
        head("command", "n", "right", "rejected", "wrong", "examples")
        for r in results["commands"]["by_intent"]:
            n = r["n"]
            examples = "; ".join(r["wrong_examples"][:2] + r["rejected_examples"][:1])
            line(
                r["intent"],
                n,
                pct(r["right"], n),
                pct(r["rejected"], n),
                pct(r["wrong"], n),
                examples,
            )
    if "rejection" in results:
        print("\n## Rejection: share acted upon\n")
        head("recording", "mode", "n", "acted upon", "harmless", "echo guard", "examples")
        for r in results["rejection"]["rows"]:
            line(
                r["set"],
                r["mode"],
                r["n"],
                pct(r["acted"], r["n"]),
                r["harmless"],
                r["stopped_by_echo_guard"],
                "; ".join(r["examples"][:2]),
            )
        print("\nBarge-in recall (barge_in mode, mid-hold)\n")
        head("voice", "n", "acted upon", "right effect")
        for r in results["rejection"]["recall_by_voice"]:
            line(r["voice"], r["n"], pct(r["acted"], r["n"]), pct(r["right"], r["n"]))
        print()
        head("phrase", "n", "acted upon", "right effect")
        for r in results["rejection"]["recall_by_phrase"]:
            line(r["text"], r["n"], pct(r["acted"], r["n"]), pct(r["right"], r["n"]))
    if "thresholds" in results:
        analysis = results["thresholds"]
        for model in MODELS:
            for variant in ("all", "intent_gate"):
                if variant not in analysis.get(model, {}):
                    continue
                a = analysis[model][variant]
                gated = " (acted upon only for routine command and red-flag intents)"
                print(
                    f"\n## Threshold: {model} (now {analysis[model]['current']})"
                    f"{gated if variant == 'intent_gate' else ''}\n"
                )
                categories = list(a["false_accepts"][0])
                head("threshold", "accept right", "accept wrong", "rejected", *categories)
                for r, fa in zip(a["table"], a["false_accepts"], strict=True):
                    n = r["in_domain"]
                    line(
                        f"{r['threshold']:.2f}",
                        pct(r["accept_right"], n),
                        pct(r["accept_wrong"], n),
                        pct(r["rejected"], n),
                        *(f"{fa[c][0]}/{fa[c][1]}" for c in categories),
                    )
                print(
                    f"\nn={a['table'][0]['in_domain']}; lowest with no echo, chatter or noise "
                    "acted upon: "
                    f"{a['lowest_without_false_accepts']}; least cost: {a['least_cost']}; "
                    f"top false-accept confidences: {a['ood_top_confidences']}"
                )
                if model == COMMANDS and variant == "all":
                    w = analysis[model]["without_echo"]
                    print(
                        f"without echo: lowest with no chatter or noise acted upon "
                        f"{w['lowest_without_false_accepts']}, least cost {w['least_cost']}"
                    )
        print(f"\nrecommended MIN_CONFIDENCE: {results['recommended']}")
        plan = analysis.get("question_mode_in_routine")
        if plan:
            print(f"\n## Question mode during a routine ({', '.join(plan['voices'])})\n")
            head("thresholds", "recordings, plan", "right", "rejected", "wrong")
            for name in ("current", "recommended"):
                for key, counts in plan[name].items():
                    if key == "thresholds":
                        continue
                    n = sum(counts.values())
                    line(
                        name,
                        key,
                        pct(counts.get(th.RIGHT, 0), n),
                        pct(counts.get("rejected", 0), n),
                        pct(counts.get(th.WRONG, 0), n),
                    )
    if "latency" in results:
        print("\n## Latency (voice request, WAV in, JSON out)\n")
        head("kind", "clients", "requests", "p50", "p95", "max", "throughput", "audio")
        for key, r in results["latency"].items():
            if isinstance(r, dict) and "p50_ms" in r:
                line(
                    key.rsplit("_", 1)[0],
                    r["clients"],
                    r["requests"],
                    f"{r['p50_ms']:.0f} ms",
                    f"{r['p95_ms']:.0f} ms",
                    f"{r['max_ms']:.0f} ms",
                    f"{r['throughput_rps']} req/s",
                    f"{r['mean_audio_s']} s",
                )


def recall_rows(records: List[Record], key: str) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Record]] = defaultdict(list)
    for rec in records:
        groups[rec[key]].append(rec)
    return [
        {
            key: name,
            "n": len(recs),
            "acted": sum(1 for r in recs if r["status"] == "ok"),
            "right": sum(1 for r in recs if r["outcome"] == th.RIGHT),
            "typed_fails": sum(1 for r in recs if not r["typed_ok"]),
        }
        for name, recs in groups.items()
    ]


# --- main -----------------------------------------------------------------------------


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
    for name in ("actions/recognition.py", "actions/audio_input.py", "actions/speech_model.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


TAG = ""


def write(name: str, data: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"voice-{TAG}{name}.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
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
        default=["questions", "commands", "rejection", "thresholds", "latency"],
        choices=["questions", "commands", "rejection", "thresholds", "latency"],
    )
    parser.add_argument(
        "--wrong-cost", type=float, default=3.0, help="a wrong answer costs N rejections"
    )
    parser.add_argument("--ood-cost-questions", type=float, default=1.0)
    parser.add_argument("--ood-cost-listening", type=float, default=20.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    global SUPERVISOR, TAG
    TAG = f"{args.tag}-" if args.tag else ""
    weights = {
        "wrong": args.wrong_cost,
        "ood_questions": args.ood_cost_questions,
        "ood_listening": args.ood_cost_listening,
    }
    if args.reanalyse:
        return reanalyse(TAG, weights)
    if "thresholds" in args.phases:
        args.phases = sorted(set(args.phases) | {"questions", "commands", "rejection"})
    wanted = args.voices or (FULL_VOICES if args.full else DEFAULT_VOICES)
    engines = available_engines()
    if not engines["espeak"]:
        log("espeak-ng is not installed: it is the coach's own voice and this benchmark needs it")
        return 2
    skipped = [v for v in wanted if not engines[Voice.parse(v).engine]]
    if skipped:
        log(f"flite is not installed (apt-get install flite): skipping {', '.join(skipped)}")
    voices = [Voice.parse(v) for v in wanted if v not in skipped]
    chatter_voices = [
        Voice.parse(v) for v in args.chatter_voices if engines[Voice.parse(v).engine]
    ] or [Voice.parse(COACH_VOICE.replace("en-us", "en-us+m3"))]
    per_intent = None if args.full else args.per_intent
    questions = corpus.questions(per_intent)
    commands = corpus.commands(None if args.full else args.command_per_intent)
    started = time.perf_counter()
    meta: Dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": "python -m bench.voice " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": git_commit(),
        "recogniser_code_sha256": code_fingerprint(),
        "model": str(MODEL.relative_to(ROOT)),
        "model_trained": datetime.datetime.fromtimestamp(MODEL.stat().st_mtime).isoformat(
            timespec="minutes"
        ),
        "voices": [v.label for v in voices],
        "skipped_voices": skipped,
        "chatter_voices": [v.label for v in chatter_voices],
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
            SUPERVISOR = Supervisor(stack)
            SUPERVISOR.start()
            b = Bench(Client(stack), Local(speech), voices, args.jobs)
            safe(b.client.typed_answer, "hi")  # warm-up: first predictions build TF graphs
            q_recs: List[Record] = []
            c_recs: List[Record] = []
            recall: List[Record] = []
            rejection: List[Record] = []
            if "questions" in args.phases:
                q_recs = run_questions(b, questions)
                write("questions", q_recs)
                results["questions"] = {"by_voice": accuracy_rows(q_recs, "voice")}
            if "commands" in args.phases:
                c_recs = run_commands(b, commands)
                write("commands", c_recs)
                results["commands"] = {
                    "by_voice": accuracy_rows(c_recs, "voice"),
                    "by_intent": worst_commands(c_recs),
                }
            if "rejection" in args.phases:
                rejection = run_rejection(b, chatter_voices)
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
            if "thresholds" in args.phases:
                analysis = analyse_thresholds(
                    b, q_recs, c_recs, recall, rejection, commands, weights
                )
                results["recommended"] = recommend(analysis)
                first = [v.label for v in voices if v.engine == "espeak"][:1] + [
                    v.label for v in voices if v.engine == "flite"
                ][:1]
                levels = {"current": dict(MIN_CONFIDENCE), "recommended": results["recommended"]}
                analysis["question_mode_in_routine"] = question_mode_in_routine(
                    b, q_recs, c_recs, first, levels
                )
                write("thresholds", analysis)
                results["thresholds"] = strip_points(analysis)
                crosscheck(b, q_recs, c_recs, results)
            if "latency" in args.phases:
                results["latency"] = SUPERVISOR.run(
                    lambda n: run_latency(b, questions, commands, n), args.latency_requests
                )
                write("latency", results["latency"])
            meta["rasa_rss_mib"] = round(stack.rss_mib("rasa"))
            meta["stack_restarts"] = SUPERVISOR.restarts
        finally:
            stack.stop_rasa()
            stack.stop_actions()
    meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
    write("summary", results)
    print_tables(results)
    print(f"\n{json.dumps(meta, indent=1)}")
    return 0


def crosscheck(b: Bench, questions: List[Record], commands: List[Record], out: Any) -> None:
    """The in-process recogniser must hear what the server heard, and typing the
    server's transcript must give what the voice reply gave (sampled)."""
    checks: Counter[str] = Counter()
    for rec in [r for r in questions if r["status"] == "ok"][:: max(1, len(questions) // 25)]:
        audio = Voice.parse(rec["voice"]).say(corpus.make_sentence("", rec["text"], "q").say)
        local = b.local.recognize(audio, QUESTIONS)
        checks["recognised"] += 1
        checks["same_transcript"] += local.transcript == rec["transcript"]
        typed = safe(b.client.typed_answer, rec["transcript"])
        checks["same_reply_typed"] += typed.texts == tuple(rec["reply"]["texts"])
    rejected = [r for r in questions + commands if "local_matches_server" in r]
    checks["rejected_rechecked"] = len(rejected)
    checks["rejected_same_confidence"] = sum(r["local_matches_server"] for r in rejected)
    out["crosscheck"] = dict(checks)


if __name__ == "__main__":
    sys.exit(main())
