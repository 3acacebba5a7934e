"""Start a real action server and Rasa server from the trained model (tests, benchmarks)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import yaml

from coach import settings
from coach.settings import PROJECT_ROOT
from coach.tools.rasa_args import cors_arguments

ROOT = PROJECT_ROOT

MODEL = ROOT / "models" / "psoas-coach.tar.gz"
RASA = str(Path(sys.executable).parent / "rasa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Stops a server as Ctrl-C would (SIGINT), killing it after 20 s."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stack:
    """Action server + Rasa server with a SQLite tracker store in a temp folder."""

    def __init__(self, workdir: Path, env: Dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.rasa_port = free_port()
        self.actions_port = free_port()
        # the project's endpoints.yml, with this stack's port and tracker file
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
        endpoints["action_endpoint"]["url"] = f"http://localhost:{self.actions_port}/webhook"
        endpoints["tracker_store"]["db"] = str(workdir / "trackers.db")
        self.endpoints = workdir / "endpoints.yml"
        self.endpoints.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
        self.rasa: subprocess.Popen[bytes] | None = None
        self.actions: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            settings.AUDIO_DIR: str(workdir / "audio"),
            **(env or {}),
        }

    def _spawn(self, args: List[str], log: str) -> subprocess.Popen[bytes]:
        handle = open(self.workdir / log, "ab")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )

    def start_actions(self) -> None:
        self.actions = self._spawn(
            [RASA, "run", "actions", "--actions", "actions", "--port", str(self.actions_port)],
            "actions.log",
        )
        wait_for(f"http://localhost:{self.actions_port}/health", self.actions)

    def start_rasa(self, launcher: List[str] | None = None) -> None:
        """``launcher``: what runs Rasa's command line instead of the ``rasa``
        script (bench.speed.profile runs it under a profiler)."""
        self.rasa = self._spawn(
            [
                *(launcher or [RASA]),
                "run",
                "--model",
                str(MODEL),
                "--port",
                str(self.rasa_port),
                # as scripts/run: the origins of PSOAS_CORS_ORIGINS, if any
                *cors_arguments(settings.Settings.from_env(self.env)),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(self.endpoints),
            ],
            "rasa.log",
        )
        wait_for(f"http://localhost:{self.rasa_port}/", self.rasa)

    def __enter__(self) -> Stack:
        """Both servers started (and stopped on leaving, whatever happened)."""
        try:
            self.start_actions()
            self.start_rasa()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_rasa()
        self.stop_actions()

    def stop_actions(self) -> None:
        stop_process(self.actions)
        self.actions = None

    def stop_rasa(self) -> None:
        stop_process(self.rasa)
        self.rasa = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    def send(self, sender: str, message: Any, timeout: float = 60) -> List[Dict[str, Any]]:
        """POST to the REST channel; returns the bot messages (raises on HTTP errors)."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(
            f"http://localhost:{self.rasa_port}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            assert response.status == 200
            return json.loads(response.read())

    def rss_mib(self, which: str = "rasa") -> float:
        """Resident memory of the Rasa server (or the action server) in MiB."""
        process = self.rasa if which == "rasa" else self.actions
        assert process is not None
        with open(f"/proc/{process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")
