"""The hostile-input harness itself (coach/tools/hostile), without a coach:
its plan, its wire, its report. Against the real stack: tests/integration/test_hostile_input.py."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Tuple

import pytest

from coach.tools.hostile import plan, run_hostile
from coach.tools.hostile.payloads import ROUTES
from coach.tools.hostile.report import CANARY_SEEN, PASSWD_SEEN, HostileReport
from coach.tools.hostile.wire import (
    CONNECTION_FAILURES,
    REFUSED,
    HttpProbe,
    Server,
    exchange,
    valid_target,
)

CANARY_PATHS = ("/tmp/somewhere/canary.txt", "/srv/app/state/canary.js")


def described(probes: list) -> list:
    return [(p.route, p.kind, p.describe()) for p in probes]


def test_the_plan_is_the_same_for_the_same_seed_and_differs_for_another():
    first, again = plan(1000, 3, CANARY_PATHS), plan(1000, 3, CANARY_PATHS)
    assert described(first) == described(again)
    assert described(plan(1000, 4, CANARY_PATHS)) != described(first)


def test_the_plan_covers_every_route_and_has_at_least_the_count():
    probes = plan(1000, 0, CANARY_PATHS)
    assert len(probes) >= 1000
    routes = Counter(p.route for p in probes)
    assert set(routes) == set(ROUTES) and min(routes.values()) >= 100
    kinds = {(p.route, p.kind) for p in probes}
    for expected in [
        ("rest", "forged_intent"),
        ("rest", "deep_nesting"),
        ("rest", "huge_body"),
        ("voice", "lying_wav"),
        ("voice", "hls_playlist"),
        ("voice", "concat_file"),
        ("socketio", "user_uttered_types"),
        ("socketio", "engineio_bogus_sid"),
        ("audio_files", "traversal_double"),
        ("widget", "traversal_overlong"),
    ]:
        assert expected in kinds
    # every canary file is aimed at, at both file routes and by the voice channel
    for path in CANARY_PATHS:
        name = path.rsplit("/", 1)[-1].encode()
        assert any(name in p.target for p in probes if p.route == "audio_files")
        assert any(name in p.target for p in probes if p.route == "widget")
        assert any(
            isinstance(p, HttpProbe) and p.references_files and name in p.body_bytes()
            for p in probes
        )


def test_a_plan_can_leave_kinds_out():
    probes = plan(300, 0, CANARY_PATHS, exclude={"rest/huge_message", "voice/lying_wav"})
    assert len(probes) >= 300
    assert not {(p.route, p.kind) for p in probes} & {
        ("rest", "huge_message"),
        ("voice", "lying_wav"),
    }


@pytest.mark.parametrize(
    "url", ["http://example.com", "https://localhost:5005", "http://10.0.0.1:5005"]
)
def test_only_a_local_http_server_is_accepted(url: str):
    with pytest.raises(ValueError):
        Server.of(url)
    assert Server.of("http://localhost:5005").port == 5005
    assert Server.of("http://127.0.0.1:80").host == "127.0.0.1"


def test_a_request_line_that_is_no_http_is_known():
    assert valid_target(b"/coach/static/%ef%bc%8e") and valid_target(b"*")
    assert not valid_target(b"/coach/\xef\xbc\x8e") and not valid_target(b"/a\x00")
    assert not valid_target(b"file:///etc/passwd")


# --- the wire, against a small local server ----------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Answers with the path it was asked for (and a canary for /leak), refuses
    bodies over 1 MB before reading them, and answers HEAD without a body."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"secret-canary root:x:0:0:" if self.path == "/leak" else self.path.encode()
        self._answer(200, body)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        if length > 1024 * 1024:
            self._answer(413, b"too large")
            self.close_connection = True
            return
        self._answer(200, self.rfile.read(length))

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local() -> Iterator[Tuple[Server, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            Server("127.0.0.1", server.server_address[1]),
            f"http://127.0.0.1:{server.server_address[1]}",
        )
    finally:
        server.shutdown()
        server.server_close()


def test_the_request_goes_out_byte_for_byte(local):
    server, _ = local
    answer = exchange(server, HttpProbe("widget", "x", "GET", b"/coach/static/..%c0%af..%2f"), 5)
    assert (answer.status, answer.body) == ("200", b"/coach/static/..%c0%af..%2f")


def test_head_is_read_without_waiting_for_a_body(local):
    server, _ = local
    answer = exchange(server, HttpProbe("widget", "x", "HEAD", b"/"), 5)
    assert answer.status == "200" and answer.seconds < 2


def test_an_early_refusal_of_a_big_upload_is_read_not_taken_for_a_dropped_connection(local):
    server, _ = local
    probe = HttpProbe("voice", "huge", "POST", b"/", body=lambda: bytes(20 * 1024 * 1024))
    answer = exchange(server, probe, 10)
    assert answer.status == "413", answer


def test_a_server_that_is_not_there_is_a_connection_failure():
    answer = exchange(Server("127.0.0.1", 9), HttpProbe("rest", "x", "GET", b"/"), 2)
    assert answer.status == REFUSED and REFUSED in CONNECTION_FAILURES


def test_the_report_flags_a_canary_and_passwd_in_a_response(local, monkeypatch: pytest.MonkeyPatch):
    _, url = local
    leak = HttpProbe("widget", "traversal_test", "GET", b"/leak")
    safe = HttpProbe("widget", "traversal_test", "GET", b"/fine")
    monkeypatch.setattr("coach.tools.hostile.runner.plan", lambda *args: [leak, safe])
    report = run_hostile(url, 2, canary="secret-canary")
    assert report.requests == 2 and report.canary_seen
    assert report.flagged(CANARY_SEEN) == 1 and report.flagged(PASSWD_SEEN) == 1
    assert any("/leak" in line for line in report.findings())
    assert "widget" in report.summary() and report.to_dict()["canary_seen"] is True


def test_the_report_counts_per_route_and_kind():
    report = HostileReport()
    report.record("rest", "a", "200")
    report.record("rest", "b", "500", example="POST /x")
    report.record("voice", "c", "timeout", example="POST /y")
    assert report.requests == 3 and report.server_errors == 1 and report.connection_failures == 1
    assert report.routes()["rest"].statuses == Counter({"200": 1, "500": 1})
    assert len(report.findings()) == 2
