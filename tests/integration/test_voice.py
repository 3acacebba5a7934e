"""The voice channel against a real stack: speech in (espeak-ng, made at test
time), answers out, routines driven by voice, cues over socket.io, bad input.

``POST /webhooks/voice/webhook`` (channels/voice.py). The phrases are ones the
recogniser gets right (tests/test_recognition.py lists those it does not); where
its exact words vary between machines (``tests.support.voice.heard_about``), the
tests hold it to what the words did.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import numpy as np
import pytest
import requests

from coach.speech.asr.audio_input import MAX_SECONDS, MAX_UPLOAD_BYTES, decode_wav
from coach.timings import parse_header
from coach.tools.speak import espeak_wav
from coach.tools.stack import Stack
from tests.support.socketio import Listener, has_text, routine_of
from tests.support.speech import COACH_CUES, COACH_VOICE
from tests.support.voice import (
    PIPER,
    VOICE,
    Reply,
    check_audio_url,
    check_refusal,
    heard_about,
    last_routine,
    message_texts,
    new_sender,
    post_raw,
    post_voice,
    spoken_wav,
    wav,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def log_start(stack: Stack) -> int:
    """Where the Rasa server's log stood when this file's tests began."""
    return (stack.workdir / "rasa.log").stat().st_size


# --- spoken questions get the typed answers ----------------------------------------------

# piper for "psoas": espeak-ng says it so that Whisper hears "soul in" or
# "sewing" (bench/voice has every voice's figures)
SPOKEN_QUESTIONS = [
    (PIPER, 0, "how do I stretch my psoas", "how do i stretch my psoas"),
    ("en-us+m3", 150, "is it safe to massage my belly", "is it safe to massage my belly"),
    ("en-gb", 150, "how do I use a release tool", "how do i use a release tool"),
    (PIPER, 0, "where is the psoas muscle", "where's the psoas muscle"),
    ("en-us-nyc", 140, "how long should I hold the stretch", "how long should i hold this stretch"),
    (PIPER, 0, "I'm pregnant can I stretch my psoas", "i'm pregnant can i stretch my psoas"),
]


@pytest.mark.parametrize(
    ("voice", "speed", "said", "transcript"),
    SPOKEN_QUESTIONS,
    ids=[f"{v}-{s}-{t}" for v, s, t, _ in SPOKEN_QUESTIONS],
)
def test_a_spoken_question_gets_the_typed_answer(
    stack: Stack, log_start: int, voice: str, speed: int, said: str, transcript: str
):
    sender = new_sender()
    code, body = post_voice(stack, spoken_wav(said, voice, speed), sender, "question")
    assert code == 200 and body["status"] == "ok", body
    assert heard_about(body["transcript"], transcript), body["transcript"]
    assert body["model"] == "questions"
    assert body["recipient_id"] == sender
    typed = stack.send(new_sender("typed"), said)
    assert message_texts(body["messages"]) == message_texts(typed)
    for message in body["messages"]:
        assert message.get("spoken") and "recipient_id" not in message
    check_audio_url(stack, body["messages"][0])


def test_a_raw_audio_body_works_too(stack: Stack):
    sender = new_sender()
    code, body = post_raw(
        stack,
        spoken_wav("where is the psoas muscle", PIPER),
        "audio/wav",
        sender=sender,
        mode="question",
    )
    assert code == 200 and body["status"] == "ok", body
    assert (body["transcript"], body["recipient_id"]) == ("where's the psoas muscle", sender)


def test_the_response_says_where_its_time_went(stack: Stack):
    response = requests.post(
        stack.url + VOICE,
        data=spoken_wav("where is the psoas muscle", PIPER),
        params={"sender": new_sender(), "mode": "question"},
        headers={"Content-Type": "audio/wav"},
        timeout=60,
    )
    assert response.json()["status"] == "ok"
    stages = parse_header(response.headers["Server-Timing"])
    assert {"decode", "status", "asr_questions", "conversation", "total"} <= set(stages)
    inner = sum(ms for name, ms in stages.items() if name not in ("total", "tts"))
    assert 0 < inner <= stages["total"]


def test_parallel_voice_requests_are_all_answered(stack: Stack):
    audio = [spoken_wav(said, voice, speed) for voice, speed, said, _ in SPOKEN_QUESTIONS[:4]]
    one_by_one = [post_voice(stack, a, new_sender()) for a in audio]
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda a: post_voice(stack, a, new_sender()), audio))
    assert all(code == 200 and body["messages"] for code, body in replies)
    # each answer is its own recording's, as when they came one at a time
    heard = [body["transcript"] for _, body in replies]
    assert heard == [body["transcript"] for _, body in one_by_one]
    assert [message_texts(body["messages"]) for _, body in replies] == [
        message_texts(body["messages"]) for _, body in one_by_one
    ]
    for transcript, (*_, expected) in zip(heard, SPOKEN_QUESTIONS[:4], strict=True):
        assert heard_about(transcript, expected), (transcript, expected)


def test_the_health_route(stack: Stack):
    response = requests.get(stack.url + "/webhooks/voice/", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


# --- a routine, by voice ---------------------------------------------------------------------

HANDS_FREE_VOICE = ("en-us+m3", 150)  # hears "stop" alone (the coach's voice does not)


def say(stack: Stack, sender: str, text: str, mode: str, voice: Tuple[str, int]) -> Reply:
    return post_voice(stack, spoken_wav(text, *voice), sender, mode)


def test_a_routine_started_and_controlled_by_voice(stack: Stack):
    sender = new_sender()
    code, body = say(stack, sender, "begin the routine", "question", (PIPER, 0))
    assert code == 200 and body["status"] == "ok", body
    assert body["transcript"] == "begin the routine"
    assert last_routine(body["messages"])["status"] == "running"

    # hands-free while the routine runs: its commands
    for said, status in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        code, body = say(stack, sender, said, "hands_free", HANDS_FREE_VOICE)
        assert code == 200 and body["status"] == "ok", (said, body)
        assert (body["transcript"], body["model"]) == (said, "commands")
        assert last_routine(body["messages"])["status"] == status, (said, body)


def test_hands_free_acts_on_routine_commands_only(stack: Stack):
    sender = new_sender()
    started = stack.send(sender, "guide me through a psoas stretch")
    assert last_routine(started)["status"] == "running"
    # a question, and chatter in the room: not for the routine, not acted upon
    for chatter in ("what does the psoas do", "I like pizza with extra cheese"):
        code, body = say(stack, sender, chatter, "hands_free", COACH_VOICE)
        assert code == 200, body
        check_refusal(stack, body, "not_understood")
    assert last_routine(stack.send(sender, "how long left"))["status"] == "running"
    stack.send(sender, "stop")


def test_pain_said_mid_hold_is_never_just_not_caught(stack: Stack):
    # "ouch that hurts" by the coach's robotic voice is heard about at the
    # command model's bar, and not always word for word ("that hurts" on some
    # machines): heard with doubt, the routine pauses and the coach checks in;
    # heard surely, it stops with the safety answer. Never "didn't catch that".
    # (Each path on its own is pinned with a fake recogniser in
    # tests/test_voice_channel.py.) "stop it hurts", heard surely, stops it
    # with the safety answer.
    sender = new_sender()
    assert last_routine(stack.send(sender, "start the routine"))["status"] == "running"
    code, body = say(stack, sender, "ouch that hurts", "hands_free", COACH_VOICE)
    assert code == 200 and body["status"] == "ok", body
    assert "hurts" in body["transcript"], body["transcript"]
    check_audio_url(stack, body["messages"][0])
    status = last_routine(body["messages"])["status"]
    if status == "paused":
        assert "sounded like something hurts" in body["messages"][0]["text"]
    else:
        assert status == "stopped", body
        assert any("pain is not" in text for text in message_texts(body["messages"]))
        sender = new_sender()  # a fresh routine for the next phrase
        assert last_routine(stack.send(sender, "start the routine"))["status"] == "running"

    code, body = say(stack, sender, "stop it hurts", "hands_free", COACH_VOICE)
    assert code == 200 and body["status"] == "ok", body
    assert last_routine(body["messages"])["status"] == "stopped"
    assert any("stop" in text.lower() for text in message_texts(body["messages"]))


def test_the_cues_of_a_routine_started_by_voice_come_over_socketio(stack: Stack):
    sender = new_sender("sock")
    listener = Listener(stack.url, sender)
    try:
        # short holds, typed (spoken durations are tested elsewhere)
        stack.send(sender, "make it 10 seconds")
        code, body = say(stack, sender, "begin the routine", "question", (PIPER, 0))
        assert code == 200 and body["status"] == "ok", body
        started_at = time.time()
        # the replies to the voice message came back in the HTTP response...
        assert last_routine(body["messages"])["status"] == "running"
        # ...and the timed cues that follow go to the conversation's socket.io
        # session: the setup step settles, the first hold starts, and ends
        hold_at, hold = listener.wait_for(
            lambda m: (routine_of(m) or {}).get("hold_seconds") == 10, 40
        )
        assert hold["text"] and hold_at > started_at
        released_at, release = listener.wait_for(has_text("release"), 30)
        assert released_at - hold_at == pytest.approx(10, abs=2)
        assert release.get("audio_url")
        listener.wait_for(has_text("left side"), 30)
        # the replies to the voice messages themselves did not come twice
        assert not set(message_texts(body["messages"])) & set(listener.texts_since(0))
    finally:
        listener.close()
        stack.send(sender, "stop")


def test_the_coachs_own_voice_does_not_barge_in_but_stop_does(stack: Stack):
    sender = new_sender()
    started = stack.send(sender, "guide me through a psoas stretch")
    assert last_routine(started)["status"] == "running"
    for cue in COACH_CUES:
        code, body = say(stack, sender, cue, "barge_in", COACH_VOICE)
        assert code == 200, body
        assert body["status"] in ("not_understood", "no_speech"), (cue, body)
        check_refusal(stack, body, body["status"])
    # none of them paused or stopped the routine
    assert last_routine(stack.send(sender, "how long left"))["status"] == "running"
    code, body = say(stack, sender, "stop", "barge_in", COACH_VOICE)
    assert code == 200 and body["status"] == "ok", body
    assert (body["transcript"], body["model"]) == ("stop", "barge_in")
    assert last_routine(body["messages"])["status"] == "stopped"


# --- bad input ----------------------------------------------------------------------------------


def noise(seconds: float, level: float = 3000.0) -> np.ndarray:
    return np.random.default_rng(5).normal(0, level, int(16000 * seconds))


def multipart(parts: List[Tuple[str, str | None, bytes]], boundary: str = "b0undary") -> bytes:
    """A multipart body by hand: (name, filename or None, content) parts."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_silence_and_noise_are_no_speech(stack: Stack):
    for audio in (wav(np.zeros(32000)), wav(noise(2.0)), wav(noise(2.0, 300))):
        code, body = post_voice(stack, audio, new_sender())
        assert code == 200, body
        check_refusal(stack, body, "no_speech")


@pytest.mark.parametrize(
    "audio",
    [os.urandom(20000), b"OggS" + os.urandom(5000), b"RIFF" + os.urandom(40)],
    ids=["random", "ogg-garbage", "riff-garbage"],
)
def test_unreadable_audio_is_422(stack: Stack, audio: bytes):
    code, body = post_voice(stack, audio, new_sender())
    assert code == 422
    check_refusal(stack, body, "unreadable_audio")


def test_a_json_body_is_415(stack: Stack):
    response = requests.post(
        stack.url + VOICE, json={"sender": "me", "message": "hello"}, timeout=30
    )
    assert response.status_code == 415
    check_refusal(stack, response.json(), "unsupported_type")


def test_a_non_audio_upload_is_415(stack: Stack):
    code, body = post_voice(stack, b"<html></html>", new_sender(), content_type="text/html")
    assert code == 415
    check_refusal(stack, body, "unsupported_type")


def test_an_audio_field_that_is_not_a_file_is_415(stack: Stack):
    response = requests.post(
        stack.url + VOICE,
        files={"sender": (None, new_sender()), "audio": (None, "UklGRiQAAABXQVZF")},
        timeout=30,
    )
    assert response.status_code == 415
    check_refusal(stack, response.json(), "unsupported_type")


@pytest.mark.parametrize(
    "body",
    [multipart([]), multipart([("sender", None, b"someone")]), b""],
    ids=["empty", "sender-only", "no-body"],
)
def test_a_multipart_without_audio_is_400(stack: Stack, body: bytes):
    response = requests.post(
        stack.url + VOICE,
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
        timeout=30,
    )
    assert response.status_code == 400
    check_refusal(stack, response.json(), "missing_audio")


def test_an_empty_raw_body_is_400(stack: Stack):
    code, body = post_raw(stack, b"", "audio/wav", sender=new_sender())
    assert code == 400
    check_refusal(stack, body, "missing_audio")


def test_an_upload_over_the_cap_is_413(stack: Stack):
    big = b"RIFF" + bytes(4) + b"WAVE" + os.urandom(MAX_UPLOAD_BYTES + 1024 * 1024)
    for send in (
        lambda: post_voice(stack, big, new_sender()),
        lambda: post_raw(stack, big, "audio/wav", sender=new_sender()),
    ):
        code, body = send()
        assert code == 413
        check_refusal(stack, body, "too_large")


def test_a_recording_over_the_length_cap_is_413(stack: Stack):
    stop = np.frombuffer(decode_wav(espeak_wav("stop")).samples, dtype="<i2")
    twenty_seconds = np.tile(stop, 40)[: 16000 * 20]  # "stop" said forty times
    code, body = post_voice(stack, wav(twenty_seconds), new_sender())
    assert code == 413
    check_refusal(stack, body, "too_long")
    assert f"under {int(MAX_SECONDS)} seconds" in body["messages"][0]["text"]


def test_a_missing_sender_gets_a_fresh_conversation(stack: Stack):
    audio = spoken_wav("where is the psoas muscle", PIPER)
    ids = []
    for _ in range(2):
        code, body = post_voice(stack, audio, sender=None)
        assert code == 200 and body["status"] == "ok", body
        ids.append(body["recipient_id"])
    assert all(i.startswith("anonymous-") for i in ids) and ids[0] != ids[1]
    for blank in ("", "   "):
        code, body = post_voice(stack, audio, sender=blank)
        assert body["recipient_id"].startswith("anonymous-")
    # a refusal before the form is read gets one too
    response = requests.post(stack.url + VOICE, json={}, timeout=30)
    assert response.json()["recipient_id"].startswith("anonymous-")


def test_an_unknown_sender_starts_a_conversation(stack: Stack):
    sender = f"never-seen-{uuid.uuid4().hex}"
    code, body = post_voice(stack, espeak_wav("how do I stretch my psoas"), sender)
    assert code == 200 and body["status"] == "ok" and body["recipient_id"] == sender
    assert body["messages"]


def test_after_all_that_the_server_still_answers(stack: Stack, log_start: int):
    # runs last in this file: every kind of bad input above has been sent
    assert message_texts(stack.send(new_sender(), "hello"))
    code, body = post_voice(stack, espeak_wav("how do I stretch my psoas"), new_sender())
    assert code == 200 and body["status"] == "ok", body
    with open(stack.workdir / "rasa.log", "rb") as handle:
        handle.seek(log_start)
        log = handle.read().decode("utf-8", "replace")
    assert "channels.voice" in log
    assert "Traceback" not in log and "speech recognition failed" not in log, log[-3000:]
