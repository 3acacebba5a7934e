"""The two bots the speed benchmark compares, each started in a process of its own:
the coach (``coach.tools.stack.Stack``: action server and Rasa server, SQLite
tracker store, pre-rendered audio as ``scripts/run`` does) and the stock bot
that ``rasa init --no-prompt`` makes (its own default pipeline and policies,
in-memory tracker store, no custom actions), trained and run in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

from coach.tools.stack import RASA, ROOT, Stack, free_port, stop_process, wait_for

# what a person might type to the coach: questions, follow-ups, a red flag, a
# condition, a goodbye (each turn's answer is pre-rendered, as in use)
COACH_CONVERSATION = [
    "hi",
    "what is the psoas",
    "where is it exactly",
    "how do i stretch it",
    "how long?",
    "and the other side?",
    "tell me more",
    "how do i massage my psoas",
    "what should a release tool be like",
    "my leg is numb",
    "i'm pregnant can i still do this",
    "thanks bye",
]
# the same number of turns for the stock bot, in its own domain (greet, moods,
# affirm/deny, bot challenge, goodbye), none of them its training examples
STOCK_CONVERSATION = [
    "hello there",
    "i am feeling quite sad today",
    "yes",
    "great, carry on",
    "are you a human?",
    "good afternoon",
    "i'm feeling very good",
    "not really",
    "am i talking to a bot?",
    "my day was horrible",
    "indeed",
    "see you later",
]


def post(url: str, sender: str, text: str, timeout: float = 60) -> List[Dict[str, Any]]:
    """One message to a bot's REST channel; its replies."""
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies: List[Dict[str, Any]] = json.loads(response.read())
        return replies


def quiet_env(extra: Dict[str, str] | None = None) -> Dict[str, str]:
    """As scripts/run starts Rasa: no telemetry, no TensorFlow chatter."""
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **(extra or {}),
    }


def timed_training(args: List[str], cwd: Path, cache: Path, log: Path) -> float:
    """Seconds ``rasa train`` (or ``rasa init``) takes from an empty graph cache."""
    began = time.perf_counter()
    with open(log, "wb") as out:
        subprocess.run(
            [RASA, *args],
            cwd=cwd,
            env=quiet_env({"RASA_CACHE_DIRECTORY": str(cache)}),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return round(time.perf_counter() - began, 1)


class CoachBot:
    """The psoas coach as ``scripts/run`` starts it (typed messages only)."""

    name = "coach"
    conversation = COACH_CONVERSATION

    def __init__(
        self,
        workdir: Path,
        prerender: bool = True,
        env: Dict[str, str] | None = None,
        launcher: List[str] | None = None,
    ) -> None:
        """``launcher``: what runs Rasa's command line instead of the ``rasa``
        script (``bench.speed.profile``: under a profiler)."""
        self.workdir = workdir
        self.stack = Stack(workdir, env={"RASA_TELEMETRY_ENABLED": "false", **(env or {})})
        self.prerender = prerender
        self.launcher = launcher
        self.training_seconds: float | None = None

    def train(self) -> None:
        """Trains the coach from scratch into the temp folder (the model the
        stack runs stays ``models/psoas-coach.tar.gz``)."""
        self.training_seconds = timed_training(
            ["train", "--out", str(self.workdir / "trained"), "--quiet"],
            ROOT,
            self.workdir / "cache",
            self.workdir / "train.log",
        )

    def start(self) -> None:
        if self.prerender:
            subprocess.run(
                [sys.executable, "-m", "coach.tools.prerender_audio"],
                env=self.stack.env,
                check=True,
                capture_output=True,
            )
        self.stack.start_actions()
        self.stack.start_rasa(self.launcher)

    def stop(self) -> None:
        self.stack.stop_rasa()
        self.stack.stop_actions()

    @property
    def url(self) -> str:
        return self.stack.url

    def pids(self) -> Dict[str, int]:
        assert self.stack.rasa is not None and self.stack.actions is not None
        return {"rasa": self.stack.rasa.pid, "actions": self.stack.actions.pid}


class StockBot:
    """``rasa init --no-prompt``: the reference every Rasa user knows."""

    name = "rasa init"
    conversation = STOCK_CONVERSATION

    def __init__(self, workdir: Path) -> None:
        self.folder = workdir / "stock"
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.training_seconds: float | None = None

    def train(self) -> None:
        """``rasa init`` scaffolds and trains; timed from an empty cache."""
        self.folder.mkdir(parents=True, exist_ok=True)  # rasa init wants it there
        self.training_seconds = timed_training(
            ["init", "--no-prompt", "--init-dir", str(self.folder)],
            self.workdir,
            self.workdir / "stock-cache",
            self.workdir / "stock-train.log",
        )

    def start(self) -> None:
        if not (self.folder / "models").is_dir():
            self.train()
        log = open(self.workdir / "stock-rasa.log", "ab")  # noqa: SIM115 - as long as the process
        self.process = subprocess.Popen(
            [RASA, "run", "--model", "models", "--port", str(self.port)],
            cwd=self.folder,
            env=quiet_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.url}/", self.process)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def pids(self) -> Dict[str, int]:
        assert self.process is not None
        return {"rasa": self.process.pid}
