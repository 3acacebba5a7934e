"""The listening policy through the voice channel's handler: which language
models are tried, the NLU's word on what was heard, the doubted red flag
(coach/speech/listening.py, with fakes from tests/support/voice_handler.py).
"""

from __future__ import annotations

import pytest

from channels.voice import NOT_UNDERSTOOD, OK, RECOGNIZER_UNAVAILABLE
from coach.intents import RED_FLAG_INTENT
from coach.speech.asr.audio_input import NO_SPEECH
from coach.speech.asr.base import Recognition, RecognitionError
from coach.speech.listening import BARGE_IN_MODE, HANDS_FREE, QUESTION
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from coach.speech.thresholds import MIN_CONFIDENCE, RED_FLAG_MIN_CONFIDENCE
from tests.support.voice_handler import (
    SENDER,
    FakeConversation,
    FakeNlu,
    FakeRecognizer,
    Routine,
    handler_with,
    heard,
    nothing,
    request,
    run_plan,
    unsure,
)

# --- which language models, when ------------------------------------------------------------


async def test_a_question_without_a_routine_uses_the_questions_model():
    result, models, conversation, routine = await run_plan(
        QUESTION, False, **{QUESTIONS: heard("where is the psoas", QUESTIONS)}
    )
    assert models == [QUESTIONS]
    assert result.status == OK and routine.asked == [SENDER]
    assert conversation.received[0].metadata["voice"]["model"] == QUESTIONS


async def test_during_a_routine_a_question_tries_the_commands_first():
    nlu = FakeNlu(pause="routine_pause")
    result, models, conversation, _ = await run_plan(
        QUESTION,
        True,
        nlu,
        **{COMMANDS: heard("pause", COMMANDS), QUESTIONS: heard("x", QUESTIONS)},
    )
    assert models == [COMMANDS] and nlu.read == ["pause"]
    assert result.status == OK and result.transcript == "pause"
    assert conversation.received[0].metadata["voice"] == {
        "confidence": 0.95,
        "model": COMMANDS,
        "mode": QUESTION,
    }


async def test_during_a_routine_a_question_the_commands_reject_goes_to_the_questions():
    result, models, conversation, _ = await run_plan(
        QUESTION,
        True,
        **{
            COMMANDS: unsure("how long left", COMMANDS),
            QUESTIONS: heard("how long should i hold the stretch", QUESTIONS),
        },
    )
    assert models == [COMMANDS, BARGE_IN, QUESTIONS]
    assert result.status == OK
    assert conversation.received[0].text == "how long should i hold the stretch"
    assert conversation.received[0].metadata["voice"]["model"] == QUESTIONS


async def test_during_a_routine_a_question_both_models_reject_is_not_understood():
    result, models, conversation, _ = await run_plan(
        QUESTION,
        True,
        **{COMMANDS: unsure("a", COMMANDS), QUESTIONS: unsure("b", QUESTIONS)},
    )
    assert models == [COMMANDS, BARGE_IN, QUESTIONS]
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert result.recognition is not None and result.recognition.model == QUESTIONS


async def test_during_a_routine_silence_to_the_commands_model_ends_the_search():
    result, models, _, _ = await run_plan(QUESTION, True, **{COMMANDS: nothing(COMMANDS)})
    assert models == [COMMANDS]
    assert result.status == NO_SPEECH


async def test_hands_free_during_a_routine_uses_the_commands_only():
    result, models, conversation, _ = await run_plan(
        HANDS_FREE, True, **{COMMANDS: heard("resume", COMMANDS)}
    )
    assert models == [COMMANDS] and result.status == OK
    assert conversation.received[0].metadata["voice"]["mode"] == HANDS_FREE

    result, models, conversation, _ = await run_plan(
        HANDS_FREE,
        True,
        **{COMMANDS: unsure("what is the psoas", COMMANDS), QUESTIONS: heard("x", QUESTIONS)},
    )
    assert models == [COMMANDS, BARGE_IN]  # no second chance with the questions model
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_hands_free_a_stop_the_commands_doubt_is_caught_by_the_barge_in_list():
    # a lone "stop" is short: the command model may doubt it, the closed
    # barge-in list (with its stricter threshold) is sure
    result, models, conversation, _ = await run_plan(
        HANDS_FREE,
        True,
        **{COMMANDS: unsure("tell", COMMANDS), BARGE_IN: heard("stop", BARGE_IN, 0.99)},
    )
    assert models == [COMMANDS, BARGE_IN]
    assert result.status == OK and conversation.received[0].text == "stop"
    assert conversation.received[0].metadata["voice"]["model"] == BARGE_IN


async def test_a_later_model_hearing_nothing_does_not_make_it_silence():
    result, models, conversation, _ = await run_plan(
        QUESTION, True, **{COMMANDS: unsure("what is it", COMMANDS)}
    )
    assert models == [COMMANDS, BARGE_IN, QUESTIONS]
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert result.recognition is not None and result.recognition.model == COMMANDS


async def test_hands_free_without_a_routine_uses_the_questions_model():
    nlu = FakeNlu(begin_the_routine="start_routine")
    result, models, _, _ = await run_plan(
        HANDS_FREE, False, nlu, **{QUESTIONS: heard("begin the routine", QUESTIONS)}
    )
    assert models == [QUESTIONS] and result.status == OK


# --- the NLU's word on what was heard ----------------------------------------------------


async def test_during_a_routine_a_question_the_command_model_forced_goes_to_the_questions():
    # the command model hears a question in its own words, confidently; the NLU
    # reads no routine command in it, so the full model has its say
    nlu = FakeNlu(how_do_i_slipped_my_psoas="ask_psoas_stretch")
    result, models, conversation, _ = await run_plan(
        QUESTION,
        True,
        nlu,
        **{
            COMMANDS: heard("how do i slipped my psoas", COMMANDS, 0.85),
            QUESTIONS: heard("how do i stretch my psoas", QUESTIONS, 0.7),
        },
    )
    assert models == [COMMANDS, BARGE_IN, QUESTIONS]
    assert result.status == OK and conversation.received[0].text == "how do i stretch my psoas"
    assert nlu.read == ["how do i slipped my psoas"]  # the last model's word is final


@pytest.mark.parametrize(
    "questions_heard",
    [unsure("how do i stretch my psoas", QUESTIONS), nothing(QUESTIONS)],
    ids=["doubted", "missed"],
)
async def test_during_a_routine_a_forced_question_the_questions_reject_is_not_acted_upon(
    questions_heard: Recognition,
):
    nlu = FakeNlu(how_do_i_slipped_my_psoas="ask_psoas_stretch")
    answers = {COMMANDS: heard("how do i slipped my psoas", COMMANDS, 0.85)}
    answers[QUESTIONS] = questions_heard
    result, _, conversation, _ = await run_plan(QUESTION, True, nlu, **answers)
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert result.messages and result.messages[0]["text"]  # "I didn't catch that"


@pytest.mark.parametrize(
    "said, intent",
    [
        ("how long is left", "ask_time_left"),
        ("my leg is numb", "report_red_flag_symptom"),
        ("make it 20 seconds", "set_hold_duration"),
    ],
)
async def test_hands_free_acts_on_routine_talk_and_red_flags(said: str, intent: str):
    nlu = FakeNlu(**{said.replace(" ", "_"): intent})
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, nlu, **{COMMANDS: heard(said, COMMANDS)}
    )
    assert result.status == OK and conversation.received[0].text == said


@pytest.mark.parametrize(
    "said, intent",
    [("someone is at the door", "out_of_scope"), ("what is the psoas", "ask_what_is_psoas")],
)
async def test_hands_free_never_acts_on_what_is_not_routine_talk(said: str, intent: str):
    # the command model can force chatter into its words, confidently
    nlu = FakeNlu(**{said.replace(" ", "_"): intent})
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, nlu, **{COMMANDS: heard(said, COMMANDS)}
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert result.messages and result.messages[0]["text"]  # "I didn't catch that"


# --- a red flag mid-routine: a lower bar -------------------------------------------------

# between the red-flag bar and the command model's: heard, but doubted
DOUBTED = (RED_FLAG_MIN_CONFIDENCE + MIN_CONFIDENCE[COMMANDS]) / 2


@pytest.mark.parametrize("mode", [HANDS_FREE, QUESTION])
async def test_a_doubted_red_flag_mid_routine_pauses_and_checks_in(mode: str):
    # "ouch that hurts" is heard word for word, but short sentences get low
    # confidence: a person in pain must not hear "I didn't catch that" while the
    # hold goes on; chatter misheard as pain must not end the routine either
    nlu = FakeNlu(ouch_that_hurts=RED_FLAG_INTENT)
    conversation = FakeConversation([{"text": "Paused. Say resume when you're ready."}])
    recognizer = FakeRecognizer(**{COMMANDS: heard("ouch that hurts", COMMANDS, DOUBTED)})
    handler, _ = handler_with(recognizer, conversation, routine=True, nlu=nlu)
    result = await handler.handle(request(mode=mode))
    assert result.status == OK and result.transcript == "ouch that hurts"
    assert [m.text for m in conversation.received] == ["/routine_pause"]
    voice = conversation.received[0].metadata["voice"]
    assert voice["model"] == COMMANDS and voice["doubted_red_flag"] is True
    check_in, paused = result.messages
    assert "sounded like something hurts" in check_in["text"] and check_in["spoken"]
    assert "stop" in check_in["spoken"] and "Paused" in paused["text"]
    assert recognizer.models[0] == COMMANDS


async def test_a_doubted_red_flag_while_paused_is_not_acted_upon():
    # nothing goes on while paused: the person can say it again (or "stop"), and
    # the coach's check-in ("...something hurts... say stop"), heard back by the
    # open microphone, cannot pause it again and again
    nlu = FakeNlu(ouch_that_hurts=RED_FLAG_INTENT)
    recognizer = FakeRecognizer(**{COMMANDS: heard("ouch that hurts", COMMANDS, DOUBTED)})
    handler, conversation = handler_with(recognizer, routine=Routine("paused"), nlu=nlu)
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    # a sure one still goes through
    recognizer.answers[COMMANDS] = heard("ouch that hurts", COMMANDS)
    assert (await handler.handle(request(mode=HANDS_FREE))).status == OK


async def test_a_sure_red_flag_mid_routine_goes_to_the_conversation_as_said():
    nlu = FakeNlu(ouch_that_hurts=RED_FLAG_INTENT)
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, nlu, **{COMMANDS: heard("ouch that hurts", COMMANDS)}
    )
    assert result.status == OK and [m.text for m in conversation.received] == ["ouch that hurts"]
    assert "doubted_red_flag" not in conversation.received[0].metadata["voice"]


async def test_a_doubted_sentence_that_is_no_red_flag_is_still_not_acted_upon():
    nlu = FakeNlu(next_one="routine_next", someone_is_at_the_door="out_of_scope")
    for said in ("next one", "someone is at the door"):
        result, _, conversation, _ = await run_plan(
            HANDS_FREE, True, nlu, **{COMMANDS: heard(said, COMMANDS, DOUBTED)}
        )
        assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_a_red_flag_below_its_own_bar_is_not_acted_upon():
    nlu = FakeNlu(my_leg_is_numb=RED_FLAG_INTENT)
    low = RED_FLAG_MIN_CONFIDENCE - 0.05
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, nlu, **{COMMANDS: heard("my leg is numb", COMMANDS, low)}
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_the_lower_bar_is_for_routines_only():
    # without a routine nothing goes on while the person repeats themselves, and
    # over the coach's voice only the closed barge-in list counts
    nlu = FakeNlu(my_leg_is_numb=RED_FLAG_INTENT)
    result, _, conversation, _ = await run_plan(
        QUESTION, False, nlu, **{QUESTIONS: heard("my leg is numb", QUESTIONS, DOUBTED - 0.2)}
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    result, _, conversation, _ = await run_plan(
        BARGE_IN_MODE,
        True,
        nlu,
        **{
            BARGE_IN: heard("my leg is numb", BARGE_IN, MIN_CONFIDENCE[BARGE_IN] - 0.05),
            COMMANDS: heard("my leg is numb", COMMANDS, DOUBTED),
        },
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_hands_free_without_a_routine_never_answers_a_question():
    nlu = FakeNlu(what_is_the_psoas="ask_what_is_psoas")
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, False, nlu, **{QUESTIONS: heard("what is the psoas", QUESTIONS)}
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_when_the_nlu_cannot_say_the_recogniser_stands():
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, FakeNlu(), **{COMMANDS: heard("next", COMMANDS)}
    )
    assert result.status == OK and conversation.received[0].text == "next"


async def test_the_barge_in_list_needs_no_nlu():
    nlu = FakeNlu(stop="out_of_scope")
    result, _, _, _ = await run_plan(
        BARGE_IN_MODE, True, nlu, **{BARGE_IN: heard("stop", BARGE_IN)}
    )
    assert result.status == OK and nlu.read == []


@pytest.mark.parametrize("routine", [True, False])
async def test_barge_in_uses_the_barge_in_model_only(routine: bool):
    result, models, conversation, asked = await run_plan(
        BARGE_IN_MODE, routine, **{BARGE_IN: heard("stop", BARGE_IN)}
    )
    assert models == [BARGE_IN] and result.status == OK
    assert conversation.received[0].text == "stop"
    assert conversation.received[0].metadata["voice"] == {
        "confidence": 0.95,
        "model": BARGE_IN,
        "mode": BARGE_IN_MODE,
    }
    assert asked.asked == []  # no need to read the conversation


async def test_barge_in_below_its_threshold_is_not_acted_upon():
    confidence = MIN_CONFIDENCE[BARGE_IN] - 0.05
    result, models, conversation, _ = await run_plan(
        BARGE_IN_MODE,
        True,
        **{BARGE_IN: heard("stop", BARGE_IN, confidence), COMMANDS: heard("stop", COMMANDS)},
    )
    assert models == [BARGE_IN]
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_a_recogniser_failure_on_the_second_model_is_unavailable():
    result, models, conversation, _ = await run_plan(
        QUESTION,
        True,
        **{COMMANDS: unsure("a", COMMANDS), QUESTIONS: RecognitionError("worker died")},
    )
    assert models == [COMMANDS, BARGE_IN, QUESTIONS]
    assert result.status == RECOGNIZER_UNAVAILABLE and result.http_status == 503
    assert conversation.received == []
