"""One recording's result, as saved in bench/out/voice-*.json, and how it is judged."""

from __future__ import annotations

from typing import Callable

from bench.voice import corpus
from bench.voice import thresholds as th
from bench.voice.client import Reply, VoiceResult
from bench.voice.conditions import CLEAN, Speaker
from bench.voice.config import REJECTED_STATUSES, Record
from bench.voice.context import Bench
from bench.voice.corpus import Sentence


def record(
    voice: str | Speaker, sentence: Sentence | None, name: str, mode: str, r: VoiceResult
) -> Record:
    """``voice``: the speaker (voice and condition), or a name ("noise")."""
    label = voice.voice.label if isinstance(voice, Speaker) else voice
    return {
        "voice": label,
        "condition": voice.condition if isinstance(voice, Speaker) else CLEAN,
        "tts": label.split(":")[0],  # the voice engine (espeak, flite, piper)
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
    """The outcome as the channel decided (right, wrong, rejected, error; a pause
    to check in is right when a pause was asked for, else rejected); then, for
    ``model`` alone, the transcript whatever the confidence, the outcome if it had
    been acted upon, and the word errors. The channel may have tried several
    models (it reports the one it acted upon, or the last one it tried): the
    model's own result comes from the server when it reported that model, else
    from the in-process recogniser (unless the run skips those: then only the
    outcome)."""
    reply = Reply(rec["reply"]["intent"], tuple(rec["reply"]["texts"]), rec["reply"]["routine"])
    if rec["status"] == "ok" and rec.get("check_in"):
        # paused to check in: right when a pause is what was asked for, else the
        # command was not carried out (rejected; the hold waits for "resume")
        rec["outcome"] = th.RIGHT if reply.routine == ref.routine else "rejected"
    elif rec["status"] == "ok":
        rec["outcome"] = th.RIGHT if same(reply, ref) else th.WRONG
    else:
        rec["outcome"] = "rejected" if rec["status"] in REJECTED_STATUSES else "error"
    if not b.local_checks:
        return
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


def speaker_of(rec: Record) -> Speaker:
    return Speaker.parse(rec["voice"], rec.get("condition", CLEAN))


def audio_of(rec: Record) -> bytes:
    """The recording ``rec`` was made of, again (from the cache)."""
    return speaker_of(rec).say(corpus.make_sentence("", rec["text"], "q").say)


def same_answer(a: Reply, b: Reply) -> bool:
    return a.same_answer(b)


def same_effect(a: Reply, b: Reply) -> bool:
    return a.same_effect(b)
