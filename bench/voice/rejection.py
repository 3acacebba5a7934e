"""Phase 4, rejection and barge-in recall: the coach's own sentences (espeak-ng,
its offline voice) in ``hands_free`` and ``barge_in``, both every sentence it can
say (worst case) and what it just said to that conversation (what the echo guard
sees), everyday chatter and noise in every mode; and barge-in recall ("stop",
"wait", "ouch" ... in every voice). Everything under every condition."""

from __future__ import annotations

from typing import List, Tuple

from bench.voice import corpus
from bench.voice.audio import Voice, noises, wav_seconds
from bench.voice.client import HoldPool, new_sender
from bench.voice.conditions import Speaker, noise_clip
from bench.voice.config import BARGE, COACH_VOICE, HANDS_FREE, MODE_MODEL, QUESTION, Record, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence, subset
from bench.voice.pain import stops_or_pauses
from bench.voice.records import judge, record, same_effect
from coach.speech.lm.names import BARGE_IN


def run_barge_in_recall(b: Bench) -> List[Record]:
    phrases = subset(corpus.barge_in_phrases(), b.sizes.barge_in)
    refs = {s.ideal: b.safe(b.client.typed_effect, s.ideal) for s in phrases}
    tasks = [(v, s) for v in b.speakers for s in phrases]

    def one(task: Tuple[Speaker, Sentence]) -> Record:
        speaker, sentence = task
        audio = speaker.say(sentence.say)
        result = b.client.voice_mid_hold(audio, BARGE)
        rec = record(speaker, sentence, sentence.text, BARGE, result)
        ref = refs[sentence.ideal]
        rec["typed_ok"] = stops_or_pauses(ref)
        rec["typed_intent"] = ref.intent
        judge(b, rec, audio, ref, BARGE_IN, same_effect, b.client.typed_effect)
        return rec

    log(f"barge-in recall: {len(tasks)} recordings")
    return b.pmap(one, tasks, "barge-in")


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
    coach's voice under each condition, in each listening mode, each in a fresh
    routine mid-hold."""
    triggers = subset(ECHO_TRIGGERS, b.sizes.echo_triggers)

    def said_by(trigger: Tuple[str, ...]) -> List[str]:
        sender = new_sender("echo-probe")
        messages = b.client.start_hold(sender)
        for text in trigger:
            messages = b.client.rest(sender, text)
        b.client.stop_routine(sender)
        return [str(m["spoken"]) for m in messages if m.get("spoken")]

    tasks = [
        (trigger, spoken, mode, coach)
        for trigger, texts in zip(triggers, b.pmap(said_by, triggers, "echo probes"), strict=True)
        for spoken in dict.fromkeys(texts)
        for mode in (HANDS_FREE, BARGE)
        for coach in b.under_conditions([Voice.parse(COACH_VOICE)])
    ]

    def one(task: Tuple[Tuple[str, ...], str, str, Speaker]) -> Record:
        trigger, spoken, mode, coach = task
        sender = new_sender("echo")
        b.client.start_hold(sender)
        for text in trigger:
            b.client.rest(sender, text)
        result = b.client.voice(sender, coach.say(spoken), mode)
        b.client.stop_routine(sender)
        rec = record(coach, None, spoken, mode, result)
        rec["set"] = "echo, just said"
        rec["trigger"] = " then ".join(trigger) or "start"
        return rec

    log(f"echo of what the coach just said: {len(tasks)} recordings")
    return b.pmap(one, tasks, "echo, just said")


Task = Tuple[str, str, str, str, bytes, str]  # set, voice, condition, name, audio, mode


def rejection_tasks(b: Bench, chatter_voices: List[Voice]) -> List[Task]:
    tasks: List[Task] = []
    for coach in b.under_conditions([Voice.parse(COACH_VOICE)]):
        for sentence in corpus.coach_sentences()[:: b.sizes.echo_every]:
            audio = coach.say(sentence.say)
            label, cond = coach.voice.label, coach.condition
            tasks += [("echo", label, cond, sentence.text, audio, m) for m in (HANDS_FREE, BARGE)]
    chatter = subset(corpus.chatter(), b.sizes.chatter)
    for speaker in b.under_conditions(chatter_voices):
        for sentence in chatter:
            audio = speaker.say(sentence.say)
            label, cond = speaker.voice.label, speaker.condition
            modes = (HANDS_FREE, BARGE, QUESTION)
            tasks += [("chatter", label, cond, sentence.text, audio, m) for m in modes]
    for name, clean in subset(list(noises().items()), b.sizes.noises):
        for condition in b.conditions:
            audio = noise_clip(condition, name, clean)
            modes = (HANDS_FREE, BARGE, QUESTION)
            tasks += [("noise", "noise", condition, name, audio, m) for m in modes]
    return tasks


def run_rejection(b: Bench, chatter_voices: List[Voice]) -> List[Record]:
    pool = HoldPool(b.client)
    tasks = rejection_tasks(b, chatter_voices)

    def one(task: Task) -> Record:
        kind, voice, condition, name, audio, mode = task
        # push-to-talk outside a routine; the listening modes mid-hold
        result = b.client.voice_fresh(audio, mode) if mode == QUESTION else pool.voice(audio, mode)
        rec = record(voice, None, name, mode, result)
        rec["condition"] = condition
        rec["set"] = kind
        rec["seconds"] = round(wav_seconds(audio), 2)
        # the mode's first model alone (hands-free falls back on the barge-in list):
        # its transcript, confidence and the NLU intent of the transcript
        model = MODE_MODEL[mode]
        if not b.local_checks:
            return rec
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
        return b.pmap(one, tasks, "rejection")
    finally:
        pool.close()
