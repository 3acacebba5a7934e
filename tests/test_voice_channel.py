"""The voice channel's logic (channels/voice.py), apart from HTTP and pocketsphinx.

``VoiceHandler`` gets a fake recogniser (answers per language model, records
what it was asked) and a fake conversation (records the ``UserMessage`` and
answers on its output channel); decoding the upload is real.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import numpy as np
import pytest
from rasa.core.channels.channel import OutputChannel, UserMessage

from channels import voice
from channels.guard import AUDIO_ROUTE, reply_even_on_failure
from channels.voice import (
    BARGE_IN_MODE,
    HANDS_FREE,
    HTTP_STATUS,
    MAX_SENDER_LENGTH,
    MISSING_AUDIO,
    NOT_UNDERSTOOD,
    OK,
    QUESTION,
    RECOGNIZER_UNAVAILABLE,
    SAFETY_INTENT,
    SAFETY_MIN_CONFIDENCE,
    STATUS_MESSAGE,
    VoiceHandler,
    VoiceOutputChannel,
    VoiceRequest,
    VoiceResult,
    clean_mode,
    clean_sender,
    parse_request,
    read_body,
    routine_status,
)
from coach.routine.machine import RoutineState, Status
from coach.speech.asr.audio_input import (
    MAX_SECONDS,
    MAX_UPLOAD_BYTES,
    NO_SPEECH,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    UNSUPPORTED_TYPE,
    AudioProblem,
)
from coach.speech.asr.service import (
    BARGE_IN,
    COMMANDS,
    MIN_CONFIDENCE,
    QUESTIONS,
    Recognition,
    RecognitionError,
)
from coach.speech.echo import RecentSpeech, recent_speech
from coach.speech.tts.service import (
    AudioCache,
    EspeakSynthesizer,
    SpeechService,
    set_speech_service,
)

SENDER = "conversation-1"


@pytest.fixture(autouse=True)
def no_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    # no synthesis in these tests unless a test asks for the offline voice
    monkeypatch.setenv("PSOAS_SPEECH", "off")


@pytest.fixture
def audio_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PSOAS_SPEECH", "on")
    set_speech_service(SpeechService(EspeakSynthesizer(), AudioCache(tmp_path)))
    yield tmp_path
    set_speech_service(None)


# --- recordings ----------------------------------------------------------------------


def wav(seconds: float = 1.0, rate: int = 16000, level: float = 0.3) -> bytes:
    """A tone: loud enough not to be silence (the fake recogniser decides the words)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (level * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


SPEECH = wav()
SILENCE = wav(level=0.0)


# --- fakes -----------------------------------------------------------------------------


def heard(text: str, model: str, confidence: float = 0.95) -> Recognition:
    return Recognition(text, confidence, model, 1.0)


def unsure(text: str, model: str) -> Recognition:
    return Recognition(text, MIN_CONFIDENCE[model] / 3, model, 1.0)


def nothing(model: str) -> Recognition:
    return Recognition("", 0.0, model, 0.0)


class FakeRecognizer:
    """Answers per model; ``models`` lists what it was asked, in order."""

    def __init__(self, **answers: Recognition | Exception) -> None:
        self.answers = answers
        self.models: List[str] = []
        self.sizes: List[int] = []

    async def __call__(self, samples: bytes, model: str) -> Recognition:
        self.models.append(model)
        self.sizes.append(len(samples))
        answer = self.answers.get(model, nothing(model))
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeConversation:
    """Rasa's message handler: records the message, answers on its output channel."""

    def __init__(self, replies: Sequence[Dict[str, Any]] = ({"text": "An answer."},)) -> None:
        self.replies = list(replies)
        self.received: List[UserMessage] = []
        self.channels: List[OutputChannel] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        assert message.output_channel is not None
        self.channels.append(message.output_channel)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id or "", dict(reply))


class Routine:
    """``routine_status``: "running" (True), "idle" (False) or the status given;
    records whom it was asked about."""

    def __init__(self, status: bool | str) -> None:
        self.status = status if isinstance(status, str) else ("running" if status else "idle")
        self.asked: List[str] = []

    async def __call__(self, sender: str) -> str:
        self.asked.append(sender)
        return self.status


class FakeNlu:
    """``read_intent``: the intent per transcript (None for the rest: the NLU
    could not say); ``read`` lists what it was asked."""

    def __init__(self, **intents: str) -> None:
        self.intents = {text.replace("_", " "): intent for text, intent in intents.items()}
        self.read: List[str] = []

    async def __call__(self, text: str) -> str | None:
        self.read.append(text)
        return self.intents.get(text)


def handler_with(
    recognizer: FakeRecognizer,
    conversation: FakeConversation | None = None,
    routine: bool | Routine = False,
    nlu: FakeNlu | None = None,
) -> Tuple[VoiceHandler, FakeConversation]:
    conversation = conversation or FakeConversation()
    active = routine if isinstance(routine, Routine) else Routine(routine)
    handler = VoiceHandler(
        conversation, recognizer, active, RecentSpeech(), read_intent=nlu or FakeNlu()
    )
    return handler, conversation


def request(
    audio: bytes | None = SPEECH,
    mode: str = QUESTION,
    audio_type: str | None = "audio/wav",
    sender: str = SENDER,
) -> VoiceRequest:
    return VoiceRequest(sender=sender, mode=mode, audio=audio, audio_type=audio_type)


# --- statuses ----------------------------------------------------------------------------

REFUSALS = [
    # (status, request, recogniser answers)
    (MISSING_AUDIO, request(audio=None), {}),
    (MISSING_AUDIO, request(audio=b""), {}),
    (TOO_LARGE, request(audio=b"RIFF" + bytes(MAX_UPLOAD_BYTES)), {}),
    (TOO_LONG, request(audio=wav(MAX_SECONDS + 1, rate=8000)), {}),
    (UNSUPPORTED_TYPE, request(audio_type="text/html"), {}),
    (UNSUPPORTED_TYPE, request(audio_type="application/json"), {}),
    (UNREADABLE, request(audio=os.urandom(5000)), {}),
    (UNREADABLE, request(audio=b'{"message": "hello"}', audio_type=None), {}),
    (UNREADABLE, request(audio=SPEECH[:30]), {}),
    (NO_SPEECH, request(audio=SILENCE), {}),  # silent: the recogniser is not even asked
    (NO_SPEECH, request(), {QUESTIONS: nothing(QUESTIONS)}),
    (NOT_UNDERSTOOD, request(), {QUESTIONS: unsure("what is the weather", QUESTIONS)}),
    (RECOGNIZER_UNAVAILABLE, request(), {QUESTIONS: RecognitionError("worker died")}),
]


@pytest.mark.parametrize(
    ("status", "voice_request", "answers"),
    REFUSALS,
    ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSALS)],
)
async def test_a_refusal_says_so_and_reaches_no_conversation(
    status: str, voice_request: VoiceRequest, answers: Dict[str, Any]
):
    handler, conversation = handler_with(FakeRecognizer(**answers))
    result = await handler.handle(voice_request)
    assert result.status == status
    assert result.http_status == HTTP_STATUS[status]
    assert conversation.received == []  # nothing reached the conversation
    assert result.transcript == ""
    [message] = result.messages  # exactly one message
    assert set(message) == {"text", "spoken"}  # speech is off in this test
    if status == RECOGNIZER_UNAVAILABLE:
        assert message["text"].startswith("Sorry, I can't listen right now")
    else:
        assert message["text"].startswith("I didn't catch that")
        assert message["spoken"].startswith("I didn't catch that")
    body = result.body()
    assert body["status"] == status and body["recipient_id"] == SENDER
    assert body["messages"] == result.messages and body["detail"]


def test_every_status_has_its_http_code_and_message():
    assert HTTP_STATUS == {
        OK: 200,
        NO_SPEECH: 200,
        NOT_UNDERSTOOD: 200,
        MISSING_AUDIO: 400,
        TOO_LARGE: 413,
        TOO_LONG: 413,
        UNSUPPORTED_TYPE: 415,
        UNREADABLE: 422,
        RECOGNIZER_UNAVAILABLE: 503,
    }
    assert set(STATUS_MESSAGE) == set(HTTP_STATUS) - {OK}


async def test_the_too_long_message_names_the_cap():
    handler, _ = handler_with(FakeRecognizer())
    result = await handler.handle(request(audio=wav(MAX_SECONDS + 1, rate=8000)))
    assert f"under {int(MAX_SECONDS)} seconds" in result.messages[0]["text"]
    assert "{" not in result.messages[0]["text"]


async def test_a_refusal_comes_with_audio(audio_cache: Path):
    handler, _ = handler_with(FakeRecognizer())
    result = await handler.handle(request(audio=SILENCE))
    [message] = result.messages
    assert message["audio_url"].startswith(AUDIO_ROUTE)
    audio = audio_cache / message["audio_url"].rsplit("/", 1)[1]
    assert audio.read_bytes()[:4] == b"RIFF"


async def test_refusals_that_heard_something_say_what_and_how_sure():
    handler, _ = handler_with(
        FakeRecognizer(**{QUESTIONS: unsure("what is the weather", QUESTIONS)})
    )
    result = await handler.handle(request())
    body = result.body()
    assert body["transcript"] == ""  # nothing was acted upon
    assert body["model"] == QUESTIONS
    assert body["confidence"] == pytest.approx(MIN_CONFIDENCE[QUESTIONS] / 3)
    assert "not sure" in body["detail"]
    # a refusal before recognition has no model or confidence
    handler, _ = handler_with(FakeRecognizer())
    body = (await handler.handle(request(audio=None))).body()
    assert body["model"] is None and body["confidence"] is None


# --- accepted ---------------------------------------------------------------------------


async def test_an_accepted_question_reaches_the_conversation_with_its_metadata():
    recognizer = FakeRecognizer(**{QUESTIONS: heard("how do i stretch my psoas", QUESTIONS)})
    conversation = FakeConversation([{"text": "Lie on your back."}, {"text": "Then hold."}])
    handler, _ = handler_with(recognizer, conversation)
    result = await handler.handle(request())
    assert (result.status, result.http_status) == (OK, 200)
    [message] = conversation.received
    assert message.text == "how do i stretch my psoas"
    assert message.sender_id == SENDER
    assert message.input_channel == "voice"
    assert message.metadata == {"voice": {"confidence": 0.95, "model": QUESTIONS, "mode": QUESTION}}
    # the replies, without Rasa's recipient_id, in the response
    assert result.messages == [{"text": "Lie on your back."}, {"text": "Then hold."}]
    body = result.body()
    assert body["transcript"] == "how do i stretch my psoas"
    assert (body["confidence"], body["model"], body["recipient_id"]) == (0.95, QUESTIONS, SENDER)
    assert "detail" not in body
    # the recogniser got 16 kHz mono 16-bit PCM: one second of it
    assert recognizer.sizes == [32000]


async def test_a_conversation_that_fails_still_answers_through_the_guard():
    async def crashes(message: UserMessage) -> None:
        raise RuntimeError("the action server is down")

    recognizer = FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)})
    handler = VoiceHandler(reply_even_on_failure(crashes), recognizer, Routine(False))
    result = await handler.handle(request())
    assert result.status == OK
    [message] = result.messages
    assert "something went wrong" in message["text"]


async def test_the_output_channel_is_detached_even_when_the_conversation_raises():
    conversation = FakeConversation()

    async def crashes(message: UserMessage) -> None:
        await conversation(message)
        raise RuntimeError("boom")

    handler = VoiceHandler(
        crashes, FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)}), Routine(False)
    )
    with pytest.raises(RuntimeError):
        await handler.handle(request())
    [channel] = conversation.channels
    assert isinstance(channel, VoiceOutputChannel) and not channel.collecting


# --- which language models, when ------------------------------------------------------------


async def run_plan(
    mode: str, routine: bool, nlu: FakeNlu | None = None, /, **answers: Recognition | Exception
) -> Tuple[VoiceResult, List[str], FakeConversation, Routine]:
    recognizer = FakeRecognizer(**answers)
    active = Routine(routine)
    handler, conversation = handler_with(recognizer, routine=active, nlu=nlu)
    result = await handler.handle(request(mode=mode))
    return result, recognizer.models, conversation, active


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
DOUBTED = (SAFETY_MIN_CONFIDENCE + MIN_CONFIDENCE[COMMANDS]) / 2


@pytest.mark.parametrize("mode", [HANDS_FREE, QUESTION])
async def test_a_doubted_red_flag_mid_routine_pauses_and_checks_in(mode: str):
    # "ouch that hurts" is heard word for word, but short sentences get low
    # confidence: a person in pain must not hear "I didn't catch that" while the
    # hold goes on; chatter misheard as pain must not end the routine either
    nlu = FakeNlu(ouch_that_hurts=SAFETY_INTENT)
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
    nlu = FakeNlu(ouch_that_hurts=SAFETY_INTENT)
    recognizer = FakeRecognizer(**{COMMANDS: heard("ouch that hurts", COMMANDS, DOUBTED)})
    handler, conversation = handler_with(recognizer, routine=Routine("paused"), nlu=nlu)
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    # a sure one still goes through
    recognizer.answers[COMMANDS] = heard("ouch that hurts", COMMANDS)
    assert (await handler.handle(request(mode=HANDS_FREE))).status == OK


async def test_a_sure_red_flag_mid_routine_goes_to_the_conversation_as_said():
    nlu = FakeNlu(ouch_that_hurts=SAFETY_INTENT)
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
    nlu = FakeNlu(my_leg_is_numb=SAFETY_INTENT)
    low = SAFETY_MIN_CONFIDENCE - 0.05
    result, _, conversation, _ = await run_plan(
        HANDS_FREE, True, nlu, **{COMMANDS: heard("my leg is numb", COMMANDS, low)}
    )
    assert result.status == NOT_UNDERSTOOD and conversation.received == []


async def test_the_lower_bar_is_for_routines_only():
    # without a routine nothing goes on while the person repeats themselves, and
    # over the coach's voice only the closed barge-in list counts
    nlu = FakeNlu(my_leg_is_numb=SAFETY_INTENT)
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


# --- replies after the response: socket.io ----------------------------------------------------


@pytest.fixture
def socketio_sent(monkeypatch: pytest.MonkeyPatch) -> List[Tuple[str, Dict[str, Any]]]:
    sent: List[Tuple[str, Dict[str, Any]]] = []

    async def send_to_session(session_id: str, message: Dict[str, Any]) -> bool:
        sent.append((session_id, message))
        return True

    monkeypatch.setattr(voice, "send_to_session", send_to_session)
    return sent


async def test_the_output_channel_collects_then_forwards(socketio_sent):
    output = VoiceOutputChannel()
    assert output.name() == "voice" and output.collecting
    await output.send_response(SENDER, {"text": "Hold for 30 seconds."})
    assert output.messages == [{"recipient_id": SENDER, "text": "Hold for 30 seconds."}]
    assert socketio_sent == []
    output.detach()
    await output.send_response(SENDER, {"text": "Halfway."})
    assert output.messages == [{"recipient_id": SENDER, "text": "Hold for 30 seconds."}]
    assert socketio_sent == [(SENDER, {"recipient_id": SENDER, "text": "Halfway."})]


async def test_later_replies_of_a_voice_message_go_to_its_session(socketio_sent):
    conversation = FakeConversation([{"text": "Let's start."}])
    recognizer = FakeRecognizer(**{QUESTIONS: heard("guide me through a stretch", QUESTIONS)})
    handler = VoiceHandler(reply_even_on_failure(conversation), recognizer, Routine(False))
    result = await handler.handle(request())
    assert [m["text"] for m in result.messages] == ["Let's start."]
    assert socketio_sent == []
    # a reminder fires later on the same output channel (as Rasa's do)
    [channel] = conversation.channels
    cue = {"text": "Halfway.", "spoken": "Halfway.", "routine": {"status": "running"}}
    await channel.send_response(SENDER, cue)
    [(session, message)] = socketio_sent
    assert session == SENDER
    assert message == {"recipient_id": SENDER, **cue}  # whole, with its routine
    assert [m["text"] for m in result.messages] == ["Let's start."]  # the response is done


async def test_a_later_reply_without_a_session_is_dropped_quietly():
    # no socket.io channel is running in this process: send_to_session says so
    output = VoiceOutputChannel()
    output.detach()
    await output.send_response(SENDER, {"text": "Halfway."})
    assert output.messages == []


# --- request parts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("abc", "abc"),
        ("  abc  ", "abc"),
        (42, "42"),
        ("x" * 500, "x" * MAX_SENDER_LENGTH),
    ],
)
def test_clean_sender_keeps_a_given_id(given: Any, expected: str):
    assert clean_sender(given) == expected


@pytest.mark.parametrize("given", [None, "", "   ", "\n\t", ["abc"], {"id": 1}, 1.5])
def test_clean_sender_gives_a_fresh_id_otherwise(given: Any):
    first, second = clean_sender(given), clean_sender(given)
    assert first.startswith("anonymous-") and second.startswith("anonymous-")
    assert first != second  # never shared between requests
    assert len(first) <= MAX_SENDER_LENGTH


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("question", QUESTION),
        ("hands_free", HANDS_FREE),
        ("hands-free", HANDS_FREE),
        (" Hands-Free ", HANDS_FREE),
        ("BARGE_IN", BARGE_IN_MODE),
        ("barge-in", BARGE_IN_MODE),
        (None, QUESTION),
        ("", QUESTION),
        ("shout", QUESTION),
        (3, QUESTION),
    ],
)
def test_clean_mode(given: Any, expected: str):
    assert clean_mode(given) == expected


def fake_request(
    content_type: str,
    form: Dict[str, str] | None = None,
    files: Dict[str, Any] | None = None,
    args: Dict[str, str] | None = None,
    body: bytes = b"",
) -> Any:
    return SimpleNamespace(
        headers={"content-type": content_type},
        form=form or {},
        files=files or {},
        args=args or {},
        body=body,
    )


def test_parse_a_multipart_request():
    upload = SimpleNamespace(body=SPEECH, type="audio/wav", name="a.wav")
    parsed = parse_request(
        fake_request(
            "multipart/form-data; boundary=x",
            form={"sender": " me ", "mode": "hands-free"},
            files={"audio": upload},
        )
    )
    assert parsed == VoiceRequest("me", HANDS_FREE, SPEECH, "audio/wav")


def test_parse_a_multipart_request_without_audio_or_sender():
    parsed = parse_request(fake_request("multipart/form-data; boundary=x"))
    assert parsed.audio is None and parsed.mode == QUESTION
    assert parsed.sender.startswith("anonymous-")


def test_an_audio_field_that_is_not_a_file_is_unsupported():
    with pytest.raises(AudioProblem) as refused:
        parse_request(fake_request("multipart/form-data; boundary=x", form={"audio": "UklGRg=="}))
    assert refused.value.status == UNSUPPORTED_TYPE


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"],
)
def test_a_text_body_is_unsupported(content_type: str):
    with pytest.raises(AudioProblem) as refused:
        parse_request(fake_request(content_type, body=b'{"message": "hi"}'))
    assert refused.value.status == UNSUPPORTED_TYPE


def test_parse_a_raw_audio_body():
    parsed = parse_request(
        fake_request("audio/wav", args={"sender": "me", "mode": "barge_in"}, body=SPEECH)
    )
    assert parsed == VoiceRequest("me", BARGE_IN_MODE, SPEECH, "audio/wav")
    empty = parse_request(fake_request("audio/wav"))
    assert empty.audio is None and empty.sender.startswith("anonymous-")


class FakeStream:
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    async def read(self) -> bytes | None:
        self.reads += 1
        return self.chunks.pop(0) if self.chunks else None


def streamed(chunks: List[bytes], length: int | None = None) -> Any:
    headers = {} if length is None else {"content-length": str(length)}
    return SimpleNamespace(headers=headers, body=b"", stream=FakeStream(chunks))


async def test_read_body_reads_the_stream():
    assert await read_body(streamed([b"ab", b"cd"])) == b"abcd"
    already = SimpleNamespace(headers={}, body=b"whole", stream=None)
    assert await read_body(already) == b"whole"


async def test_read_body_refuses_a_declared_oversize_without_reading():
    request = streamed([b"x"], length=MAX_UPLOAD_BYTES * 2)
    with pytest.raises(AudioProblem) as refused:
        await read_body(request)
    assert refused.value.status == TOO_LARGE
    assert request.stream.reads == 0


async def test_read_body_stops_reading_as_soon_as_the_cap_is_passed():
    chunk = bytes(1024 * 1024)
    request = streamed([chunk] * 20)  # 20 MB, undeclared
    with pytest.raises(AudioProblem) as refused:
        await read_body(request)
    assert refused.value.status == TOO_LARGE
    assert request.stream.reads <= MAX_UPLOAD_BYTES // len(chunk) + 2


def request_with_store(store: Any) -> Any:
    return SimpleNamespace(
        app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    )


class FakeStore:
    def __init__(self, slot: Any = None, fails: bool = False, missing: bool = False) -> None:
        self.slot, self.fails, self.missing = slot, fails, missing

    async def retrieve(self, sender: str) -> Any:
        if self.fails:
            raise RuntimeError("database locked")
        if self.missing:
            return None
        return SimpleNamespace(get_slot=lambda name: self.slot if name == "routine" else None)


def routine_slot(status: Status) -> Dict[str, Any]:
    return RoutineState(
        routine_id="knee_to_chest_stretch",
        status=status,
        hold_started_at=1.0 if status is Status.RUNNING else None,
        remaining_seconds=10.0 if status is Status.PAUSED else None,
        hold_seconds=30,
    ).to_dict()


async def test_routine_status_reads_the_conversation():
    for status in Status:
        store = FakeStore(routine_slot(status))
        assert await routine_status(request_with_store(store), "a") == status.value
    assert await routine_status(request_with_store(FakeStore(None)), "a") == "idle"
    assert await routine_status(request_with_store(FakeStore(missing=True)), "a") == "idle"
    assert await routine_status(request_with_store(FakeStore(fails=True)), "a") == "idle"
    no_agent = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace()))
    assert await routine_status(no_agent, "a") == "idle"


# --- the echo guard -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [HANDS_FREE, BARGE_IN_MODE])
async def test_the_coachs_own_words_heard_back_are_not_acted_upon(mode: str):
    recent = RecentSpeech()
    recent.add(SENDER, "Hold for 30 seconds.")
    model = BARGE_IN if mode == BARGE_IN_MODE else COMMANDS
    recognizer = FakeRecognizer(**{model: heard("hold for 30 seconds", model)})
    conversation = FakeConversation()
    handler = VoiceHandler(conversation, recognizer, Routine(True), recent)
    result = await handler.handle(request(mode=mode))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert "own voice" in (result.detail or "")


async def test_push_to_talk_is_never_taken_for_an_echo():
    # the widget stops the coach before it records a question
    recent = RecentSpeech()
    recent.add(SENDER, "Hold for 30 seconds.")
    recognizer = FakeRecognizer(**{COMMANDS: heard("hold for 30 seconds", COMMANDS)})
    conversation = FakeConversation()
    handler = VoiceHandler(conversation, recognizer, Routine(True), recent)
    result = await handler.handle(request(mode=QUESTION))
    assert result.status == OK and conversation.received[0].text == "hold for 30 seconds"


async def test_what_the_coach_says_is_remembered_for_the_echo_guard():
    recent = recent_speech
    conversation = FakeConversation(
        replies=[{"text": "**Halfway** there.", "spoken": "Halfway there now."}]
    )
    handler = VoiceHandler(
        reply_even_on_failure(conversation),
        FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)}),
        Routine(False),
    )
    await handler.handle(request(sender="echo-check"))
    assert "Halfway there now." in recent.recent("echo-check")
