"""Who may talk to the coach, and how much, on a real server configured for an
embedding app: ``PSOAS_JWT_SECRET`` (token auth), ``PSOAS_CORS_ORIGINS`` (one
other site) and tight voice limits (``PSOAS_VOICE_RATE`` 10 a minute)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Dict, Iterator, List, Tuple

import jwt
import pytest
import socketio

from coach.tools.stack import MODEL, Stack

pytestmark = pytest.mark.integration

SECRET = "an-integration-test-secret-of-32-bytes-or-more"
CLINIC = "https://clinic.example"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    running = Stack(
        tmp_path_factory.mktemp("guarded"),
        env={
            "PSOAS_TTS_ENGINES": "espeak",
            "PSOAS_JWT_SECRET": SECRET,
            "PSOAS_CORS_ORIGINS": CLINIC,
            "PSOAS_RECOGNIZER_WORKERS": "1",
            "PSOAS_VOICE_RATE": "10/60",
            "PSOAS_VOICE_CONCURRENCY": "2",
        },
    )
    with running:
        yield running


def token(**claims: object) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def rest(
    stack: Stack, body: Dict[str, object], headers: Dict[str, str]
) -> Tuple[int, object, Dict[str, str]]:
    request = urllib.request.Request(
        f"{stack.url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def test_rest_without_a_valid_token_is_told_to_sign_in(guarded: Stack):
    for headers in (
        {},
        {"Authorization": "Bearer forged"},
        {"Authorization": "Bearer " + jwt.encode({}, "x" * 40)},
    ):
        status, body, _ = rest(guarded, {"sender": "me", "message": "hello"}, headers)
        assert status == 401
        assert "sign in" in body[0]["text"]  # type: ignore[index]


def test_a_token_bound_to_a_conversation_talks_to_that_one(guarded: Stack):
    bearer = {"Authorization": "Bearer " + token(sub="patient-7")}
    status, body, _ = rest(
        guarded, {"sender": "someone-else", "message": "how do I stretch my psoas"}, bearer
    )
    assert status == 200 and body[0]["recipient_id"] == "patient-7"  # type: ignore[index]


def connect(
    stack: Stack, origin: str | None = None, auth: Dict[str, str] | None = None
) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    headers = {"Origin": origin} if origin else {}
    # long-polling: the websocket client library adds an Origin of its own
    client.connect(stack.url, headers=headers, auth=auth, transports=["polling"], wait_timeout=10)
    return client


def test_socketio_needs_a_token_and_an_allowed_origin(guarded: Stack):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(guarded)
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(guarded, origin="https://evil.example", auth={"token": token()})
    for origin in (None, CLINIC, guarded.url):
        connect(guarded, origin=origin, auth={"token": token()}).disconnect()


def test_socketio_bound_token_gets_its_own_conversation(guarded: Stack):
    client = connect(guarded, auth={"token": token(sub="patient-9")})
    confirmed: list[str] = []
    client.on("session_confirm", confirmed.append)
    client.emit("session_request", {"session_id": "somebody-else"})
    client.sleep(2)
    client.disconnect()
    assert confirmed == ["patient-9"]


def test_cors_headers_go_to_the_listed_origin_only(guarded: Stack):
    bearer = {"Authorization": "Bearer " + token()}
    _, _, headers = rest(guarded, {"sender": "me", "message": "hi"}, {**bearer, "Origin": CLINIC})
    assert headers.get("Access-Control-Allow-Origin") == CLINIC
    _, _, headers = rest(
        guarded, {"sender": "me", "message": "hi"}, {**bearer, "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in headers


def voice(stack: Stack, headers: Dict[str, str]) -> Tuple[int, Dict[str, object], Dict[str, str]]:
    """A voice upload that is not audio: cheap to refuse (422) once admitted."""
    boundary = "psoasboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sender"\r\n\r\nme\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n'
        f"Content-Type: audio/wav\r\n\r\nnot really audio\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        f"{stack.url}/webhooks/voice/webhook",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def test_voice_needs_a_token_then_slows_a_client_down(guarded: Stack):
    status, body, _ = voice(guarded, {})
    assert status == 401 and body["status"] == "not_signed_in" and "sign in" in str(body)
    bearer = {"Authorization": "Bearer " + token(sub="patient-3")}
    answers = [voice(guarded, bearer) for _ in range(14)]
    statuses = [status for status, _, _ in answers]
    assert statuses[:10] == [422] * 10, "admitted: refused as unreadable audio"
    assert 429 in statuses[10:], statuses
    status, body, headers = next(a for a in answers if a[0] == 429)
    assert body["status"] == "slow_down" and int(headers["Retry-After"]) >= 1
    messages: List[Dict[str, str]] = body["messages"]  # type: ignore[assignment]
    assert len(messages) == 1
    assert "wait a few seconds" in messages[0]["text"] and messages[0].get("audio_url")
