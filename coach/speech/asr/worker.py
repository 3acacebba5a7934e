"""A recognition worker process: ``python -m coach.speech.asr.worker --serve DIR``.

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

from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer


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
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        writer.write((json.dumps(result) + "\n").encode())
        writer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pocketsphinx recognition worker")
    parser.add_argument("--serve", type=Path, required=True, help="speech model folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return serve(args.serve)


if __name__ == "__main__":
    sys.exit(main())
