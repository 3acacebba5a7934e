"""A recognition worker process: ``python -m coach.speech.asr.worker --serve DIR
[--engine whisper|pocketsphinx] [--whisper-model DIR] [--threads N] [--content DIR]``.

The pool (``coach.speech.asr.pool``) starts these. Protocol, over stdin and
stdout, one request at a time:

* on start: one JSON line, ``{"ready": true}`` or ``{"error": "..."}`` (then it exits);
* request: one JSON line ``{"model": "...", "bytes": N}``, then N bytes of PCM;
* response: one JSON line, a ``Recognition``'s fields or ``{"error": "..."}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Sequence

from coach.settings import (
    DEFAULT_CONTENT_DIR,
    DEFAULT_RECOGNIZER,
    DEFAULT_WHISPER_THREADS,
    KNOWN_RECOGNIZERS,
)
from coach.speech.asr.engines import build_recognizer


def serve(
    directory: Path,
    stdin: Any = None,
    stdout: Any = None,
    engine: str = DEFAULT_RECOGNIZER,
    whisper_model: Path | None = None,
    threads: int = DEFAULT_WHISPER_THREADS,
    content_dir: Path = DEFAULT_CONTENT_DIR,
) -> int:
    """The worker loop: recognise requests from stdin until it closes."""
    reader = stdin or sys.stdin.buffer
    writer = stdout or sys.stdout.buffer
    try:
        recognizer = build_recognizer(engine, directory, whisper_model, threads, content_dir)
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
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        writer.write((json.dumps(result) + "\n").encode())
        writer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a speech recognition worker")
    parser.add_argument("--serve", type=Path, required=True, help="speech model folder")
    parser.add_argument("--engine", choices=KNOWN_RECOGNIZERS, default=DEFAULT_RECOGNIZER)
    parser.add_argument("--whisper-model", type=Path, default=None, help="a Whisper folder")
    parser.add_argument("--threads", type=int, default=DEFAULT_WHISPER_THREADS)
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT_DIR, help="content folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return serve(
        args.serve,
        engine=args.engine,
        whisper_model=args.whisper_model,
        threads=max(1, args.threads),
        content_dir=args.content,
    )


if __name__ == "__main__":
    sys.exit(main())
