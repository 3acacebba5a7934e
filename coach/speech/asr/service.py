"""Speech to text, offline: pocketsphinx with language models built from ``data/``.

* :class:`SpeechRecognizer` is the interface: 16 kHz mono PCM and the name of a
  language model in, a :class:`Recognition` out (a transcript and a confidence).
* :class:`PocketsphinxRecognizer` implements it in-process with the models of
  :mod:`coach.speech.lm.build` (``models/speech``): one decoder, one search per
  model. Its confidence is the geometric mean of the word posteriors from the
  lattice: high when the words fit both the sound and the model, low for
  speech the assistant does not expect (chatter, the coach's own voice) and for
  misheard words, so a low score means "I didn't catch that", not a guess.
* :class:`RecognitionService` runs recognisers in worker processes
  (``python -m coach.speech.asr.service --serve``), because pocketsphinx holds the
  GIL while it decodes: in a thread it would still stall the server's event
  loop. Workers start with the server, one request at a time each, and a worker
  that crashes or hangs is replaced.

Nothing here loads a model at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import re
import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from coach.settings import PROJECT_ROOT
from coach.speech.asr.audio_input import SAMPLE_RATE, prepare_for_recognition
from coach.speech.lm.build import (
    BARGE_IN,
    CLOSED_MODELS,
    COMMANDS,
    DEFAULT_OUT_DIR,
    DICTIONARY,
    MODEL_NAMES,
    QUESTIONS,
    closed_form,
)
from coach.text.numbers import ONES, TENS, WORD_VALUES, alternation

logger = logging.getLogger(__name__)

MODEL_DIR_ENV = "PSOAS_SPEECH_MODEL_DIR"
WORKERS_ENV = "PSOAS_RECOGNIZER_WORKERS"
MIN_SPEECH_SECONDS = 0.15  # less voiced audio than this: nothing was said
REQUEST_TIMEOUT_SECONDS = 30.0
QUEUE_TIMEOUT_SECONDS = 15.0  # no worker free by then: busy (the user may type)
FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"})
# words that say nothing on their own: a transcript of only these (noise heard
# as "the on and", a hum heard as "um") is never acted upon, however sure
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "as",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "up",
        "off",
        "out",
        "into",
        "over",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "than",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "us",
        "our",
        "he",
        "she",
        "him",
        "her",
        "they",
        "them",
        "their",
        "um",
        "uh",
        "er",
        "erm",
        "hmm",
        "mm",
        "mhm",
        "ah",
        "oh",
        "eh",
        "huh",
        "well",
        "like",
        "just",
    ]
)

# Lowest confidence acted upon, per model (bench/voice.py and bench/barge_in.py
# measured these; see docs/benchmarks.md, "Thresholds" and "Barge-in decoys").
# Questions: where a wrong answer costs about three "I didn't catch that"s.
# Commands (the open microphone's model): the lowest level at which no everyday
# chatter was acted upon. Barge-in: its closed list and its decoys (the other
# commands, heard as themselves and never accepted), not this level, keep the
# coach's voice, chatter and the other commands out; the level only has to keep
# a misheard "stop", "ouch" or "it hurts" from being missed: 0.35 acted on 88%
# of them and on nothing else at 0.20 to 0.50 but one "okay pause".
MIN_CONFIDENCE: Dict[str, float] = {QUESTIONS: 0.5, COMMANDS: 0.65, BARGE_IN: 0.35}


def model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or DEFAULT_OUT_DIR)


@dataclass(frozen=True)
class Recognition:
    """What was heard: the words, how sure, with which model, how much speech."""

    transcript: str
    confidence: float
    model: str
    speech_seconds: float
    # the bar this recognition has to clear, when not its model's (a red flag
    # mid-routine is acted upon at a lower one: channels.voice)
    min_confidence: float | None = None

    @property
    def heard_speech(self) -> bool:
        return bool(self.transcript)

    @property
    def says_something(self) -> bool:
        """At least one word that is not a function word or a filler."""
        return any(word not in FUNCTION_WORDS for word in self.transcript.split())

    def accepted(self, threshold: float | None = None) -> bool:
        """Confident enough, and meaningful enough, to act upon."""
        limit = threshold
        if limit is None:
            limit = self.min_confidence
        if limit is None:
            limit = MIN_CONFIDENCE.get(self.model, 0.5)
        return self.says_something and self.confidence >= limit


class RecognitionError(Exception):
    """The recogniser failed (not: heard nothing)."""


class SpeechRecognizer(ABC):
    """Turns speech into text."""

    @abstractmethod
    def recognize(self, samples: bytes, model: str) -> Recognition:
        """``samples``: 16 kHz mono 16-bit PCM; ``model``: one of ``MODEL_NAMES``."""


# --- transcripts ------------------------------------------------------------------

_UNIT = r"(seconds?|minutes?)"
_TENS_WORD = f"({alternation(TENS[2:])})"
_SMALL_WORD = f"({alternation(ONES[1:])})"
_DURATION = re.compile(
    rf"\b(?:(?:(one) hundred (?:and )?)?{_TENS_WORD}(?: {_SMALL_WORD})?|{_SMALL_WORD}"
    rf"|(one) hundred(?: and {_SMALL_WORD})?) {_UNIT}\b"
)


def _duration_digits(match: re.Match[str]) -> str:
    hundred_a, tens, ones_a, small, hundred_b, small_b, unit = match.groups()
    value = 0
    if hundred_a or hundred_b:
        value += 100
    for word in (tens, ones_a, small, small_b):
        if word:
            value += WORD_VALUES[word]
    return f"{value} {unit}"


def tidy_transcript(words: Sequence[str]) -> str:
    """Recogniser words -> the assistant's text ("forty five seconds" -> "45 seconds")."""
    text = " ".join(w for w in words if w and w not in FILLERS)
    text = re.sub(r"\(\d+\)", "", text)  # pronunciation variants: "psoas(2)"
    return _DURATION.sub(_duration_digits, text).strip()


# --- pocketsphinx -------------------------------------------------------------------


class PocketsphinxRecognizer(SpeechRecognizer):
    """In-process pocketsphinx; not thread-safe (one decoder), loaded on first use."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or model_dir()
        self._decoder: Any = None
        self._closed: Dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Loads the acoustic model and every language model (about 0.3 s)."""
        from pocketsphinx import Decoder, get_model_path

        missing = [
            n
            for n in (*(f"{m}.lm" for m in MODEL_NAMES), DICTIONARY)
            if not (self.directory / n).exists()
        ]
        if missing:
            raise RecognitionError(
                f"speech models missing in {self.directory} ({', '.join(missing)}): "
                "run `python -m coach.speech.lm.build`"
            )
        decoder = Decoder(
            hmm=os.path.join(get_model_path(), "en-us", "en-us"),
            dict=str(self.directory / DICTIONARY),
            lm=str(self.directory / f"{QUESTIONS}.lm"),
            loglevel="FATAL",
        )
        for name in MODEL_NAMES:
            decoder.add_lm_file(name, str(self.directory / f"{name}.lm"))
        for name in CLOSED_MODELS:
            path = self.directory / f"{name}.sentences"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            self._closed[name] = frozenset(line.strip() for line in lines if line.strip())
        self._decoder = decoder

    def speech_seconds(self, samples: bytes) -> float:
        """Seconds of voiced audio (WebRTC's voice activity detector, a fresh one
        for each recording: it carries state from one frame to the next)."""
        from pocketsphinx import Vad

        vad = Vad(mode=Vad.MEDIUM_LOOSE, sample_rate=SAMPLE_RATE)
        size = vad.frame_bytes
        voiced = sum(
            1
            for start in range(0, len(samples) - size + 1, size)
            if vad.is_speech(samples[start : start + size])
        )
        return float(voiced * vad.frame_length)

    def recognize(self, samples: bytes, model: str) -> Recognition:
        if model not in MODEL_NAMES:
            raise ValueError(f"unknown language model {model!r}")
        with self._lock:
            if self._decoder is None:
                self.load()
            prepared = prepare_for_recognition(samples, seed=len(samples))
            speech = self.speech_seconds(prepared)
            if speech < MIN_SPEECH_SECONDS:
                return Recognition("", 0.0, model, speech)
            decoder = self._decoder
            # feature extraction keeps noise statistics from one utterance to the
            # next: reset, so that what a worker heard before (another
            # conversation) never changes what it hears now
            decoder.reinit_feat()
            decoder.activate_search(model)
            decoder.start_utt()
            decoder.process_raw(prepared, full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            if hypothesis is None or not hypothesis.hypstr.strip():
                return Recognition("", 0.0, model, speech)
            words: List[Tuple[str, float]] = [
                (segment.word, float(segment.prob))
                for segment in decoder.seg()
                if segment.word not in FILLERS
            ]
        transcript = tidy_transcript([w for w, _ in words])
        if not transcript:
            return Recognition("", 0.0, model, speech)
        logs = [math.log(min(1.0, max(p, 1e-12))) for _, p in words]
        confidence = math.exp(sum(logs) / len(logs)) if logs else 0.0
        if model in self._closed:
            spoken = closed_form(re.sub(r"\(\d+\)", "", " ".join(w for w, _ in words)).split())
            if spoken not in self._closed[model]:
                confidence = 0.0  # not one of the model's sentences: never acted upon
        return Recognition(transcript, round(confidence, 4), model, round(speech, 2))


# --- worker processes -------------------------------------------------------------
#
# Request:  one JSON line {"model": "...", "bytes": N}, then N bytes of PCM.
# Response: one JSON line, a Recognition or {"error": "..."}.


def serve(directory: Path, stdin: Any = None, stdout: Any = None) -> int:
    """The worker loop: recognise requests from stdin until it closes."""
    reader = stdin or sys.stdin.buffer
    writer = stdout or sys.stdout.buffer
    recognizer = PocketsphinxRecognizer(directory)
    try:
        recognizer.load()
        writer.write(b'{"ready": true}\n')
    except Exception as exc:  # reported to the parent, which logs it
        writer.write((json.dumps({"error": f"cannot load: {exc}"}) + "\n").encode())
        writer.flush()
        return 1
    writer.flush()
    while True:
        header = reader.readline()
        if not header:
            return 0
        try:
            request = json.loads(header)
            samples = reader.read(int(request["bytes"]))
            result: Dict[str, Any] = asdict(recognizer.recognize(samples, str(request["model"])))
            del result["min_confidence"]  # the channel's policy, never the worker's
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        writer.write((json.dumps(result) + "\n").encode())
        writer.flush()


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


class RecognitionService:
    """Recognition in a pool of worker processes, for the server's event loop."""

    def __init__(
        self,
        directory: Path | None = None,
        workers: int | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.directory = directory or model_dir()
        self.size = max(1, workers or int(os.environ.get(WORKERS_ENV) or 2))
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
            idle: asyncio.Queue[_Worker] = asyncio.Queue()
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
            "coach.speech.asr.service",
            "--serve",
            str(self.directory),
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
        )

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
        for worker in list(self._all):
            await worker.stop()
        self._all.clear()
        self._idle = None


_services: Dict[int, RecognitionService] = {}


def get_recognition_service() -> RecognitionService:
    """The service of the running event loop (built on first use)."""
    loop = asyncio.get_running_loop()
    key = id(loop)
    if key not in _services:
        _services[key] = RecognitionService()
    return _services[key]


def set_recognition_service(service: RecognitionService | None) -> None:
    """Replace the running loop's service (tests); ``None`` forgets it."""
    key = id(asyncio.get_running_loop())
    if service is None:
        _services.pop(key, None)
    else:
        _services[key] = service


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pocketsphinx recognition worker")
    parser.add_argument("--serve", type=Path, required=True, help="speech model folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return serve(args.serve)


if __name__ == "__main__":
    sys.exit(main())
