"""Recognition for a server's event loop: a pool of worker processes.

pocketsphinx holds the GIL while it decodes, and Whisper's CPU threads would
compete with the event loop's: each recogniser runs in its own process
(``coach.speech.asr.worker``). Workers start with the server (``start``), take
one request at a time each, and a worker that crashes or hangs is replaced.
The composition root builds the one pool of a process
(``coach.services.Services.recognition``) from ``Settings.speech_model_dir``
and ``Settings.recognizer_workers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List

from coach.settings import (
    DEFAULT_CONTENT_DIR,
    DEFAULT_RECOGNIZER,
    DEFAULT_RECOGNIZER_WORKERS,
    DEFAULT_WHISPER_THREADS,
    PROJECT_ROOT,
)
from coach.speech.asr.base import Recognition, RecognitionError
from coach.speech.lm.names import MODEL_NAMES

logger = logging.getLogger(__name__)

WORKER_MODULE = "coach.speech.asr.worker"
REQUEST_TIMEOUT_SECONDS = 30.0
QUEUE_TIMEOUT_SECONDS = 15.0  # no worker free by then: busy (the user may type)


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def ask(self, samples: bytes, model: str) -> Dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        header = json.dumps({"model": model, "bytes": len(samples)}).encode() + b"\n"
        self.process.stdin.write(header + samples)
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RecognitionError("the recognition worker stopped")
        answer: Dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        with contextlib.suppress(Exception):
            await self.process.wait()


class RecognitionPool:
    """Recognition in a pool of worker processes, for the server's event loop."""

    def __init__(
        self,
        model_dir: Path,
        workers: int = DEFAULT_RECOGNIZER_WORKERS,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        engine: str = DEFAULT_RECOGNIZER,
        whisper_model: Path | None = None,
        threads: int = DEFAULT_WHISPER_THREADS,
        content_dir: Path = DEFAULT_CONTENT_DIR,
    ) -> None:
        self.directory = Path(model_dir)
        self.engine = engine
        self.whisper_model = whisper_model
        self.threads = threads
        self.content_dir = Path(content_dir)
        self.size = max(1, workers)
        self.timeout = timeout
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: List[_Worker] = []
        self._starting: asyncio.Lock | None = None

    async def start(self) -> None:
        """Starts the workers (idempotent); raises if they cannot load the models."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._idle is not None:
                return
            # last in, first out: a recording's second look (the barge-in list
            # after the command model) goes to the worker that has just encoded it
            idle: asyncio.Queue[_Worker] = asyncio.LifoQueue()
            started = await asyncio.gather(
                *(self._spawn() for _ in range(self.size)), return_exceptions=True
            )
            workers = [w for w in started if isinstance(w, _Worker)]
            failed = [e for e in started if isinstance(e, BaseException)]
            if failed:  # all or nothing: no worker is left running outside the pool
                for worker in workers:
                    await worker.stop()
                    self._all.remove(worker)
                raise failed[0]
            for worker in workers:
                idle.put_nowait(worker)
            self._idle = idle

    async def _spawn(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            WORKER_MODULE,
            "--serve",
            str(self.directory),
            "--engine",
            self.engine,
            "--threads",
            str(self.threads),
            "--content",
            str(self.content_dir),
            *(("--whisper-model", str(self.whisper_model)) if self.whisper_model else ()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=str(PROJECT_ROOT),
            limit=1 << 20,
        )
        worker = _Worker(process)
        assert process.stdout is not None
        try:
            ready = await asyncio.wait_for(process.stdout.readline(), self.timeout)
            status = json.loads(ready or b"{}")
        except (asyncio.TimeoutError, ValueError) as exc:
            await worker.stop()
            raise RecognitionError("a recognition worker did not start") from exc
        if not status.get("ready"):
            await worker.stop()
            raise RecognitionError(str(status.get("error") or "a recognition worker failed"))
        self._all.append(worker)
        return worker

    async def recognize(self, samples: bytes, model: str) -> Recognition:
        if model not in MODEL_NAMES:
            raise ValueError(f"unknown language model {model!r}")
        await self.start()
        assert self._idle is not None
        await self._heal_idle()
        try:
            worker = await asyncio.wait_for(self._idle.get(), QUEUE_TIMEOUT_SECONDS)
        except asyncio.TimeoutError as exc:
            raise RecognitionError("every recognition worker is busy") from exc
        if not worker.alive:  # died while idle (killed, out of memory): a fresh one
            try:
                worker = await self._fresh(worker)
            except RecognitionError:
                self._idle.put_nowait(worker)  # the next request tries again
                raise
        healthy = True
        try:
            answer = await asyncio.wait_for(worker.ask(samples, model), self.timeout)
        except (asyncio.TimeoutError, RecognitionError, OSError, ValueError) as exc:
            healthy = False
            raise RecognitionError(f"recognition failed: {exc!r}") from exc
        finally:
            if healthy and worker.alive:
                self._idle.put_nowait(worker)
            else:
                await self._replace(worker)
        if "error" in answer:
            raise RecognitionError(str(answer["error"]))
        return Recognition(
            transcript=str(answer["transcript"]),
            confidence=float(answer["confidence"]),
            model=str(answer["model"]),
            speech_seconds=float(answer["speech_seconds"]),
            engine=str(answer.get("engine", self.engine)),
        )

    async def _heal_idle(self) -> None:
        """Replaces idle workers that died (killed, out of memory): taken last
        in first out, a worker at the bottom might otherwise never be looked at."""
        assert self._idle is not None
        if all(w.alive for w in self._all):
            return
        idle: List[_Worker] = []
        while not self._idle.empty():
            idle.append(self._idle.get_nowait())
        for worker in reversed(idle):  # the same order back
            if not worker.alive:
                try:
                    worker = await self._fresh(worker)
                except RecognitionError:
                    logger.exception("could not restart a recognition worker")
            self._idle.put_nowait(worker)

    async def _fresh(self, worker: _Worker) -> _Worker:
        """A new worker in place of ``worker`` (stopped)."""
        await worker.stop()
        with contextlib.suppress(ValueError):
            self._all.remove(worker)
        return await self._spawn()

    async def _replace(self, worker: _Worker) -> None:
        assert self._idle is not None
        try:
            self._idle.put_nowait(await self._fresh(worker))
        except RecognitionError:
            logger.exception("could not restart a recognition worker")
            # back in the queue, dead: the next request tries again (and fails
            # fast if it cannot) instead of waiting for a worker that never comes
            self._idle.put_nowait(worker)

    @property
    def pids(self) -> List[int]:
        return [w.process.pid for w in self._all if w.alive]

    async def close(self) -> None:
        """Stops every worker; a later ``start`` (in this or another event loop)
        starts fresh ones."""
        for worker in list(self._all):
            await worker.stop()
        self._all.clear()
        self._idle = None
        self._starting = None
