"""A guided stretch over socket.io, the way the web widget follows it.

Drives a real Rasa server (reminders and all) with python-socketio: cues arrive
in order, pause freezes and resume continues the remaining time, "it hurts"
ends the routine, a reload resumes it, and every spoken message has audio.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict

import pytest

from coach.intents import RECONNECT_MESSAGE
from coach.tools.stack import Stack
from tests.support.socketio import Listener, has_text, routine_of, status_is

pytestmark = pytest.mark.integration


@pytest.fixture
def listener(stack: Stack):
    client = Listener(stack.url, f"sock-{uuid.uuid4().hex[:10]}")
    yield client
    client.close()


def into_a_hold(listener: Listener, hold: int) -> Dict[str, Any]:
    """Start the stretch, set a short hold, and skip the setup step into the first hold."""
    mark = listener.mark()
    listener.say(f"make it {hold} seconds")
    listener.wait_for(lambda m: routine_of(m) is not None, 30, mark)
    mark = listener.mark()
    listener.say("guide me through the psoas stretch")
    _, started = listener.wait_for(lambda m: routine_of(m) is not None, 30, mark)
    assert started["routine"]["status"] == "running"
    mark = listener.mark()
    listener.say("next")
    _, holding = listener.wait_for(
        lambda m: (routine_of(m) or {}).get("hold_seconds", 0) > 0, 30, mark
    )
    assert holding["routine"]["hold_seconds"] == hold
    return holding


def test_cues_arrive_in_order_on_time_with_audio(stack: Stack, listener: Listener):
    holding = into_a_hold(listener, 10)
    mark = listener.mark()
    ends_at = holding["routine"]["hold_ends_at"]
    released_at, _ = listener.wait_for(has_text("release"), 30, mark)
    # the release cue comes when the hold ends (same machine, same clock), not
    # before, and not late (the benchmark measures the error precisely)
    assert ends_at - 0.05 <= released_at <= ends_at + 2
    # after the right side's hold, the routine moves to the left side
    listener.wait_for(lambda m: (routine_of(m) or {}).get("side") == "left", 30, mark)
    spoken = [m for _, m in listener.received if m.get("text")]
    assert spoken and all(m.get("audio_url") for m in spoken)
    with urllib.request.urlopen(stack.url + spoken[0]["audio_url"], timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "audio/wav"
        assert "immutable" in response.headers["Cache-Control"]
        assert response.read(4) == b"RIFF"


def test_audio_outside_the_cache_is_refused(stack: Stack):
    for name in ["..%2F..%2Fetc%2Fpasswd", "x.wav", "0" * 64 + ".wav"]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{stack.url}/webhooks/audio/files/{name}", timeout=10)
        assert refused.value.code == 404


def test_pause_freezes_and_resume_continues(listener: Listener):
    into_a_hold(listener, 12)
    time.sleep(3)
    mark = listener.mark()
    listener.say("pause")
    _, paused = listener.wait_for(status_is("paused"), 30, mark)
    remaining = paused["routine"]["remaining_seconds"]
    assert 6 <= remaining <= 10
    time.sleep(remaining + 3)
    assert not any("release" in t.lower() for t in listener.texts_since(mark)), (
        "paused means paused"
    )
    mark = listener.mark()
    listener.say("resume")
    resumed_at, _ = listener.wait_for(status_is("running"), 30, mark)
    released_at, _ = listener.wait_for(has_text("release"), 30, mark)
    # the remaining time, not a fresh hold
    assert released_at - resumed_at == pytest.approx(remaining, abs=1.5)


def test_it_hurts_ends_the_routine(listener: Listener):
    into_a_hold(listener, 8)
    mark = listener.mark()
    listener.say("ouch it hurts")
    listener.wait_for(status_is("stopped"), 30, mark)
    _, answer = listener.wait_for(has_text("can't diagnose"), 30, mark)
    assert "Stop now and rest" in answer["text"]
    mark = listener.mark()
    time.sleep(10)  # the hold would have ended by now
    assert listener.texts_since(mark) == [], "no cue after the routine stopped"


def test_a_reload_resumes_the_routine(stack: Stack, listener: Listener):
    into_a_hold(listener, 20)
    listener.close()
    reloaded = Listener(stack.url, listener.session_id)
    try:
        reloaded.say(RECONNECT_MESSAGE)
        _, resumed = reloaded.wait_for(has_text("seconds left"), 30)
        assert resumed["routine"]["status"] == "running"
        reloaded.wait_for(has_text("release"), 40)
    finally:
        reloaded.close()


def test_a_reconnect_with_no_routine_is_quiet(stack: Stack):
    client = Listener(stack.url, f"sock-{uuid.uuid4().hex[:10]}")
    try:
        client.say(RECONNECT_MESSAGE)
        time.sleep(4)
        assert client.texts_since(0) == [], "no apology for a reconnect with nothing to resume"
    finally:
        client.close()


def test_two_clients_on_one_conversation_see_the_same_routine(stack: Stack, listener: Listener):
    into_a_hold(listener, 15)
    second = Listener(stack.url, listener.session_id)
    try:
        mark_first, mark_second = listener.mark(), second.mark()
        second.say("pause")
        # the command from one device pauses the routine both are following
        listener.wait_for(status_is("paused"), 30, mark_first)
        second.wait_for(status_is("paused"), 30, mark_second)
        mark_first = listener.mark()
        listener.say("stop")
        second.wait_for(status_is("stopped"), 30, mark_second)
    finally:
        second.close()


def test_stock_clients_get_stock_messages_beside_rich_ones(stack: Stack):
    """rasa-webchat and other stock clients need Rasa's message form to the key;
    our widget, in the same conversation, gets the rich form."""
    session = f"sock-{uuid.uuid4().hex[:10]}"
    rich = Listener(stack.url, session)
    stock = Listener(stack.url, session, rich=False)
    try:
        stock.say("hi")
        _, plain = stock.wait_for(lambda m: bool(m.get("quick_replies")), 30)
        assert set(plain) == {"text", "quick_replies"}
        _, whole = rich.wait_for(lambda m: bool(m.get("quick_replies")), 30)
        assert whole["text"] == plain["text"]
        assert whole["audio_url"] and whole["spoken"]
        mark = stock.mark()
        stock.say("what is the psoas")
        _, answer = stock.wait_for(has_text("muscle"), 30, mark)
        # Rasa's own form: text, and quick replies when the answer offers any
        assert set(answer) in ({"text"}, {"text", "quick_replies"})
    finally:
        rich.close()
        stock.close()
