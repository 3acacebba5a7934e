"""Phase 1, questions: held-out sentences of every non-routine intent, spoken by
each voice under each condition, each in a fresh conversation; right = the same
reply texts as typing the sentence (as a perfect recogniser would write it) in a
fresh conversation, where that typed reply is for the labelled intent (the rest
are counted apart)."""

from __future__ import annotations

from typing import List, Tuple

from bench.voice.conditions import Speaker
from bench.voice.config import QUESTION, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence
from bench.voice.records import judge, record, same_answer
from coach.speech.lm.names import QUESTIONS


def run_questions(b: Bench, sentences: List[Sentence]) -> List[Record]:
    ideals = sorted({s.ideal for s in sentences})
    log(f"questions: {len(ideals)} typed references")
    refs = dict(zip(ideals, b.pmap(b.client.typed_answer, ideals, "typed"), strict=True))
    tasks = [(v, s) for v in b.speakers for s in sentences]

    def one(task: Tuple[Speaker, Sentence]) -> Record:
        speaker, sentence = task
        audio = speaker.say(sentence.say)
        rec = record(speaker, sentence, sentence.text, QUESTION, b.client.voice_fresh(audio))
        ref = refs[sentence.ideal]
        rec["typed_ok"] = ref.intent == sentence.intent
        rec["typed_intent"] = ref.intent
        judge(b, rec, audio, ref, QUESTIONS, same_answer, b.client.typed_answer)
        return rec

    log(f"questions: {len(tasks)} recordings")
    return b.pmap(one, tasks, "questions")
