"""The web widget's server side: which files are served, and the two message
forms over socket.io (rich for our widget, stock for everyone else)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.channels.socketio import SocketIOOutput

from channels.guard import emit_to_session, plain_room, rich_room, socketio_form, stock_form
from channels.widget import SECURITY_HEADERS, WEB_DIR, WidgetChannel, resolve_web_file

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
