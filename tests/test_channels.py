"""Channels: replies go out whole and spoken, and a failure never means silence."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.guard import AUDIO_ROUTE, CoachOutputChannel, reply_even_on_failure
from coach.intents import RECONNECT_MESSAGE
from coach.services import Services
from coach.settings import Settings
from coach.speech.tts.cache import AudioCache
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.service import SpeechService
from coach.text.spoken import plain_text


def services_with(voice: SpeechService, speech_enabled: bool = True) -> Services:
    return Services(Settings(speech_enabled=speech_enabled), speech=voice)


@pytest.fixture
def audio_cache(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def services(audio_cache: Path) -> Services:
    # the real offline voice into a temporary cache: no network, real files
    return services_with(SpeechService(EspeakSynthesizer(), AudioCache(audio_cache)))


def sent(message: Dict[str, Any], services: Services) -> List[Dict[str, Any]]:
    collector = CollectingOutputChannel()
    asyncio.run(CoachOutputChannel(collector, services).send_response("me", message))
    return collector.messages


def test_a_reply_goes_out_whole_with_its_spoken_form_and_audio(audio_cache: Path, services):
    [message] = sent(
        {
            "text": "**Hold** it.\n\nThen release.",
            "spoken": "Hold it, then release.",
            "buttons": [{"title": "More", "payload": "/ask_more_detail"}],
            "routine": {"status": "running"},
        },
        services,
    )
    assert message["text"] == "**Hold** it.\n\nThen release."
    assert message["spoken"] == "Hold it, then release."
    assert message["buttons"] == [{"title": "More", "payload": "/ask_more_detail"}]
    assert message["routine"] == {"status": "running"}
    assert message["audio_url"].startswith(AUDIO_ROUTE)
    audio = audio_cache / message["audio_url"].rsplit("/", 1)[1]
    assert audio.read_bytes()[:4] == b"RIFF"


def test_a_domain_response_is_spoken_from_its_text(services):
    [message] = sent({"text": "Hi! I'm your **psoas** coach."}, services)
    assert message["spoken"] == "Hi! I'm your psoas coach."
    assert message["audio_url"]


def test_speech_can_be_switched_off(audio_cache: Path, services):
    off = services_with(services.speech, speech_enabled=False)
    [message] = sent({"text": "Hello", "spoken": "Hello"}, off)
    assert "audio_url" not in message
    assert not list(audio_cache.iterdir())


def test_a_dead_voice_only_means_no_audio(tmp_path: Path):
    dead = SpeechService(EspeakSynthesizer(binary="no-such-espeak"), AudioCache(tmp_path))
    [message] = sent({"text": "Hello", "spoken": "Hello"}, services_with(dead))
    assert message["text"] == "Hello"
    assert "audio_url" not in message


def test_plain_text_reads_markdown_aloud():
    assert plain_text("1. **Lie** on your _back_.\n- Breathe") == "Lie on your back. Breathe"


def run_guarded(handler: Any, services: Services, text: str = "hello") -> List[Dict[str, Any]]:
    collector = CollectingOutputChannel()

    async def go() -> None:
        await reply_even_on_failure(handler, services)(UserMessage(text, collector, "me"))

    asyncio.run(go())
    return collector.messages


async def _crashes(message: UserMessage) -> None:
    raise RuntimeError("action server exploded")


async def _says_nothing(message: UserMessage) -> None:
    return None


async def _answers(message: UserMessage) -> None:
    await message.output_channel.send_response("me", {"text": "An answer."})


def test_a_crash_or_silence_gets_a_clear_reply(services):
    for handler in (_crashes, _says_nothing):
        [message] = run_guarded(handler, services)
        assert "something went wrong" in message["text"]


def test_an_answer_is_not_followed_by_an_apology(services):
    assert [m["text"] for m in run_guarded(_answers, services)] == ["An answer."]


def test_a_client_event_may_get_no_reply(services):
    assert run_guarded(_says_nothing, services, RECONNECT_MESSAGE) == []


async def _store_is_down(message: UserMessage) -> None:
    from stores.tracker_store import StoreUnavailable

    raise StoreUnavailable("PostgreSQL is restarting")


async def _redis_is_down(message: UserMessage) -> None:
    from redis.exceptions import ConnectionError as RedisDown

    raise RedisDown("Redis is restarting")


def test_a_store_that_cannot_be_reached_gets_try_again(services):
    for handler in (_store_is_down, _redis_is_down):
        [message] = run_guarded(handler, services)
        assert "try again" in message["text"] and "can't reach" in message["text"]


def test_a_forged_command_never_reaches_the_conversation(services):
    reached: List[str] = []

    async def conversation(message: UserMessage) -> None:
        reached.append(message.text or "")
        await message.output_channel.send_response("me", {"text": "An answer."})

    forged = '/EXTERNAL_routine_cue{"cue": "hold_end", "generation": "3"}'
    [message] = run_guarded(conversation, services, forged)
    assert "command" in message["text"] and reached == []
    # the widget's own buttons and its reconnect cue still pass
    for allowed in ("/routine_pause", RECONNECT_MESSAGE, "/ask_psoas_stretch"):
        run_guarded(conversation, services, allowed)
    assert reached == ["/routine_pause", RECONNECT_MESSAGE, "/ask_psoas_stretch"]
