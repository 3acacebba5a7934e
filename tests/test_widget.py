"""The web widget's server side: which files are served, the contract its
scripts load (``/coach/contract.json``, from the one intents table and the
channels), and the two message forms over socket.io (rich for our widget,
stock for everyone else)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from channels.guard import (
    AUDIO_ROUTE,
    emit_to_session,
    plain_room,
    rich_room,
    socketio_form,
    stock_form,
)
from channels.voice import OK
from channels.widget import (
    SECURITY_HEADERS,
    WidgetChannel,
    contract_response,
    resolve_web_file,
    widget_contract,
)
from coach import intents
from coach.routine.model import ACTIVE, SETUP_END, Status
from coach.services import Services
from coach.settings import DEFAULT_WEB_DIR as WEB_DIR
from coach.settings import Settings
from coach.speech.listening import BARGE_IN_MODE, HANDS_FREE, QUESTION

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def web(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "js" / "app.js").write_text("export {}")
    (tmp_path / "notes.txt").write_text("not for the web")
    (tmp_path.parent / "secret.css").write_text("outside")
    return tmp_path


def test_files_inside_the_web_folder_are_served(web: Path):
    assert resolve_web_file(web, "index.html") == (web / "index.html").resolve()
    assert resolve_web_file(web, "js/app.js") == (web / "js" / "app.js").resolve()


@pytest.mark.parametrize(
    "path",
    [
        "",
        "../secret.css",
        "js/../../secret.css",
        "/etc/passwd",
        "notes.txt",
        "js",
        "missing.js",
        "a\x00.js",
    ],
)
def test_nothing_else_is_served(web: Path, path: str):
    assert resolve_web_file(web, path) is None


@pytest.mark.parametrize(
    "path",
    [
        "%c0%ae%c0%ae%c0%af" * 60 + "etc/passwd",  # one name over the file system's limit
        "a" * 300 + ".js",
        "x" * 5000,
        "js/" + "%ef%bc%8e" * 100,
        "\udcff.js",  # a lone surrogate, as a request path can carry one
    ],
    ids=["overlong-utf8-chain", "long-name", "over-the-cap", "long-encoded-dots", "surrogate"],
)
def test_a_path_the_file_system_cannot_look_up_is_not_found_not_an_error(web: Path, path: str):
    # the hostile-input run (coach.tools.hostile) got 500s for the first four:
    # is_file() raised "File name too long"
    assert resolve_web_file(web, path) is None


def test_a_symlink_out_of_the_folder_is_not_followed(web: Path):
    (web / "escape.css").symlink_to(web.parent / "secret.css")
    assert resolve_web_file(web, "escape.css") is None


def test_the_page_only_loads_its_own_origin():
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "default-src 'self'" in policy
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"


def test_the_widget_lives_at_coach_not_under_webhooks():
    assert WidgetChannel().url_prefix() == "/coach"


def test_the_page_loads_nothing_from_elsewhere():
    """No CDN at run time: every script, style and icon the page names is local."""
    html = (WEB_DIR / "index.html").read_text()
    for url in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert "://" not in url and not url.startswith("//"), url
    for script in WEB_DIR.rglob("*.js"):
        for imported in re.findall(r'from "([^"]+)"', script.read_text()):
            assert imported.startswith("./"), f"{script.name} imports {imported}"
            assert (script.parent / imported).exists(), f"{script.name}: {imported} is missing"


def test_the_page_has_no_inline_script():
    html = (WEB_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "the CSP forbids inline scripts"
    assert not re.search(r"\son[a-z]+\s*=", html), "nor inline event handlers"


# --- the contract: what the page's scripts know of the server --------------------


def test_the_contract_is_what_the_intents_table_says():
    contract = widget_contract()
    assert contract["buttons"] == intents.WIDGET_BUTTONS
    assert contract["buttons"] == {
        intents.PAUSE: "/routine_pause",
        intents.RESUME: "/routine_resume",
        intents.NEXT: "/routine_next",
        intents.STOP: "/routine_stop",
    }
    assert contract["reconnect_message"] == intents.RECONNECT_MESSAGE
    assert contract["reconnect_message"] == '/EXTERNAL_routine_cue{"cue": "reconnect"}'


def test_the_contract_names_the_channels_and_the_routine_as_they_are():
    contract = widget_contract()
    assert contract["voice"] == {
        "url": "/webhooks/voice/webhook",
        "modes": {"question": QUESTION, "hands_free": HANDS_FREE, "barge_in": BARGE_IN_MODE},
        "statuses": {"ok": OK},
    }
    assert contract["audio_route"] == AUDIO_ROUTE
    assert contract["socket"] == {
        "path": "/socket.io",
        "user_message": "user_uttered",
        "bot_message": "bot_uttered",
    }
    routine = contract["routine"]
    assert set(routine["statuses"].values()) == {status.value for status in Status}
    assert routine["active"] == [status.value for status in ACTIVE] == ["running", "paused"]
    assert routine["sides"] == {"right": "right", "left": "left", "none": "none"}
    assert routine["cues"] == {"setup_end": SETUP_END}


class FakeRequest:
    """What the widget's routes read of a Sanic request."""

    def __init__(self, channels: List[Any], path: str = "/coach/") -> None:
        self.path = path
        self.app = type("App", (), {})()
        self.app.ctx = type("Ctx", (), {"input_channels": channels})()


def test_the_served_contract_takes_the_running_socketio_channels_events():
    socket = SocketIOInput(user_message_evt="said", bot_message_evt="answered", socketio_path="/io")
    served = contract_response(FakeRequest([RestInput(), socket]))
    assert served.status == 200 and served.content_type.startswith("application/json")
    body = json.loads(served.body)
    assert body["socket"] == {"path": "/io", "user_message": "said", "bot_message": "answered"}
    assert body == {**widget_contract(), "socket": body["socket"]}
    assert served.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_without_a_socketio_channel_the_contract_has_rasas_defaults():
    assert json.loads(contract_response(FakeRequest([])).body) == widget_contract()


def routes(channel: WidgetChannel) -> Dict[str, Any]:
    blueprint = channel.blueprint(None)  # type: ignore[arg-type]
    return {route.uri: route.handler for route in blueprint._future_routes}


def test_the_widget_serves_the_folder_its_services_name(web: Path):
    channel = WidgetChannel()
    channel.services = Services(Settings(web_dir=web))
    handlers = routes(channel)
    assert "/contract.json" in handlers
    served = asyncio.run(handlers["/static/<path:path>"](FakeRequest([]), "js/app.js"))
    assert served.status == 200 and served.content_type.startswith("text/javascript")
    missing = asyncio.run(handlers["/static/<path:path>"](FakeRequest([]), "notes.txt"))
    assert missing.status == 404


def _code(script: Path) -> str:
    """A script without its comments (which may well name what they explain)."""
    lines = [line for line in script.read_text().splitlines() if not line.strip().startswith("//")]
    return "\n".join(re.sub(r"\s//\s.*$", "", line) for line in lines)


def _leaves(value: Any) -> List[str]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [str(value)]


def test_no_script_retypes_the_contract():
    """Every server fact comes from web/js/contract.js, which loads the JSON."""
    facts = set(_leaves(widget_contract()))
    for script in sorted(WEB_DIR.glob("js/*.js")):
        if script.name == "contract.js":
            continue
        for match in re.finditer(r"([\"'`])((?:(?!\1).)*)\1", _code(script)):
            assert match.group(2) not in facts, f"{script.name} types {match.group(0)}"
    loader = (WEB_DIR / "js" / "contract.js").read_text()
    assert '"../../contract.json"' in loader  # from /coach/static/js/ to /coach/contract.json


# --- the two forms ----------------------------------------------------------------

WHOLE: Dict[str, Any] = {
    "recipient_id": "s1",
    "text": "**Hold** for 30 seconds.",
    "spoken": "Hold for 30 seconds.",
    "audio_url": "/webhooks/audio/files/x.wav",
    "routine": {"status": "running"},
    "buttons": [{"title": "Pause", "payload": "/routine_pause"}],
}


def test_the_rich_form_keeps_everything_and_names_buttons_quick_replies():
    rich = socketio_form(WHOLE)
    assert rich["spoken"] == "Hold for 30 seconds." and rich["routine"] == {"status": "running"}
    assert rich["quick_replies"] == [
        {"content_type": "text", "title": "Pause", "payload": "/routine_pause"}
    ]
    assert "buttons" not in rich and "recipient_id" not in rich


def test_the_stock_form_is_exactly_what_rasa_sends():
    # rasa-webchat shows a message as text only when "text" is its only key,
    # and as buttons only when it has exactly "text" and "quick_replies"
    assert set(stock_form(WHOLE)) == {"text", "quick_replies"}
    assert stock_form({"text": "Hi", "spoken": "Hi", "audio_url": "/a.wav"}) == {"text": "Hi"}


class FakeManager:
    def __init__(self, rooms: List[str]) -> None:
        self.rooms = {"/": {room: {"sid": "eio"} for room in rooms}}


class FakeSio:
    def __init__(self, rooms: List[str]) -> None:
        self.manager = FakeManager(rooms)
        self.emitted: List[Tuple[str, Dict[str, Any], str]] = []

    async def emit(self, event: str, data: Dict[str, Any], room: str) -> None:
        self.emitted.append((event, data, room))


def emitted(rooms: List[str]) -> Dict[str, Dict[str, Any]]:
    sio = FakeSio(rooms)
    asyncio.run(emit_to_session(SocketIOOutput(sio, "bot_uttered"), "s1", WHOLE))
    assert all(event == "bot_uttered" for event, _, _ in sio.emitted)
    return {room: data for _, data, room in sio.emitted}


def test_each_socket_gets_the_form_it_asked_for():
    out = emitted(["s1", rich_room("s1"), plain_room("s1")])
    assert set(out) == {rich_room("s1"), plain_room("s1")}
    assert "audio_url" in out[rich_room("s1")]
    assert set(out[plain_room("s1")]) == {"text", "quick_replies"}


def test_only_stock_clients_get_only_the_stock_form():
    assert set(emitted(["s1", plain_room("s1")])) == {plain_room("s1")}


def test_a_session_without_form_rooms_gets_the_rich_form():
    out = emitted(["s1"])
    assert set(out) == {"s1"} and "routine" in out["s1"]
