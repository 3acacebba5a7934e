"""The widget is served by the Rasa server itself, at one origin with its channels."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message

import pytest

from channels.widget import widget_contract
from coach.tools.stack import Stack

pytestmark = pytest.mark.integration


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (looked up case-insensitively: HTTP header names are), body."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_page_is_served_with_a_strict_policy(stack: Stack):
    status, headers, body = get(f"{stack.url}/coach/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert b'<ol class="messages" id="messages" role="log"' in body


def test_the_page_url_without_its_slash_redirects(stack: Stack):
    status, headers, _ = get(f"{stack.url}/coach")
    assert status == 301 and headers["Location"].endswith("/coach/")


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/coach/static/js/app.js", "text/javascript"),
        ("/coach/static/styles.css", "text/css"),
        ("/coach/static/icon.svg", "image/svg+xml"),
        ("/coach/vendor/socket.io.min.js", "text/javascript"),
        ("/coach/contract.json", "application/json"),
    ],
)
def test_its_files_are_served_from_this_server(stack: Stack, path: str, kind: str):
    status, headers, body = get(stack.url + path)
    assert status == 200 and headers["Content-Type"].startswith(kind) and body


def test_the_contract_names_the_running_channels(stack: Stack):
    # credentials.yml names the socket.io events as Rasa's defaults do
    status, _, body = get(f"{stack.url}/coach/contract.json")
    assert status == 200 and json.loads(body) == widget_contract()


@pytest.mark.parametrize(
    "path",
    [
        "/coach/static/../credentials.yml",
        "/coach/static/%2e%2e/credentials.yml",
        "/coach/static/%2e%2e/%2e%2e/etc/passwd",
        "/coach/static/missing.js",
        "/coach/static/",
    ],
)
def test_nothing_else_is(stack: Stack, path: str):
    status, _, body = get(stack.url + path)
    assert status == 404
    assert b"root:" not in body and b"socketio" not in body
