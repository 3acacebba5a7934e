"""A speech engine in a process of its own: ``python -m coach.speech.tts.worker``.

Started by ``coach.speech.tts.isolated.IsolatedSynthesizer`` (never by hand).
It reads one JSON line a request, ``{"text": "..."}``, from stdin, and writes a
JSON line back, ``{"ok": true, "bytes": N, "media_type": ..., "extension": ...}``
followed by the N bytes of audio, or ``{"ok": false, "error": "..."}``. It
loads its engine on the first request and keeps it; it ends when stdin closes
(its server stopped).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO, Dict, Sequence

from coach.speech.tts.base import SpeechError, SpeechSynthesizer
from coach.speech.tts.piper import PiperSynthesizer

ISOLATED_ENGINES = ("piper",)


def build(engine: str, model: Path | None, varied: bool) -> SpeechSynthesizer:
    if engine != "piper":
        raise SystemExit(f"no isolated engine {engine!r} (known: {', '.join(ISOLATED_ENGINES)})")
    return PiperSynthesizer(model=model, varied=varied)


def serve(synthesizer: SpeechSynthesizer, requests: BinaryIO, replies: BinaryIO) -> None:
    """Answers requests until ``requests`` ends."""
    for line in requests:
        header: Dict[str, object]
        audio = b""
        try:
            text = json.loads(line)["text"]
            if not isinstance(text, str):
                raise SpeechError("the text is not a string")
            spoken = synthesizer.synthesize(text)
            audio = spoken.data
            header = {
                "ok": True,
                "bytes": len(audio),
                "media_type": spoken.media_type,
                "extension": spoken.extension,
            }
        except (SpeechError, ValueError, KeyError, TypeError) as exc:
            header = {"ok": False, "error": str(exc) or type(exc).__name__}
        replies.write(json.dumps(header).encode() + b"\n" + audio)
        replies.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach.speech.tts.worker")
    parser.add_argument("--engine", default="piper", choices=list(ISOLATED_ENGINES))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--steady", action="store_true", help="no random variation")
    args = parser.parse_args(argv)
    # stdout is the reply channel: whatever a library prints goes to stderr
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(build(args.engine, args.model, not args.steady), sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
