"""The voice policy: what the coach does with what a microphone heard.

Everything the voice channel decides apart from HTTP lives here, as pure
functions over values, plus one small driver (``listen``) that asks the
recogniser and the NLU only what the policy needs:

1. which language models to try, in order (``models_to_try``): over the coach's
   voice the closed barge-in list alone; in a routine the command model first,
   then the barge-in list, then (push-to-talk only) every question; else the
   questions;
2. which recognition to judge (``search``, with ``next_step`` for each one):
   the first a model is sure of, except that in push-to-talk the command
   model's transcript counts only when the NLU reads it as routine talk; when
   no model is sure while a hold runs, one that the NLU reads as a red flag at
   the lower red-flag bar (a *doubted* red flag);
   hands-free while a hold runs, speech nothing was sure of is not dropped
   either: a pain word or a red flag in what was written (``sounds_like_pain``:
   ``coach.speech.pain_words.PainCheck``, the pain words and the safety screen), or words
   the command model could not make out (``is_unclear``), pause the routine
   and the coach checks in;
3. the outcome (``decide``): ``ACT`` (send ``text`` to the conversation),
   ``CHECK_IN`` (a doubted red flag, a pain word or unclear speech mid-hold:
   pause, and say why),
   ``IGNORE_ECHO`` (the coach's own words heard back), ``NOT_UNDERSTOOD``,
   ``NO_SPEECH``.

The NLU reads each transcript at most once (``Readings``), and the reading of
what is acted upon goes on with the message, so Rasa does not parse it again.
Every confidence bar of the voice input is in ``coach.speech.thresholds``.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Awaitable, Callable, Dict, FrozenSet, List, Tuple

from coach.intents import (
    HANDS_FREE_INTENTS,
    PAUSE,
    RED_FLAG_INTENT,
    ROUTINE_INTENTS,
    START_ROUTINE_INTENT,
    WIDGET_BUTTONS,
)
from coach.routine.model import ACTIVE, Status
from coach.speech.heard import (  # the values (also imported from here)
    UNREAD,
    CheckIn,
    Heard,
    Outcome,
    Reading,
    Verdict,
)
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from coach.speech.thresholds import (  # the bars (also imported from here)
    HANDS_FREE_MIN_INTENT_CONFIDENCE,
    MIN_SPEECH_SECONDS,
    QUESTION_MIN_INTENT_CONFIDENCE,
    SURE_QUESTION,
    red_flag_min_confidence,
    unclear_below,
)

if TYPE_CHECKING:
    from coach.speech.asr.base import Recognition


# -- modes and routine statuses ----------------------------------------------
QUESTION, HANDS_FREE, BARGE_IN_MODE = "question", "hands_free", "barge_in"
MODES = (QUESTION, HANDS_FREE, BARGE_IN_MODE)
IDLE, RUNNING = Status.IDLE.value, Status.RUNNING.value
ACTIVE_STATUSES = frozenset(status.value for status in ACTIVE)

# what a doubted red flag sends to the conversation: the pause button's message
CHECK_IN_COMMAND = WIDGET_BUTTONS[PAUSE]


# -- the policy, pure -------------------------------------------------------
def asks_routine_status(mode: str) -> bool:
    """Over the coach's voice the closed list alone decides: no need to ask."""
    return mode != BARGE_IN_MODE


def models_to_try(mode: str, status: str) -> Tuple[str, ...]:
    """The language models, in order, for the mode and the routine's status.

    In a routine the command model goes first; when it is not sure, the closed
    barge-in list gets its strict second look (a lone "stop" is short, and the
    worst word to miss), and push-to-talk then tries every sentence the
    assistant knows."""
    if mode == BARGE_IN_MODE:
        return (BARGE_IN,)
    if status in ACTIVE_STATUSES:
        return (COMMANDS, BARGE_IN) if mode == HANDS_FREE else (COMMANDS, BARGE_IN, QUESTIONS)
    return (QUESTIONS,)


class Step(str, Enum):
    TAKE = "take"  # judge this one
    ASK_NLU = "ask_nlu"  # take it only if the NLU reads routine talk in it
    TRY_NEXT = "try_next"


def next_step(recognition: Recognition, mode: str, first: bool, last: bool) -> Step:
    """What one model's recognition means for the search.

    The command model's transcript counts only when the NLU reads it as routine
    talk (``routine_talk``): in push-to-talk that model forces a question into
    its own words, confidently ("how do i stretch my psoas" heard as "how do i
    slipped my psoas"), and a wrong answer is worse than the full model's
    second look (bench/voice); hands-free, a pain report Whisper writes as
    something else ("start with thirds" for a robotic "stop it hurts") must
    still get the barge-in list's look. The last model's word is final. Silence to the first model
    (too little voiced audio) ends the search: no other model will hear more;
    voiced audio one engine made no words of goes on to the next look (a
    closed list, another engine)."""
    if recognition.accepted():
        if mode != BARGE_IN_MODE and recognition.model == COMMANDS and not last:
            return Step.ASK_NLU
        return Step.TAKE
    if first and not recognition.heard_speech and recognition.speech_seconds < MIN_SPEECH_SECONDS:
        return Step.TAKE
    return Step.TRY_NEXT


def may_be_red_flag(recognition: Recognition, status: str) -> bool:
    """Whether a recognition no model was sure of is worth the NLU's look for a
    red flag: only while a hold goes on, the coach silent (paused, nothing goes
    on: the person can say it again, and the check-in heard back cannot loop),
    and never from a closed list (it has no doubtful sentences)."""
    return (
        status == RUNNING
        and recognition.model != BARGE_IN
        and recognition.accepted(red_flag_min_confidence(recognition.engine))
    )


def is_unclear(recognition: Recognition, status: str) -> bool:
    """Speech the command model heard while a hold runs but could not make out:
    words, but below the engine's unclear bar (``thresholds.UNCLEAR_BELOW``;
    none for an engine without one). A pain report Whisper cannot make out
    ("oh child child" for a robotic "ouch ouch ouch") must not be met with "I
    didn't catch that" while the hold goes on; words it wrote out clearly and
    the NLU read as no routine talk ("can you pass me the remote") are the
    room's, and leave the routine alone."""
    return (
        status == RUNNING
        and recognition.model == COMMANDS
        and recognition.says_something
        and recognition.confidence < unclear_below(recognition.engine)
    )


def is_routine_talk(
    reading: Reading | None, intents: FrozenSet[str], min_intent_confidence: float = 0.0
) -> bool:
    """Whether the NLU reads one of ``intents`` (at least ``min_intent_confidence``
    sure, when it says how sure); when it cannot say, the recogniser's word stands."""
    if reading is None or reading.intent is None:
        return True
    confidence = reading.confidence
    sure = confidence is None or confidence >= min_intent_confidence
    return reading.intent in intents and sure


def routine_talk(mode: str) -> Tuple[FrozenSet[str], float]:
    """What the NLU must read in the command model's transcript (in a routine)
    for the search to settle on it, and how sure: an open microphone acts on
    routine commands and red flags only, surely, and never starts another
    routine over a running one ("stop it hurts" written as "start with
    thirds"); push-to-talk on any routine talk."""
    if mode == HANDS_FREE:
        return HANDS_FREE_INTENTS - {START_ROUTINE_INTENT}, HANDS_FREE_MIN_INTENT_CONFIDENCE
    return ROUTINE_INTENTS, 0.0


def needs_reading(heard: Heard, mode: str) -> bool:
    """Whether acting on what was heard waits for the NLU: an open microphone
    hears the room, and acts on routine talk only (the barge-in list is all stop
    and pause phrases: nothing to check); a question heard with some doubt is
    answered only when the NLU is sure of it (``is_doubtful_question``)."""
    if mode == QUESTION:
        return is_doubtful_question(heard.recognition)
    return (
        mode == HANDS_FREE
        and heard.recognition.model != BARGE_IN
        and not (heard.doubted_red_flag or heard.unclear)
    )


def is_doubtful_question(recognition: Recognition) -> bool:
    """Heard by the question model above its bar but below its engine's sure level."""
    sure = SURE_QUESTION.get(recognition.engine, 0.0)
    return recognition.model == QUESTIONS and recognition.confidence < sure


def is_sure_reading(reading: Reading | None) -> bool:
    """The NLU read an intent, and says it is at least ``QUESTION_MIN_INTENT_CONFIDENCE``
    sure of it (when it cannot say: the recogniser's word stands)."""
    if reading is None or reading.intent is None:
        return True
    confidence = reading.confidence
    return confidence is None or confidence >= QUESTION_MIN_INTENT_CONFIDENCE


def decide(heard: Heard, mode: str, echo: bool, reading: Reading | None = None) -> Outcome:
    """The outcome for what the search settled on.

    ``echo``: the transcript repeats what the coach said lately (push-to-talk
    never counts as one: the widget stops the coach before it records);
    ``reading``: the NLU's reading of the transcript, None when not read."""
    recognition = heard.recognition
    confidence = recognition.confidence
    if not recognition.heard_speech:
        return Outcome(Verdict.NO_SPEECH, recognition, "no speech was heard", confidence=confidence)
    if heard.ruled_out:
        return Outcome(
            Verdict.NOT_UNDERSTOOD,
            recognition,
            "not routine talk, and no other model was sure",
            confidence=0.0,
        )
    if not (heard.doubted_red_flag or heard.unclear) and not recognition.accepted():
        return Outcome(
            Verdict.NOT_UNDERSTOOD,
            recognition,
            f"not sure enough of what was said ({confidence:.2f})",
            confidence=confidence,
        )
    if mode != QUESTION and echo:
        # an open microphone heard the coach's own words: never a command
        detail = "that was the coach's own voice"
        return Outcome(Verdict.IGNORE_ECHO, recognition, detail, confidence=confidence)
    if heard.doubted_red_flag or heard.unclear:
        why = CheckIn.HURTS if heard.doubted_red_flag else CheckIn.UNCLEAR
        return Outcome(
            Verdict.CHECK_IN,
            recognition,
            text=CHECK_IN_COMMAND,
            check_in=why,
            confidence=confidence,
        )
    if mode == QUESTION and needs_reading(heard, mode) and not is_sure_reading(reading):
        detail = "not sure what was asked"
        return Outcome(Verdict.NOT_UNDERSTOOD, recognition, detail, confidence=confidence)
    if (
        mode == HANDS_FREE
        and needs_reading(heard, mode)
        and not is_routine_talk(reading, HANDS_FREE_INTENTS, HANDS_FREE_MIN_INTENT_CONFIDENCE)
    ):
        detail = "not something said to a routine"
        return Outcome(Verdict.NOT_UNDERSTOOD, recognition, detail, confidence=confidence)
    return Outcome(
        Verdict.ACT,
        recognition,
        text=recognition.transcript,
        reading=reading,
        confidence=confidence,
    )


# -- the driver -------------------------------------------------------------
RecognizeFn = Callable[[bytes, str], Awaitable["Recognition"]]
# the NLU's reading of a transcript
ReadFn = Callable[[str], Awaitable[Reading]]
# the conversation's routine status ("running", "paused"; "idle" when none)
StatusFn = Callable[[], Awaitable[str]]
# whether a transcript repeats what the coach said lately
EchoFn = Callable[[str], bool]
# whether a transcript has a pain word or a red flag in it ("it stings", "ow my
# knee", "my leg just gave out")
PainFn = Callable[[str], bool]


async def read_nothing(text: str) -> Reading:
    return UNREAD


class Readings:
    """The NLU's readings of one recording's transcripts: each read once."""

    def __init__(self, read: ReadFn) -> None:
        self._read = read
        self._known: Dict[str, Reading] = {}

    def known(self, text: str) -> Reading | None:
        return self._known.get(text)

    async def of(self, text: str) -> Reading:
        if text not in self._known:
            self._known[text] = await self._read(text)
        return self._known[text]


async def search(
    samples: bytes,
    mode: str,
    status: str,
    recognize: RecognizeFn,
    readings: Readings,
    echoes: EchoFn = lambda transcript: False,
    sounds_like_pain: PainFn = lambda transcript: False,
) -> Heard:
    """Recognise with the models the mode and the routine call for, in order,
    until one settles it (``next_step``); else a doubted red flag or (hands-free
    while a hold runs) a pain word or unclear speech (``pause_to_check_in``),
    else the last one that heard speech."""
    plan = models_to_try(mode, status)
    first: Recognition | None = None
    last_heard: Recognition | None = None
    ruled_out: Recognition | None = None
    doubted: List[Recognition] = []
    unsure: List[Recognition] = []  # free transcripts nothing was sure of
    for index, model in enumerate(plan):
        result = await recognize(samples, model)
        first = first or result
        step = next_step(result, mode, first=index == 0, last=index == len(plan) - 1)
        if step is Step.TAKE:
            return Heard(result)
        if step is Step.ASK_NLU:
            if mode != QUESTION and echoes(result.transcript):
                return Heard(result)  # the coach's own words: ignored, unread
            reading = await readings.of(result.transcript)
            if is_routine_talk(reading, *routine_talk(mode)):
                return Heard(result)
            if mode == HANDS_FREE and status == RUNNING and reading.intent == RED_FLAG_INTENT:
                # pain, but the NLU is not sure: pause and check in, never drop it
                return Heard(result, doubted_red_flag=True)
            ruled_out = result
            unsure.append(result)
            continue
        if result.heard_speech:
            last_heard = result
            if may_be_red_flag(result, status):
                doubted.append(result)
            if result.model != BARGE_IN:
                unsure.append(result)
    for result in doubted:
        if (await readings.of(result.transcript)).intent == RED_FLAG_INTENT:
            return Heard(result, doubted_red_flag=True)
    if mode == HANDS_FREE:
        checked = pause_to_check_in(unsure, status, echoes, sounds_like_pain)
        if checked is not None:
            return checked
    if last_heard is not None:
        return Heard(last_heard)
    if ruled_out is not None:
        return Heard(ruled_out, ruled_out=True)
    assert first is not None  # every plan has a model
    return Heard(first)  # voiced, but no model made words of it


def pause_to_check_in(
    unsure: List[Recognition], status: str, echoes: EchoFn, sounds_like_pain: PainFn
) -> Heard | None:
    """Hands-free, what nothing was sure of that still pauses the hold: a pain
    word in a free transcript heard at the red-flag bar (the coach's own words
    heard back excepted), else a transcript the command model could not make
    out. None: the routine goes on."""
    if status != RUNNING:
        return None
    mine = [r for r in unsure if not echoes(r.transcript)]
    for result in mine:
        heard_enough = result.accepted(red_flag_min_confidence(result.engine))
        if heard_enough and sounds_like_pain(result.transcript):
            return Heard(result, doubted_red_flag=True)
    for result in mine:
        if is_unclear(result, status):
            return Heard(result, unclear=True)
    return None


async def listen(
    samples: bytes,
    mode: str,
    routine_status: StatusFn,
    recognize: RecognizeFn,
    read: ReadFn = read_nothing,
    echoes: EchoFn = lambda transcript: False,
    sounds_like_pain: PainFn = lambda transcript: False,
) -> Outcome:
    """The outcome for one recording (16 kHz mono PCM) in ``mode``."""
    status = await routine_status() if asks_routine_status(mode) else IDLE
    readings = Readings(read)
    heard = await search(samples, mode, status, recognize, readings, echoes, sounds_like_pain)
    transcript = heard.recognition.transcript
    echo = bool(transcript) and echoes(transcript)
    outcome = decide(heard, mode, echo, readings.known(transcript))
    if outcome.verdict is Verdict.ACT and needs_reading(heard, mode) and outcome.reading is None:
        outcome = decide(heard, mode, echo, await readings.of(transcript))
    return outcome
