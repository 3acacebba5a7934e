"""Bad input at scale (issue 10): a thousand malformed and hostile requests to a
real stack, across REST, socket.io (and engine.io below it), the voice
channel, the audio files and the widget's files (``coach.tools.hostile``).

The server must answer every one of them without a 5xx, stay up, read nothing
outside its served folders (a secret in canary files beside them never comes
back, and ffmpeg never plays a file an upload only names), and afterwards
answer a typed and a spoken question as before. The run's report is printed
and left in ``test-output/hostile-input.txt``.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from coach.settings import PROJECT_ROOT
from coach.tools.hostile import HostileReport, run_hostile
from coach.tools.hostile.payloads import ROUTES
from coach.tools.hostile.report import FINDINGS
from coach.tools.stack import Stack
from tests.support.hostile import write_canaries
from tests.support.voice import PIPER, message_texts, new_sender, post_voice, spoken_wav

pytestmark = pytest.mark.integration

REQUESTS = 1000
# python-engineio 4 (Rasa's socket.io server) answers an engine.io error on a
# polling POST (a packet type a client may not send, a body over its 1 MB
# buffer) by closing the session and waiting for a poll to drain it, which
# never comes: the POST hangs. Not this project's code; every other kind of
# request must be answered.
HANGS_IN_ENGINEIO = {("socketio", "engineio_error_post")}
REPORT = PROJECT_ROOT / "test-output" / "hostile-input.txt"


@pytest.fixture(scope="module")
def report(stack: Stack) -> Iterator[HostileReport]:
    """One run of the whole plan, with canaries in the stack's folder and in
    the project's ``state/`` (beside ``web/``, which the widget serves)."""
    canaries = write_canaries(stack.workdir, PROJECT_ROOT / "state")
    log = stack.workdir / "rasa.log"
    log_start = log.stat().st_size
    try:
        done = run_hostile(
            stack.url,
            REQUESTS,
            seed=0,
            canary=canaries.secret,
            canary_paths=[str(path) for path in canaries.paths],
        )
    finally:
        canaries.remove()
    with open(log, "rb") as handle:  # what the server logged meanwhile, for the report
        handle.seek(log_start)
        tracebacks = handle.read().count(b"Traceback (most recent call last)")
    text = f"{done.summary()}\n\nserver log: {tracebacks} tracebacks during the run\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(text)
    yield done


def test_a_thousand_requests_reached_all_five_routes(report: HostileReport):
    assert report.requests >= REQUESTS
    routes = report.routes()
    assert set(routes) == set(ROUTES)
    assert all(tally.requests >= 100 for tally in routes.values()), report.summary()


def test_no_request_got_a_5xx(report: HostileReport):
    assert report.server_errors == 0, "\n".join(report.findings())


def test_every_request_was_answered_and_the_server_never_crashed(
    report: HostileReport, stack: Stack
):
    assert stack.rasa is not None and stack.rasa.poll() is None, "the Rasa server exited"
    unanswered = {
        key: tally.connection_failures
        for key, tally in report.tallies.items()
        if tally.connection_failures and key not in HANGS_IN_ENGINEIO
    }
    assert unanswered == {}, "\n".join(report.findings())


def test_nothing_outside_the_served_folders_was_read(report: HostileReport):
    assert not report.canary_seen, "\n".join(report.findings())
    flagged = {flag: report.flagged(flag) for flag in FINDINGS if report.flagged(flag)}
    # socket.io handlers that raised are in the findings too; reading files is not
    assert "followed_reference" not in flagged, "\n".join(report.findings())


def test_the_run_took_well_under_a_minute_and_a_half(report: HostileReport):
    assert report.seconds < 90, report.summary()


def test_afterwards_the_coach_answers_typed_and_spoken_questions_as_before(
    report: HostileReport, stack: Stack
):
    typed = message_texts(stack.send(new_sender("after-hostile"), "how do I stretch my psoas"))
    assert typed and "Psoas stretch" in typed[0], typed
    spoken = spoken_wav("how do I stretch my psoas", PIPER)
    code, body = post_voice(stack, spoken, new_sender("after-hostile"))
    assert code == 200 and body["status"] == "ok", body
    assert message_texts(body["messages"]) == typed
