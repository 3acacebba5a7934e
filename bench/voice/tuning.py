"""Phase 4, thresholds: per language model, the confidence of every recording and
what acting on its transcript would have done (right, wrong, or a false accept of
echo, chatter, noise). The model's own result comes from the server when the
channel reported that model, else from the same recogniser in-process
(``bench.voice.local``) on the same models; transcripts are typed over REST to
judge them. Bars are the measured recogniser's (``min_confidence(model, engine)``). The analysis of
those points (tables, least cost, a recommended MIN_CONFIDENCE) is
``bench.voice.thresholds``; this module gathers them, and compares push-to-talk
during a routine under the channel's plan (gated) and two alternatives."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Tuple

from bench.voice import corpus
from bench.voice import thresholds as th
from bench.voice.conditions import Speaker
from bench.voice.config import BARGE, HANDS_FREE, MODELS, QUESTION, Record
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.records import audio_of
from bench.voice.thresholds import GATE
from coach.speech.asr.base import Recognition
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS


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
    tasks = [(v, s) for v in b.speakers for s in sentences]

    def one(task: Tuple[Speaker, Sentence]) -> Tuple[Sentence, Recognition]:
        speaker, sentence = task
        return sentence, b.local.recognize(speaker.say(sentence.say), BARGE_IN)

    for sentence, result in b.pmap(one, tasks, "barge-in model on commands"):
        if sentence.intent in corpus.BARGE_IN_INTENTS:
            ref = b.safe(b.client.typed_effect, sentence.ideal)
            accepted = result.accepted()
            right = accepted and b.safe(b.client.typed_effect, result.transcript).same_effect(ref)
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


def question_mode_in_routine(
    b: Bench,
    questions: List[Record],
    commands: List[Record],
    voices: List[str],
    levels: Dict[str, Dict[str, float]],
    condition: str = "clean",
) -> Dict[str, Any]:
    """Push-to-talk during a routine: the channel tries the command model (its
    result taken only when the NLU reads it as routine talk: "gated"), then the
    barge-in list, then the question model. Compared, in-process, with the
    ungated plan it had before, and with the question model alone (it holds
    every NLU example, the commands too), for questions and for commands, at
    each set of thresholds. Questions are judged by their reply in a fresh conversation,
    commands by their effect mid-hold. ``voices`` under ``condition`` only."""

    def chosen(rec: Record) -> bool:
        return rec["voice"] in voices and rec["condition"] == condition and rec["typed_ok"]

    qs = [r for r in questions if chosen(r)]
    cs = [r for r in commands if chosen(r)]
    plans = ("ungated: commands, barge-in, questions", "questions only", "now: gated")

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
        clip = audio_of(rec)
        results = {m: b.local.recognize(clip, m) for m in MODELS}
        reference = typed(rec["ideal"])

        def judge_text(text: str) -> str:
            return th.RIGHT if getattr(typed(text), same)(reference) else th.WRONG

        return outcomes(results, judge_text, lambda t: b.client.typed_answer(t).intent)

    def on_question(rec: Record) -> Dict[str, Tuple[str, ...]]:
        return judged(rec, b.client.typed_answer, "same_answer")

    def on_command(rec: Record) -> Dict[str, Tuple[str, ...]]:
        return judged(rec, b.client.typed_effect, "same_effect")

    result: Dict[str, Any] = {
        "voices": voices,
        "condition": condition,
        "questions": len(qs),
        "commands": len(cs),
    }
    for kind, recs, fn in (("questions", qs, on_question), ("commands", cs, on_command)):
        found = b.pmap(fn, recs, f"question mode mid-routine ({kind})")
        for name, level in levels.items():
            for i, plan in enumerate(plans):
                counts = Counter(o[name][i] for o in found)
                result.setdefault(name, {"thresholds": level})[f"{kind}; {plan}"] = dict(counts)
    return result


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
    out = th.summarise_models(points, weights, b.recognizer)
    out["barge_in_holdout_stop_pause"] = stop_pause
    return out


def crosscheck(b: Bench, questions: List[Record], commands: List[Record], out: Any) -> None:
    """The in-process recogniser must hear what the server heard, and typing the
    server's transcript must give what the voice reply gave (sampled)."""
    checks: Counter[str] = Counter()
    for rec in [r for r in questions if r["status"] == "ok"][:: max(1, len(questions) // 25)]:
        local = b.local.recognize(audio_of(rec), QUESTIONS)
        checks["recognised"] += 1
        checks["same_transcript"] += local.transcript == rec["transcript"]
        typed = b.safe(b.client.typed_answer, rec["transcript"])
        checks["same_reply_typed"] += typed.texts == tuple(rec["reply"]["texts"])
    rejected = [r for r in questions + commands if "local_matches_server" in r]
    checks["rejected_rechecked"] = len(rejected)
    checks["rejected_same_confidence"] = sum(r["local_matches_server"] for r in rejected)
    out["crosscheck"] = dict(checks)
