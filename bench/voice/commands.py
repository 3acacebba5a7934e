"""Phase 2, commands: held-out routine commands, ``hands_free``, in a fresh routine
mid-hold (120 s); right = the same effect as typing it (routine status, step,
side, hold, and reply texts with digits masked)."""

from __future__ import annotations

from typing import List, Tuple

from bench.voice.audio import Voice
from bench.voice.config import HANDS_FREE, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.records import judge, record, same_effect
from coach.speech.lm.names import COMMANDS


def run_commands(b: Bench, sentences: List[Sentence]) -> List[Record]:
    ideals = sorted({s.ideal for s in sentences})
    log(f"commands: {len(ideals)} typed references (each in a fresh routine)")
    refs = dict(zip(ideals, b.pmap(b.client.typed_effect, ideals, "typed"), strict=True))
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
    return b.pmap(one, tasks, "commands")
