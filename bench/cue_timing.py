"""Benchmark: how precisely timed cues land over socket.io, and how fast a routine starts.

Starts its own stack (offline voice, fresh audio cache unless --warm), follows the
knee to chest stretch with 30-second holds as the web widget would, and reports:
- the error of each timed cue (halfway, ten seconds left, release): arrival at the
  client minus the time the server scheduled it for (same machine, same clock);
- the time from "guide me through a psoas stretch" to the first message with an
  audio URL, with a cold cache and after pre-rendering.

    .venv/bin/python -m bench.cue_timing [--holds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import socketio

from coach.tools.stack import ROOT, Stack

TIMED = ("halfway", "ten seconds left", "release")


class Recorder:
    def __init__(self, url: str) -> None:
        self.session = f"bench-{uuid.uuid4().hex[:8]}"
        self.messages: List[Tuple[float, Dict[str, Any]]] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        confirmed = threading.Event()
        self.sio.on("session_confirm", lambda *_: confirmed.set())
        self.sio.on("bot_uttered", self._record)
        self.sio.connect(url, transports=["websocket"], wait_timeout=20)
        self.sio.emit("session_request", {"session_id": self.session, "rich": True})
        confirmed.wait(20)

    def _record(self, data: Dict[str, Any]) -> None:
        with self.changed:
            self.messages.append((time.time(), data))
            self.changed.notify_all()

    def say(self, text: str) -> float:
        sent = time.time()
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session})
        return sent

    def wait(self, predicate: Any, timeout: float, after: int) -> Tuple[float, Dict[str, Any]]:
        deadline = time.time() + timeout
        with self.changed:
            while True:
                for arrived, message in self.messages[after:]:
                    if predicate(message):
                        return arrived, message
                if time.time() > deadline:
                    raise TimeoutError("no such message")
                self.changed.wait(deadline - time.time())


def follow(stack: Stack, holds: int) -> Dict[str, Any]:
    client = Recorder(stack.url)
    try:
        sent = client.say("guide me through a psoas stretch")
        first_audio, _ = client.wait(lambda m: m.get("audio_url"), 60, 0)
        schedule: Dict[str, float] = {}
        errors: Dict[str, List[float]] = {name: [] for name in TIMED}
        seen = 0
        done_holds = 0
        while done_holds < holds:
            arrived, message = client.wait(lambda m: True, 120, seen)
            seen += 1
            routine = message.get("routine") or {}
            for item in routine.get("schedule", []):
                schedule[item["cue"]] = item["at"]
            text = str(message.get("text", "")).lower()
            for name, cue in (("halfway", "halfway"), ("ten seconds left", "ten_seconds_left")):
                if text.startswith(name) and cue in schedule:
                    errors[name].append((arrived - schedule.pop(cue)) * 1000)
            if text.startswith("and release") and "hold_end" in schedule:
                errors["release"].append((arrived - schedule.pop("hold_end")) * 1000)
                done_holds += 1
        return {"first_audio_ms": round((first_audio - sent) * 1000, 1), "errors_ms": errors}
    finally:
        client.sio.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--holds", type=int, default=2, help="30-second holds to time")
    args = parser.parse_args()
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack(Path(workdir), env={"PSOAS_TTS_ENGINES": "espeak"})
        try:
            stack.start_actions()
            stack.start_rasa()
            cold = follow(stack, args.holds)
            subprocess.run(
                [sys.executable, "-m", "coach.tools.prerender_audio"],
                cwd=ROOT,
                env=stack.env,
                check=True,
                capture_output=True,
            )
            warm = follow(stack, 1)
        finally:
            stack.stop_rasa()
            stack.stop_actions()
    all_errors = [e for values in cold["errors_ms"].values() for e in values]
    results = {
        "cue_error_ms": {
            name: [round(e, 1) for e in values] for name, values in cold["errors_ms"].items()
        },
        "cue_error_summary_ms": {
            "n": len(all_errors),
            "median": round(statistics.median(all_errors), 1),
            "max_abs": round(max(abs(e) for e in all_errors), 1),
        },
        "start_to_first_audio_ms": {
            "cold_cache": cold["first_audio_ms"],
            "prerendered": warm["first_audio_ms"],
        },
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
