"""Hands-free while a hold runs, what nothing was sure of still pauses it: a
pain word in what was written, or speech the command model could not make out
(coach/speech/listening.py ``pause_to_check_in``, ``is_unclear``); through the
voice channel's handler with the fakes of tests/support/voice_handler.py.
"""

from __future__ import annotations

import pytest

from channels.voice import NOT_UNDERSTOOD, OK
from coach.settings import WHISPER
from coach.speech.asr.base import Recognition
from coach.speech.listening import (
    BARGE_IN_MODE,
    CHECK_IN_COMMAND,
    HANDS_FREE,
    QUESTION,
    RUNNING,
    CheckIn,
    Heard,
    Verdict,
    decide,
    is_unclear,
    pause_to_check_in,
)
from coach.speech.lm.names import BARGE_IN, COMMANDS
from coach.speech.thresholds import min_confidence, unclear_below
from tests.support.voice_handler import (
    SENDER,
    FakeConversation,
    FakeNlu,
    FakeRecognizer,
    Routine,
    handler_with,
    heard,
    request,
)

PAUSED = "paused"


def whisper(text: str, model: str, confidence: float) -> Recognition:
    return Recognition(text, confidence, model, 1.0, WHISPER)


# --- hands-free mid-hold: a pain word, unclear speech ---------------------------------------


def test_unclear_is_a_command_model_transcript_below_the_engines_bar_while_a_hold_runs():
    below = unclear_below(WHISPER)
    assert 0 < below <= min_confidence(COMMANDS, WHISPER) and unclear_below() == 0
    assert is_unclear(whisper("oh child child", COMMANDS, below - 0.01), RUNNING)
    assert not is_unclear(whisper("oh child child", COMMANDS, below), RUNNING)
    assert not is_unclear(whisper("oh child child", COMMANDS, 0.1), PAUSED)
    assert not is_unclear(whisper("oh child child", BARGE_IN, 0.1), RUNNING)
    assert not is_unclear(whisper("um the", COMMANDS, 0.1), RUNNING)  # no word
    assert not is_unclear(heard("oh child child", COMMANDS, 0.1), RUNNING)  # no bar


def never_echo(transcript: str) -> bool:
    return False


def pain(transcript: str) -> bool:
    return "stings" in transcript


def test_a_pain_word_at_the_red_flag_bar_checks_in_before_unclear_speech():
    stings = whisper("it stings", COMMANDS, 0.3)
    garbled = whisper("oh child child", COMMANDS, 0.3)
    found = pause_to_check_in([garbled, stings], RUNNING, never_echo, pain)
    assert found is not None and found.recognition is stings and found.doubted_red_flag
    unclear = pause_to_check_in([garbled], RUNNING, never_echo, pain)
    assert unclear is not None and unclear.unclear and not unclear.doubted_red_flag
    faint = whisper("it stings", COMMANDS, 0.1)  # below the red-flag bar
    assert pause_to_check_in([faint], RUNNING, never_echo, pain) == Heard(faint, unclear=True)
    assert pause_to_check_in([stings], PAUSED, never_echo, pain) is None
    assert pause_to_check_in([stings], RUNNING, lambda t: True, pain) is None  # its own voice


def test_a_check_in_outcome_says_why():
    hurts = decide(
        Heard(whisper("it stings", COMMANDS, 0.3), doubted_red_flag=True), HANDS_FREE, False
    )
    unclear = decide(Heard(whisper("oh child", COMMANDS, 0.3), unclear=True), HANDS_FREE, False)
    assert hurts.verdict is unclear.verdict is Verdict.CHECK_IN
    assert (hurts.check_in, unclear.check_in) == (CheckIn.HURTS, CheckIn.UNCLEAR)
    assert hurts.text == unclear.text == CHECK_IN_COMMAND
    echo = decide(Heard(whisper("oh child", COMMANDS, 0.3), unclear=True), HANDS_FREE, True)
    assert echo.verdict is Verdict.IGNORE_ECHO


# --- hands-free mid-hold, what nothing was sure of: pain words, unclear speech -----------


async def test_a_pain_word_nothing_was_sure_of_pauses_a_running_hold_and_checks_in():
    # "it stings": written right, but no sentence the NLU knows
    nlu = FakeNlu(it_stings="nlu_fallback")
    conversation = FakeConversation([{"text": "Paused. Say resume when you're ready."}])
    recognizer = FakeRecognizer(**{COMMANDS: whisper("it stings", COMMANDS, 0.45)})
    handler, _ = handler_with(recognizer, conversation, routine=True, nlu=nlu)
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == OK and [m.text for m in conversation.received] == ["/routine_pause"]
    voice = conversation.received[0].metadata["voice"]
    assert voice["doubted_red_flag"] is True and voice["check_in"] == "hurts"
    assert "sounded like something hurts" in result.messages[0]["text"]


async def test_unclear_speech_pauses_a_running_hold_and_says_it_did_not_catch_it():
    # a robotic "ouch ouch ouch", as Whisper writes it
    conversation = FakeConversation([{"text": "Paused. Say resume when you're ready."}])
    recognizer = FakeRecognizer(**{COMMANDS: whisper("oh child child", COMMANDS, 0.3)})
    handler, _ = handler_with(recognizer, conversation, routine=True, nlu=FakeNlu())
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == OK and [m.text for m in conversation.received] == ["/routine_pause"]
    voice = conversation.received[0].metadata["voice"]
    assert voice["doubted_red_flag"] is False and voice["check_in"] == "unclear"
    check_in, paused = result.messages
    assert "didn't catch that" in check_in["text"] and "paused" in check_in["text"]
    assert "resume" in check_in["spoken"] and "Paused" in paused["text"]


@pytest.mark.parametrize(
    "mode, routine, said",
    [
        (HANDS_FREE, Routine("paused"), whisper("oh child child", COMMANDS, 0.3)),
        (HANDS_FREE, Routine(True), whisper("can you pass me the remote", COMMANDS, 0.8)),
        (HANDS_FREE, Routine(True), heard("oh child child", COMMANDS, 0.3)),  # pocketsphinx
        (QUESTION, Routine(True), whisper("oh child child", COMMANDS, 0.3)),
        (BARGE_IN_MODE, Routine(True), whisper("it stings", BARGE_IN, 0.3)),
    ],
    ids=["paused", "clear-chatter", "no-unclear-bar", "push-to-talk", "over-the-coach"],
)
async def test_unclear_speech_leaves_the_routine_alone_unless_a_hold_runs_hands_free(
    mode: str, routine: Routine, said: Recognition
):
    nlu = FakeNlu(can_you_pass_me_the_remote="out_of_scope")
    recognizer = FakeRecognizer(**{said.model: said})
    handler, conversation = handler_with(recognizer, routine=routine, nlu=nlu)
    result = await handler.handle(request(mode=mode))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_the_coachs_own_pain_words_heard_back_do_not_pause_it():
    recognizer = FakeRecognizer(**{COMMANDS: whisper("tell me if anything hurts", COMMANDS, 0.5)})
    handler, conversation = handler_with(recognizer, routine=True, nlu=FakeNlu())
    handler.services.echo.add(SENDER, "Tell me if anything hurts.")
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


@pytest.mark.parametrize(
    "written",
    ["my leg just gave out", "my leg won't move", "my toes went um", "my foot's gone now"],
)
async def test_a_red_flag_the_screen_finds_or_numb_as_whisper_ends_it_pauses_a_running_hold(
    written: str,
):
    # clearly written, but read as no routine talk: the safety screen's own
    # patterns, and "numb" as Whisper writes it at the end of a report
    nlu = FakeNlu(**{written: "nlu_fallback"})
    conversation = FakeConversation([{"text": "Paused. Say resume when you're ready."}])
    recognizer = FakeRecognizer(**{COMMANDS: whisper(written, COMMANDS, 0.75)})
    handler, _ = handler_with(recognizer, conversation, routine=True, nlu=nlu)
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == OK and [m.text for m in conversation.received] == ["/routine_pause"]
    assert conversation.received[0].metadata["voice"]["check_in"] == "hurts"


async def test_clear_chatter_with_no_red_flag_in_it_still_leaves_the_hold_alone():
    written = "my leg day went well"
    nlu = FakeNlu(my_leg_day_went_well="nlu_fallback")
    recognizer = FakeRecognizer(**{COMMANDS: whisper(written, COMMANDS, 0.75)})
    handler, conversation = handler_with(recognizer, routine=True, nlu=nlu)
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
