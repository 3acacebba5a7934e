"""Channels: replies go out whole and spoken, and a failure never means silence."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.guard import AUDIO_ROUTE, CoachOutputChannel, plain_text, reply_even_on_failure
from coach.speech.tts.service import (
    AudioCache,
    EspeakSynthesizer,
    SpeechService,
    set_speech_service,
)


@pytest.fixture
def audio_cache(tmp_path: Path) -> Iterator[Path]:
    # the real offline voice into a temporary cache: no network, real files
    set_speech_service(SpeechService(EspeakSynthesizer(), AudioCache(tmp_path)))
    yield tmp_path
    set_speech_service(None)


def sent(message: Dict[str, Any]) -> List[Dict[str, Any]]:
    collector = CollectingOutputChannel()
    asyncio.run(CoachOutputChannel(collector).send_response("me", message))
    return collector.messages


def test_a_reply_goes_out_whole_with_its_spoken_form_and_audio(audio_cache: Path):
    [message] = sent(
        {
            "text": "**Hold** it.\n\nThen release.",
            "spoken": "Hold it, then release.",
            "buttons": [{"title": "More", "payload": "/ask_more_detail"}],
            "routine": {"status": "running"},
        }
    )
    assert message["text"] == "**Hold** it.\n\nThen release."
    assert message["spoken"] == "Hold it, then release."
    assert message["buttons"] == [{"title": "More", "payload": "/ask_more_detail"}]
    assert message["routine"] == {"status": "running"}
    assert message["audio_url"].startswith(AUDIO_ROUTE)
    audio = audio_cache / message["audio_url"].rsplit("/", 1)[1]
    assert audio.read_bytes()[:4] == b"RIFF"


def test_a_domain_response_is_spoken_from_its_text(audio_cache: Path):
    [message] = sent({"text": "Hi! I'm your **psoas** coach."})
    assert message["spoken"] == "Hi! I'm your psoas coach."
    assert message["audio_url"]


def test_speech_can_be_switched_off(audio_cache: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PSOAS_SPEECH", "off")
    [message] = sent({"text": "Hello", "spoken": "Hello"})
    assert "audio_url" not in message
    assert not list(audio_cache.iterdir())


def test_a_dead_voice_only_means_no_audio(tmp_path: Path):
    set_speech_service(
        SpeechService(EspeakSynthesizer(binary="no-such-espeak"), AudioCache(tmp_path))
    )
    try:
        [message] = sent({"text": "Hello", "spoken": "Hello"})
    finally:
        set_speech_service(None)
    assert message["text"] == "Hello"
    assert "audio_url" not in message


def test_plain_text_reads_markdown_aloud():
    assert plain_text("1. **Lie** on your _back_.\n- Breathe") == "Lie on your back. Breathe"


def run_guarded(handler: Any, text: str = "hello") -> List[Dict[str, Any]]:
    collector = CollectingOutputChannel()

    async def go() -> None:
        await reply_even_on_failure(handler)(UserMessage(text, collector, "me"))

    asyncio.run(go())
    return collector.messages


async def _crashes(message: UserMessage) -> None:
    raise RuntimeError("action server exploded")


async def _says_nothing(message: UserMessage) -> None:
    return None


async def _answers(message: UserMessage) -> None:
    await message.output_channel.send_response("me", {"text": "An answer."})


@pytest.mark.usefixtures("audio_cache")
def test_a_crash_or_silence_gets_a_clear_reply():
    for handler in (_crashes, _says_nothing):
        [message] = run_guarded(handler)
        assert "something went wrong" in message["text"]


@pytest.mark.usefixtures("audio_cache")
def test_an_answer_is_not_followed_by_an_apology():
    assert [m["text"] for m in run_guarded(_answers)] == ["An answer."]


@pytest.mark.usefixtures("audio_cache")
def test_a_client_event_may_get_no_reply():
    assert run_guarded(_says_nothing, '/EXTERNAL_routine_cue{"cue": "reconnect"}') == []
