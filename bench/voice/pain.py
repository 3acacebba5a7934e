"""Phase 3, pain: the pain, numbness and red-flag reports of
``bench/voice/holdout_speech.yml`` said mid-hold (``hands_free``, fresh routine,
120 s hold), by every voice under every condition. *Acted upon* = the routine
is paused or stopped afterwards (a sure red flag stops it with the safety
answer; a doubted one pauses it and checks in); the typed reference (the words
typed mid-hold) says whether the NLU reads the sentence as one at all."""

from __future__ import annotations

import json
import sqlite3
from typing import List, Tuple

from bench.voice.client import Reply, new_sender
from bench.voice.conditions import Speaker
from bench.voice.config import HANDS_FREE, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.records import record

STOPPED_OR_PAUSED = ("paused", "stopped")


def stops_or_pauses(reply: Reply) -> bool:
    return reply.routine is not None and reply.routine[0] in STOPPED_OR_PAUSED


def tracked_status(b: Bench, sender: str) -> str | None:
    """The routine's status in the tracker store (the latest ``routine`` slot)."""
    with sqlite3.connect(f"file:{b.client.db}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'"
            " ORDER BY id DESC LIMIT 50",
            (sender,),
        ).fetchall()
    for (data,) in rows:
        event = json.loads(data)
        if event.get("name") == "routine":
            value = event.get("value")
            return str(value.get("status")) if isinstance(value, dict) else None
    return None


def run_pain(b: Bench, sentences: List[Sentence]) -> List[Record]:
    ideals = sorted({s.ideal for s in sentences})
    log(f"pain: {len(ideals)} typed references (each in a fresh routine)")
    refs = dict(zip(ideals, b.pmap(b.client.typed_effect, ideals, "typed"), strict=True))
    tasks = [(v, s) for v in b.speakers for s in sentences]

    def one(task: Tuple[Speaker, Sentence]) -> Record:
        speaker, sentence = task
        audio = speaker.say(sentence.say)
        sender = new_sender("pain")
        said = b.client.start_hold(sender)
        result = b.client.after_the_coach(sender, said, audio)
        status = result.reply.routine[0] if result.reply.routine else None
        if status is None:
            status = tracked_status(b, sender) if result.acted else "running"
        b.client.stop_routine(sender)
        rec = record(speaker, sentence, sentence.text, HANDS_FREE, result)
        ref = refs[sentence.ideal]
        rec["typed_ok"] = stops_or_pauses(ref)
        rec["typed_intent"] = ref.intent
        rec["routine_after"] = status
        rec["acted_upon"] = status in STOPPED_OR_PAUSED
        return rec

    log(f"pain: {len(tasks)} recordings (hands_free, mid-hold)")
    return b.pmap(one, tasks, "pain", threads=b.waiting_threads)
