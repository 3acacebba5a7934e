"""The voice channel's logic (channels/voice.py), apart from HTTP and pocketsphinx.

``VoiceHandler`` gets a fake recogniser (answers per language model, records
what it was asked) and a fake conversation (records the ``UserMessage`` and
answers on its output channel); decoding the upload is real. Which models are
tried and what is acted upon: tests/test_voice_listening.py; the request's
parts: tests/test_voice_request.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.channels.channel import UserMessage

from channels.guard import AUDIO_ROUTE, reply_even_on_failure
from channels.voice import (
    HTTP_STATUS,
    MISSING_AUDIO,
    NOT_SIGNED_IN,
    NOT_UNDERSTOOD,
    OK,
    RECOGNIZER_UNAVAILABLE,
    SLOW_DOWN,
    STATUS_MESSAGE,
    VoiceHandler,
    VoiceOutputChannel,
)
from channels.voice_request import VoiceRequest
from coach.services import Services
from coach.sessions import LiveSessions
from coach.settings import Settings
from coach.speech.asr.audio_input import (
    MAX_SECONDS,
    MAX_UPLOAD_BYTES,
    NO_SPEECH,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    UNSUPPORTED_TYPE,
)
from coach.speech.asr.base import RecognitionError
from coach.speech.echo import RecentSpeech
from coach.speech.listening import BARGE_IN_MODE, HANDS_FREE, QUESTION
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from coach.speech.thresholds import MIN_CONFIDENCE
from coach.speech.tts.cache import AudioCache
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.service import SpeechService
from tests.support.voice_handler import (
    SENDER,
    SILENCE,
    SPEECH,
    FakeConversation,
    FakeNlu,
    FakeRecognizer,
    Routine,
    handler_with,
    heard,
    nothing,
    quiet,
    request,
    unsure,
    wav,
)


@pytest.fixture
def speaking(tmp_path: Path) -> Services:
    """Services that speak with the offline voice into ``tmp_path``."""
    speech = SpeechService(EspeakSynthesizer(), AudioCache(tmp_path))
    return Services(Settings(speech_enabled=True, audio_dir=tmp_path), speech=speech)


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
        SLOW_DOWN: 429,
        NOT_SIGNED_IN: 401,
    }
    assert set(STATUS_MESSAGE) == set(HTTP_STATUS) - {OK}


async def test_the_too_long_message_names_the_cap():
    handler, _ = handler_with(FakeRecognizer())
    result = await handler.handle(request(audio=wav(MAX_SECONDS + 1, rate=8000)))
    assert f"under {int(MAX_SECONDS)} seconds" in result.messages[0]["text"]
    assert "{" not in result.messages[0]["text"]


async def test_a_refusal_comes_with_audio(speaking: Services, tmp_path: Path):
    handler, _ = handler_with(FakeRecognizer(), services=speaking)
    result = await handler.handle(request(audio=SILENCE))
    [message] = result.messages
    assert message["audio_url"].startswith(AUDIO_ROUTE)
    audio = tmp_path / message["audio_url"].rsplit("/", 1)[1]
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


async def test_the_result_says_where_its_time_went_by_stage():
    said = "what should i feel"
    recognizer = FakeRecognizer(
        **{COMMANDS: unsure(said, COMMANDS), QUESTIONS: heard(said, QUESTIONS)}
    )
    nlu = FakeNlu(**{said.replace(" ", "_"): "ask_what_to_feel"})
    handler, _ = handler_with(recognizer, routine=True, nlu=nlu)
    result = await handler.handle(request(mode=QUESTION))
    assert result.status == OK
    timings = result.timings
    # push-to-talk in a routine: the command model, then the closed list, then
    # every sentence; each recognition its own stage
    assert recognizer.models == [COMMANDS, BARGE_IN, QUESTIONS]
    for stage in ("decode", "status", "asr_commands", "asr_barge_in", "asr_questions"):
        assert timings.count(stage) == 1, stage
    # a question is read by the conversation itself, not before
    assert (timings.count("nlu"), timings.count("conversation")) == (0, 1)
    parts = sum(s for name, s in timings.stages().items() if name != "total")
    assert timings.seconds("total") >= parts > 0
    assert "total;dur=" in timings.header()


async def test_a_refusal_says_where_its_time_went_too():
    handler, _ = handler_with(FakeRecognizer())
    result = await handler.handle(request(audio=SILENCE))
    assert result.status == NO_SPEECH
    assert set(result.timings.stages()) == {"decode", "total"}


async def test_a_conversation_that_fails_still_answers_through_the_guard():
    async def crashes(message: UserMessage) -> None:
        raise RuntimeError("the action server is down")

    recognizer = FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)})
    services = quiet()
    handler = VoiceHandler(
        reply_even_on_failure(crashes, services), recognizer, Routine(False), services
    )
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
        crashes, FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)}), Routine(False), quiet()
    )
    with pytest.raises(RuntimeError):
        await handler.handle(request())
    [channel] = conversation.channels
    assert isinstance(channel, VoiceOutputChannel) and not channel.collecting


# --- replies after the response: socket.io ----------------------------------------------------


@pytest.fixture
def sessions() -> LiveSessions:
    """Live sessions connected to a fake socket.io transport (``sent``)."""
    live = LiveSessions()
    live.sent = []  # type: ignore[attr-defined]

    async def push(session_id: str, message: Dict[str, Any]) -> None:
        live.sent.append((session_id, message))  # type: ignore[attr-defined]

    live.connect(push)
    return live


@pytest.fixture
def socketio_sent(sessions: LiveSessions) -> List[Tuple[str, Dict[str, Any]]]:
    return sessions.sent  # type: ignore[attr-defined]


async def test_the_output_channel_collects_then_forwards(sessions, socketio_sent):
    output = VoiceOutputChannel(sessions)
    assert output.name() == "voice" and output.collecting
    await output.send_response(SENDER, {"text": "Hold for 30 seconds."})
    assert output.messages == [{"recipient_id": SENDER, "text": "Hold for 30 seconds."}]
    assert socketio_sent == []
    output.detach()
    await output.send_response(SENDER, {"text": "Halfway."})
    assert output.messages == [{"recipient_id": SENDER, "text": "Hold for 30 seconds."}]
    assert socketio_sent == [(SENDER, {"recipient_id": SENDER, "text": "Halfway."})]


async def test_later_replies_of_a_voice_message_go_to_its_session(sessions, socketio_sent):
    conversation = FakeConversation([{"text": "Let's start."}])
    recognizer = FakeRecognizer(**{QUESTIONS: heard("guide me through a stretch", QUESTIONS)})
    services = quiet(sessions=sessions)
    handler = VoiceHandler(
        reply_even_on_failure(conversation, services), recognizer, Routine(False), services
    )
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
    # no socket.io channel is connected: the live sessions say so
    output = VoiceOutputChannel(LiveSessions())
    output.detach()
    await output.send_response(SENDER, {"text": "Halfway."})
    assert output.messages == []


# --- the echo guard -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [HANDS_FREE, BARGE_IN_MODE])
async def test_the_coachs_own_words_heard_back_are_not_acted_upon(mode: str):
    recent = RecentSpeech()
    recent.add(SENDER, "Hold for 30 seconds.")
    model = BARGE_IN if mode == BARGE_IN_MODE else COMMANDS
    recognizer = FakeRecognizer(**{model: heard("hold for 30 seconds", model)})
    conversation = FakeConversation()
    handler = VoiceHandler(conversation, recognizer, Routine(True), quiet(echo=recent))
    result = await handler.handle(request(mode=mode))
    assert result.status == NOT_UNDERSTOOD and conversation.received == []
    assert "own voice" in (result.detail or "")


async def test_the_coachs_words_said_by_a_person_after_it_fell_silent_are_acted_upon():
    recent = RecentSpeech()
    recent.add(SENDER, "Hold for 30 seconds.", now=time.monotonic() - 10)  # heard for ~4 s
    recognizer = FakeRecognizer(**{COMMANDS: heard("hold for 30 seconds", COMMANDS)})
    conversation = FakeConversation()
    handler = VoiceHandler(conversation, recognizer, Routine(True), quiet(echo=recent))
    result = await handler.handle(request(mode=HANDS_FREE))
    assert result.status == OK and conversation.received[0].text == "hold for 30 seconds"


async def test_push_to_talk_is_never_taken_for_an_echo():
    # the widget stops the coach before it records a question
    recent = RecentSpeech()
    recent.add(SENDER, "Hold for 30 seconds.")
    recognizer = FakeRecognizer(**{COMMANDS: heard("hold for 30 seconds", COMMANDS)})
    conversation = FakeConversation()
    handler = VoiceHandler(conversation, recognizer, Routine(True), quiet(echo=recent))
    result = await handler.handle(request(mode=QUESTION))
    assert result.status == OK and conversation.received[0].text == "hold for 30 seconds"


async def test_what_the_coach_says_is_remembered_for_the_echo_guard():
    recent = RecentSpeech()
    services = quiet(echo=recent)
    conversation = FakeConversation(
        replies=[{"text": "**Halfway** there.", "spoken": "Halfway there now."}]
    )
    handler = VoiceHandler(
        reply_even_on_failure(conversation, services),
        FakeRecognizer(**{QUESTIONS: heard("hello", QUESTIONS)}),
        Routine(False),
        services,
    )
    await handler.handle(request(sender="echo-check"))
    assert "Halfway there now." in recent.recent("echo-check")
