"""The browser tests: each file in tests/browser, run by Node's test runner
with playwright-core driving Debian's Chromium, against the real stack.

They cover the web widget end to end (typed chat, the routine panel, a reload
mid-routine, an unreachable server, accessibility basics), voice through a fake
microphone (a question, noise, a stretch followed hands-free by voice alone,
a command through a noisy room, pain said mid-hold),
and rasa-webchat, unmodified, talking to our socket.io channel. Screenshots of
the main states land in test-output/browser/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coach.tools.stack import ROOT, Stack

pytestmark = pytest.mark.integration

BROWSER_TESTS = sorted((ROOT / "tests" / "browser").glob("*.test.mjs"))
OUTPUT = ROOT / "test-output" / "browser"


@pytest.mark.parametrize("test_file", BROWSER_TESTS, ids=lambda path: path.name)
def test_in_chromium(stack: Stack, test_file: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the browser tests (scripts/test installs it)"
    assert (ROOT / "node_modules" / "playwright-core").is_dir(), "run scripts/test (npm ci)"
    result = subprocess.run(
        [node, "--test", "--test-concurrency=1", "--test-reporter=spec", str(test_file)],
        cwd=ROOT,
        env={
            **os.environ,
            "COACH_URL": stack.url,
            # the origin the stack lets in besides its own (compat.test.mjs)
            "COMPAT_ORIGIN": stack.env["PSOAS_CORS_ORIGINS"],
            "TEST_OUTPUT": str(OUTPUT),
            "PYTHON": sys.executable,  # speaks the test sentences (coach.tools.speak)
        },
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    print(result.stdout[-4000:])
    assert result.returncode == 0, (
        f"{test_file.name} failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    )
