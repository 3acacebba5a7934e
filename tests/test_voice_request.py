"""The voice channel's request parts (channels/voice.py): sender, mode, the
body read under its cap, multipart or raw audio, and the routine's status."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from channels.voice import routine_status
from channels.voice_request import (
    MAX_SENDER_LENGTH,
    VoiceRequest,
    clean_mode,
    clean_sender,
    parse_request,
    read_body,
)
from coach.routine.model import RoutineState, Status
from coach.speech.asr.audio_input import MAX_UPLOAD_BYTES, TOO_LARGE, UNSUPPORTED_TYPE, AudioProblem
from coach.speech.listening import BARGE_IN_MODE, HANDS_FREE, QUESTION
from tests.support.voice_handler import SPEECH

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


@pytest.mark.parametrize(
    ("given", "expected"),
    [("a\x00b", "ab"), ("\udfffme", "me"), ("a\ud800b", "ab"), ("x\x1b[31m", "x[31m")],
)
def test_clean_sender_drops_what_no_store_can_write(given: str, expected: str):
    # a lone surrogate in the id made Rasa's SQL store exit the whole server
    # (it takes any ValueError for a missing schema): found by coach.tools.hostile
    assert clean_sender(given) == expected
    assert clean_sender(given).encode("utf-8")


@pytest.mark.parametrize("given", ["\x00", "\udfff", "\x00\udfff\x01"])
def test_a_sender_of_nothing_writable_gets_a_fresh_conversation(given: str):
    assert clean_sender(given).startswith("anonymous-")


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
