"""From a fresh clone to the coach's first answer, as a newcomer meets it.

Clones this repository's HEAD into a temp folder and runs the README's run
command there (``scripts/run``, on free ports), timing each stage it announces
and the moment the first typed message is answered; then stops it and removes
the clone. On these machines the Debian packages are already installed and
uv's and npm's download caches are warm: the figure is what a second person on
the same machine meets, or a CI runner with a package cache.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Tuple

from bench.speed.bots import post
from coach.tools.stack import ROOT, free_port

STAGE = re.compile(r"\[(\d+)/(\d+)\]\s*(.*)")
READY = "The psoas coach is running."
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_answer(timeout: float = 1800) -> Dict[str, object]:
    """Seconds from ``git clone`` to the first answer, and to each stage's start."""
    folder = Path(tempfile.mkdtemp(prefix="psoas-fresh-"))
    clone = folder / "coach"
    began = time.perf_counter()
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, capture_output=True
    )
    rasa_port, actions_port = free_port(), free_port()
    env = {
        **os.environ,
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
    }
    env.pop("VIRTUAL_ENV", None)
    process = subprocess.Popen(
        ["./scripts/run"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stages: List[Tuple[float, str]] = []
    lines: List[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = ANSI.sub("", raw.decode("utf-8", "replace")).rstrip()
            lines.append(line)
            found = STAGE.search(line)
            if found:
                stages.append((round(time.perf_counter() - began, 1), found.group(0)))
            if READY in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(timeout):
            raise RuntimeError("scripts/run did not come up:\n" + "\n".join(lines[-30:]))
        up = time.perf_counter() - began
        replies = post(f"http://localhost:{rasa_port}", "newcomer", "hi")
        answered = time.perf_counter() - began
        assert replies, "no answer to hi"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "seconds_to_running": round(up, 1),
        "seconds_to_first_answer": round(answered, 1),
        "stages": [{"at_s": at, "stage": text} for at, text in stages],
        "output_lines": len(lines),
        "output": lines,
    }
