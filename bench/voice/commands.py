"""Phase 2, commands: held-out routine commands, ``hands_free``, in a fresh routine
mid-hold (120 s); right = the same effect as typing it (routine status, step,
side, hold, and reply texts with digits masked). Two sets, reported apart: the
routine commands of ``tests/nlu_holdout.yml`` and the spoken commands of
``bench/voice/holdout_speech.yml``."""

from __future__ import annotations

from typing import List, Tuple

from bench.voice.conditions import Speaker
from bench.voice.config import HANDS_FREE, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.records import judge, record, same_effect
from coach.speech.lm.names import COMMANDS


def run_commands(b: Bench, sets: List[Tuple[str, List[Sentence]]]) -> List[Record]:
    """Every sentence of each ``(set name, sentences)``, by every speaker."""
    ideals = sorted({s.ideal for _, sentences in sets for s in sentences})
    log(f"commands: {len(ideals)} typed references (each in a fresh routine)")
    refs = dict(zip(ideals, b.pmap(b.client.typed_effect, ideals, "typed"), strict=True))
    tasks = [(name, v, s) for name, sentences in sets for v in b.speakers for s in sentences]

    def one(task: Tuple[str, Speaker, Sentence]) -> Record:
        name, speaker, sentence = task
        audio = speaker.say(sentence.say)
        result = b.client.voice_mid_hold(audio, HANDS_FREE)
        rec = record(speaker, sentence, sentence.text, HANDS_FREE, result)
        rec["set"] = name
        ref = refs[sentence.ideal]
        rec["typed_ok"] = ref.intent == sentence.intent
        rec["typed_intent"] = ref.intent
        rec["ref"] = ref.as_dict()
        judge(b, rec, audio, ref, COMMANDS, same_effect, b.client.typed_effect)
        return rec

    log(f"commands: {len(tasks)} recordings (hands_free, mid-hold)")
    return b.pmap(one, tasks, "commands", threads=b.waiting_threads)
