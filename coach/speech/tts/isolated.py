"""An engine that speaks in a worker process of its own (``coach.speech.tts.worker``).

Piper's model and onnxruntime's buffers took 100-650 MiB of the Rasa server's
memory once it had said a few new long sentences (docs/benchmarks.md,
"Speed"); in a worker they cost the server nothing, a crash of onnxruntime
cannot take the server with it, and the server's event loop never shares a
core's GIL with the phonemizer. The worker starts on the first text that is
not in the audio cache (pre-rendered answers never start it), says one text at
a time, is started again if it dies, and one that does not answer within
``timeout`` seconds is killed: the text then goes to the next engine of the
chain (espeak-ng), as any engine failure does.

Its cache key is the engine's own (``engine``, ``voice_key``): audio rendered
in process (the pre-render tool) and in the worker is the same audio.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

from coach.settings import PROJECT_ROOT
from coach.speech.tts.base import Audio, SpeechError, SpeechSynthesizer, require_text

logger = logging.getLogger(__name__)

WORKER_MODULE = "coach.speech.tts.worker"
TIMEOUT_SECONDS = 30.0  # a long answer takes about 2 s; loading the voice 1.5 s


class IsolatedSynthesizer(SpeechSynthesizer):
    """``engine`` (its name, cache key and voice from ``twin``) in a worker process."""

    def __init__(
        self,
        twin: SpeechSynthesizer,
        model: Path | None = None,
        steady: bool = False,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.twin = twin  # the in-process engine whose audio the worker makes
        self.model = model
        self.steady = steady
        self.timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return self.twin.engine

    def voice_key(self) -> str:
        return self.twin.voice_key()

    @property
    def pid(self) -> int | None:
        """The worker's process id (None: not started, or stopped)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def _command(self) -> List[str]:
        command = [sys.executable, "-m", WORKER_MODULE, "--engine", self.twin.engine]
        if self.model is not None:
            command += ["--model", str(self.model)]
        return command + (["--steady"] if self.steady else [])

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            if self._process is not None:
                logger.warning("the %s worker stopped; starting it again", self.engine)
            try:
                self._process = subprocess.Popen(
                    self._command(),
                    cwd=PROJECT_ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env={**os.environ, "OMP_NUM_THREADS": "1"},
                )
            except OSError as exc:
                raise SpeechError(f"cannot start the {self.engine} worker: {exc}") from exc
        return self._process

    def stop(self) -> None:
        with self._lock:
            self._kill()

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None

    def synthesize(self, text: str) -> Audio:
        require_text(text)
        request = json.dumps({"text": text}).encode() + b"\n"
        with self._lock:
            try:
                return self._ask(request)
            except _Stopped:
                # died since the last text (an out-of-memory kill) or on this one:
                # one more try in a new worker
                self._kill()
                try:
                    return self._ask(request)
                except _Stopped as exc:
                    self._kill()
                    raise SpeechError(f"the {self.engine} worker stopped twice: {exc}") from exc

    def _ask(self, request: bytes) -> Audio:
        process = self._worker()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(request)
            process.stdin.flush()
            with _Reader(process.stdout.fileno(), time.monotonic() + self.timeout) as reader:
                header: Dict[str, Any] = json.loads(reader.line())
                if not header.get("ok"):
                    raise SpeechError(f"{self.engine}: {header.get('error', 'failed')}")
                data = reader.exactly(int(header["bytes"]))
        except (TimeoutError, ValueError, KeyError) as exc:
            # (TimeoutError first: it is an OSError too) a worker that hangs or
            # garbles is not asked again, and the text goes to the next engine
            self._kill()
            raise SpeechError(f"the {self.engine} worker failed: {exc}") from exc
        except (OSError, EOFError) as exc:  # a broken pipe, or the end of its output
            raise _Stopped(str(exc)) from exc
        return Audio(
            data=data, media_type=str(header["media_type"]), extension=str(header["extension"])
        )


class _Stopped(Exception):
    """The worker is gone (its pipe broke or closed)."""


class _Reader:
    """Reads a worker's reply from its raw pipe, never past a deadline."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.fd = fd
        self.deadline = deadline
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        self.selector.register(fd, selectors.EVENT_READ)

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *_: object) -> None:
        self.selector.close()

    def _more(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0 or not self.selector.select(left):
            raise TimeoutError("no answer in time")
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            raise EOFError("the worker stopped")
        self.buffer += chunk

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            self._more()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._more()
        return self.buffer[:count]
