"""The voice policy (coach/speech/listening.py) as pure functions, and its driver
with fakes: which models, which recognition, which outcome, the NLU read once.

tests/test_voice_channel.py checks the same rules through the HTTP adapter.
"""

from __future__ import annotations

from typing import Dict, List

import pytest

from coach.intents import HANDS_FREE_INTENTS, RED_FLAG_INTENT, ROUTINE_INTENTS
from coach.settings import WHISPER
from coach.speech.asr.base import Recognition
from coach.speech.listening import (
    BARGE_IN_MODE,
    CHECK_IN_COMMAND,
    HANDS_FREE,
    IDLE,
    MODES,
    QUESTION,
    RUNNING,
    UNREAD,
    Heard,
    Reading,
    Readings,
    Step,
    Verdict,
    asks_routine_status,
    decide,
    is_doubtful_question,
    is_routine_talk,
    listen,
    may_be_red_flag,
    models_to_try,
    needs_reading,
    next_step,
)
from coach.speech.lm.names import BARGE_IN, COMMANDS, MODEL_NAMES, QUESTIONS
from coach.speech.thresholds import (
    HANDS_FREE_MIN_INTENT_CONFIDENCE,
    MIN_CONFIDENCE,
    QUESTION_MIN_INTENT_CONFIDENCE,
    RED_FLAG_MIN_CONFIDENCE,
    SURE_QUESTION,
    min_confidence,
)

PAUSED = "paused"
DOUBTED = (RED_FLAG_MIN_CONFIDENCE + MIN_CONFIDENCE[COMMANDS]) / 2


def heard(text: str, model: str, confidence: float = 0.95) -> Recognition:
    return Recognition(text, confidence, model, 1.0)


def nothing(model: str) -> Recognition:
    return Recognition("", 0.0, model, 0.0)


# --- the bars --------------------------------------------------------------------------


def test_every_model_has_its_bar_and_the_red_flag_bar_is_lowest():
    assert set(MIN_CONFIDENCE) == set(MODEL_NAMES)
    assert all(0 < RED_FLAG_MIN_CONFIDENCE < bar for bar in MIN_CONFIDENCE.values())
    assert MIN_CONFIDENCE[COMMANDS] > MIN_CONFIDENCE[QUESTIONS] > MIN_CONFIDENCE[BARGE_IN]
    assert min_confidence("unknown model") == 0.5


def test_a_recognition_is_accepted_at_the_policys_bar():
    for model in MODEL_NAMES:
        assert heard("next one", model, MIN_CONFIDENCE[model]).accepted()
        assert not heard("next one", model, MIN_CONFIDENCE[model] - 0.01).accepted()


# --- which models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, status, models",
    [
        (QUESTION, IDLE, (QUESTIONS,)),
        (QUESTION, RUNNING, (COMMANDS, BARGE_IN, QUESTIONS)),
        (QUESTION, PAUSED, (COMMANDS, BARGE_IN, QUESTIONS)),
        (HANDS_FREE, IDLE, (QUESTIONS,)),
        (HANDS_FREE, RUNNING, (COMMANDS, BARGE_IN)),
        (HANDS_FREE, PAUSED, (COMMANDS, BARGE_IN)),
        (BARGE_IN_MODE, IDLE, (BARGE_IN,)),
        (BARGE_IN_MODE, RUNNING, (BARGE_IN,)),
    ],
)
def test_the_models_to_try(mode: str, status: str, models: tuple):
    assert models_to_try(mode, status) == models


def test_only_barge_in_needs_no_routine_status():
    assert [asks_routine_status(mode) for mode in MODES] == [True, True, False]


# --- each recognition of the search ----------------------------------------------------


def test_a_sure_recognition_is_taken():
    assert next_step(heard("stop", BARGE_IN), QUESTION, first=False, last=False) is Step.TAKE
    assert next_step(heard("stop", BARGE_IN), HANDS_FREE, first=False, last=True) is Step.TAKE


def test_hands_free_asks_the_nlu_about_the_command_models_word_too():
    # a pain report written as something else must still get the barge-in look
    sure = heard("start with thirds", COMMANDS)
    assert next_step(sure, HANDS_FREE, first=True, last=False) is Step.ASK_NLU


# what the NLU reads in the command model's word: no command, or a routine
# start (never acted upon over a running one)
@pytest.mark.parametrize("read_as", ["out_of_scope", "start_routine"])
async def test_hands_free_gives_the_barge_in_list_its_look_when_the_nlu_reads_no_command(
    read_as: str,
):
    fakes = Fakes(
        {
            COMMANDS: heard("start with thirds", COMMANDS),
            BARGE_IN: heard("stop it hurts", BARGE_IN),
        },
        {"start with thirds": read_as, "stop it hurts": RED_FLAG_INTENT},
    )
    outcome = await listen(
        b"pcm", HANDS_FREE, status_of(RUNNING), fakes.recognize, fakes.read_intent
    )
    assert outcome.verdict is Verdict.ACT and outcome.text == "stop it hurts"


async def test_hands_free_acts_only_on_what_the_nlu_is_sure_of():
    garbled = heard("i like beat so in extra cheese", COMMANDS)
    unsure = Reading(
        "set_hold_duration", {"intent": {"name": "set_hold_duration", "confidence": 0.5}}
    )
    assert not is_routine_talk(unsure, HANDS_FREE_INTENTS, HANDS_FREE_MIN_INTENT_CONFIDENCE)
    sure = Reading("routine_pause", {"intent": {"name": "routine_pause", "confidence": 0.97}})
    assert is_routine_talk(sure, HANDS_FREE_INTENTS, HANDS_FREE_MIN_INTENT_CONFIDENCE)
    outcome = decide(Heard(garbled), HANDS_FREE, echo=False, reading=unsure)
    assert outcome.verdict is Verdict.NOT_UNDERSTOOD


def test_push_to_talk_asks_the_nlu_about_the_command_models_word_unless_it_is_the_last():
    sure = heard("how do i slipped my psoas", COMMANDS)
    assert next_step(sure, QUESTION, first=True, last=False) is Step.ASK_NLU
    assert next_step(sure, QUESTION, first=True, last=True) is Step.TAKE


def test_silence_to_the_first_model_ends_the_search_and_to_a_later_one_does_not():
    assert next_step(nothing(COMMANDS), QUESTION, first=True, last=False) is Step.TAKE
    assert next_step(nothing(BARGE_IN), QUESTION, first=False, last=False) is Step.TRY_NEXT
    unsure = heard("what is it", COMMANDS, 0.2)
    assert next_step(unsure, QUESTION, first=True, last=False) is Step.TRY_NEXT


def test_a_doubted_red_flag_is_looked_for_during_a_hold_only_and_never_in_a_closed_list():
    doubted = heard("ouch that hurts", COMMANDS, DOUBTED)
    assert may_be_red_flag(doubted, RUNNING)
    assert not may_be_red_flag(doubted, PAUSED) and not may_be_red_flag(doubted, IDLE)
    assert not may_be_red_flag(heard("ouch that hurts", BARGE_IN, DOUBTED), RUNNING)
    low = heard("ouch that hurts", COMMANDS, RED_FLAG_MIN_CONFIDENCE - 0.01)
    assert not may_be_red_flag(low, RUNNING)
    assert not may_be_red_flag(heard("the on and", COMMANDS, DOUBTED), RUNNING)


def test_routine_talk_by_the_nlu_and_the_recogniser_stands_when_it_cannot_say():
    assert is_routine_talk(Reading("routine_pause"), ROUTINE_INTENTS)
    assert not is_routine_talk(Reading("out_of_scope"), ROUTINE_INTENTS)
    assert is_routine_talk(UNREAD, ROUTINE_INTENTS) and is_routine_talk(None, ROUTINE_INTENTS)
    assert is_routine_talk(Reading("start_routine"), HANDS_FREE_INTENTS)


# --- the outcome -----------------------------------------------------------------------


def test_nothing_heard_is_no_speech():
    outcome = decide(Heard(nothing(QUESTIONS)), QUESTION, echo=False)
    assert outcome.verdict is Verdict.NO_SPEECH and not outcome.acted


def test_unsure_is_not_understood_with_how_sure():
    outcome = decide(Heard(heard("what", QUESTIONS, 0.2)), QUESTION, echo=False)
    assert outcome.verdict is Verdict.NOT_UNDERSTOOD
    assert "0.20" in outcome.detail and outcome.confidence == 0.2


def test_a_ruled_out_transcript_is_not_understood_and_reported_without_confidence():
    outcome = decide(Heard(heard("how do i slipped", COMMANDS), ruled_out=True), QUESTION, False)
    assert outcome.verdict is Verdict.NOT_UNDERSTOOD and outcome.confidence == 0.0
    assert outcome.recognition.confidence == 0.95  # what was heard stays as heard


@pytest.mark.parametrize("mode", [HANDS_FREE, BARGE_IN_MODE])
def test_an_echo_is_ignored_on_an_open_microphone(mode: str):
    said = Heard(heard("hold for 30 seconds", COMMANDS))
    outcome = decide(said, mode, echo=True)
    assert outcome.verdict is Verdict.IGNORE_ECHO and "own voice" in outcome.detail
    doubted = Heard(heard("ouch that hurts", COMMANDS, DOUBTED), doubted_red_flag=True)
    assert decide(doubted, mode, echo=True).verdict is Verdict.IGNORE_ECHO


def test_push_to_talk_is_never_an_echo():
    outcome = decide(Heard(heard("hold for 30 seconds", COMMANDS)), QUESTION, echo=True)
    assert outcome.verdict is Verdict.ACT and outcome.text == "hold for 30 seconds"


def test_a_doubted_red_flag_checks_in_with_a_pause():
    doubted = Heard(heard("ouch that hurts", COMMANDS, DOUBTED), doubted_red_flag=True)
    outcome = decide(doubted, HANDS_FREE, echo=False)
    assert outcome.verdict is Verdict.CHECK_IN and outcome.acted
    assert outcome.text == CHECK_IN_COMMAND == "/routine_pause"
    assert outcome.confidence == DOUBTED
    assert not needs_reading(doubted, HANDS_FREE)  # the NLU has already said "red flag"


def test_hands_free_acts_on_routine_talk_only():
    said = Heard(heard("someone is at the door", COMMANDS))
    assert needs_reading(said, HANDS_FREE) and not needs_reading(said, QUESTION)
    chatter = decide(said, HANDS_FREE, echo=False, reading=Reading("out_of_scope"))
    assert chatter.verdict is Verdict.NOT_UNDERSTOOD and "routine" in chatter.detail
    assert decide(said, HANDS_FREE, echo=False, reading=UNREAD).verdict is Verdict.ACT
    stop = Heard(heard("stop", BARGE_IN))
    assert not needs_reading(stop, HANDS_FREE)
    assert decide(stop, HANDS_FREE, False, Reading("out_of_scope")).verdict is Verdict.ACT


def test_acting_keeps_the_nlus_reading_for_the_message():
    reading = Reading("routine_pause", {"text": "pause", "intent": {"name": "routine_pause"}})
    outcome = decide(Heard(heard("pause", COMMANDS)), HANDS_FREE, echo=False, reading=reading)
    assert outcome.verdict is Verdict.ACT and outcome.text == "pause"
    assert outcome.reading == reading


# --- the driver ------------------------------------------------------------------------


class Fakes:
    """A recogniser (answers per model) and an NLU (intents per text), recording calls."""

    def __init__(self, answers: Dict[str, Recognition], intents: Dict[str, str]) -> None:
        self.answers, self.intents = answers, intents
        self.models: List[str] = []
        self.read: List[str] = []

    async def recognize(self, samples: bytes, model: str) -> Recognition:
        self.models.append(model)
        return self.answers.get(model, nothing(model))

    async def read_intent(self, text: str) -> Reading:
        self.read.append(text)
        intent = self.intents.get(text)
        return Reading(intent, {"text": text, "intent": {"name": intent}})


def status_of(value: str):
    async def status() -> str:
        return value

    return status


async def test_readings_are_read_once_per_text():
    fakes = Fakes({}, {"pause": "routine_pause"})
    readings = Readings(fakes.read_intent)
    assert readings.known("pause") is None
    first = await readings.of("pause")
    assert await readings.of("pause") is first and readings.known("pause") is first
    assert fakes.read == ["pause"]


async def test_listen_keeps_the_reading_of_what_it_acts_upon():
    fakes = Fakes({COMMANDS: heard("pause", COMMANDS)}, {"pause": "routine_pause"})
    outcome = await listen(
        b"pcm", HANDS_FREE, status_of(RUNNING), fakes.recognize, fakes.read_intent
    )
    assert outcome.verdict is Verdict.ACT and fakes.models == [COMMANDS]
    assert fakes.read == ["pause"]  # once: the parse goes on with the message
    assert outcome.reading is not None and outcome.reading.parse == {
        "text": "pause",
        "intent": {"name": "routine_pause"},
    }


async def test_listen_finds_a_doubted_red_flag_during_a_hold():
    fakes = Fakes(
        {COMMANDS: heard("ouch that hurts", COMMANDS, DOUBTED)},
        {"ouch that hurts": RED_FLAG_INTENT},
    )
    outcome = await listen(
        b"pcm", HANDS_FREE, status_of(RUNNING), fakes.recognize, fakes.read_intent
    )
    assert outcome.verdict is Verdict.CHECK_IN and fakes.models == [COMMANDS, BARGE_IN]
    assert fakes.read == ["ouch that hurts"]


async def test_listen_ignores_an_echo_without_asking_the_nlu():
    fakes = Fakes({COMMANDS: heard("hold for 30 seconds", COMMANDS)}, {})
    outcome = await listen(
        b"pcm",
        HANDS_FREE,
        status_of(RUNNING),
        fakes.recognize,
        fakes.read_intent,
        echoes=lambda transcript: transcript == "hold for 30 seconds",
    )
    assert outcome.verdict is Verdict.IGNORE_ECHO and fakes.read == []


async def test_listen_over_the_coachs_voice_asks_neither_the_routine_nor_the_nlu():
    async def no_status() -> str:
        raise AssertionError("the routine status was asked")

    fakes = Fakes({BARGE_IN: heard("stop", BARGE_IN)}, {"stop": "out_of_scope"})
    outcome = await listen(b"pcm", BARGE_IN_MODE, no_status, fakes.recognize, fakes.read_intent)
    assert outcome.verdict is Verdict.ACT and outcome.text == "stop"
    assert fakes.models == [BARGE_IN] and fakes.read == [] and outcome.reading is None


def whisper_heard(text: str, model: str, confidence: float) -> Recognition:
    return Recognition(text, confidence, model, 1.0, WHISPER)


def sure_of(intent: str, confidence: float) -> Reading:
    return Reading(intent, {"intent": {"name": intent, "confidence": confidence}})


async def test_a_doubtful_whisper_question_is_answered_only_when_the_nlu_is_sure():
    doubtful = whisper_heard("i'll do my stretch my solo", QUESTIONS, SURE_QUESTION[WHISPER] - 0.1)
    assert doubtful.accepted() and is_doubtful_question(doubtful)
    unsure = decide(Heard(doubtful), QUESTION, echo=False, reading=sure_of("greet", 0.5))
    assert unsure.verdict is Verdict.NOT_UNDERSTOOD
    sure = sure_of("ask_psoas_stretch", QUESTION_MIN_INTENT_CONFIDENCE + 0.1)
    assert decide(Heard(doubtful), QUESTION, echo=False, reading=sure).verdict is Verdict.ACT
    # through the driver: the NLU is asked, once
    fakes = Fakes({QUESTIONS: doubtful}, {})
    outcome = await listen(b"pcm", QUESTION, status_of(IDLE), fakes.recognize, fakes.read_intent)
    assert outcome.verdict is Verdict.ACT and fakes.read == [
        doubtful.transcript
    ]  # NLU: no confidence


def test_a_sure_question_and_pocketsphinx_need_no_reading():
    sure = whisper_heard("how do i stretch my psoas", QUESTIONS, SURE_QUESTION[WHISPER])
    assert not needs_reading(Heard(sure), QUESTION)
    assert not needs_reading(Heard(heard("how do i stretch my psoas", QUESTIONS)), QUESTION)


async def test_pain_the_nlu_is_unsure_of_pauses_the_routine_hands_free():
    garbled = whisper_heard("it's serving a lot", COMMANDS, 0.63)

    async def read(text: str) -> Reading:
        return sure_of(RED_FLAG_INTENT, 0.43)

    async def recognize(samples: bytes, model: str) -> Recognition:
        return garbled if model == COMMANDS else nothing(model)

    outcome = await listen(b"pcm", HANDS_FREE, status_of(RUNNING), recognize, read)
    assert outcome.verdict is Verdict.CHECK_IN and outcome.text == CHECK_IN_COMMAND
