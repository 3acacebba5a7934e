"""Speech made on the spot for tests and benchmarks: a sentence said by
espeak-ng or by piper (without its random variation, so the same text gives
the same samples).

Not the coach's own voice service (``coach.speech.tts``, with its cache and
fallbacks): the raw WAV an engine writes, which is what a microphone
recording is stood in for. From the shell (the browser tests use it):

    python -m coach.tools.speak --voice piper --out said.wav "pause"
    python -m coach.tools.speak --voice en-gb --speed 150 --out said.wav "pause"
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Sequence

PIPER = "piper"


def espeak_wav(text: str, voice: str = "en-us", speed: int = 160) -> bytes:
    """``text`` said by espeak-ng, as the WAV it writes (22.05 kHz, streamed header)."""
    return subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout


def piper_wav(text: str) -> bytes:
    """``text`` in piper's packaged voice, without variation (22.05 kHz WAV)."""
    from coach.speech.tts.piper import PiperSynthesizer

    return PiperSynthesizer(varied=False).synthesize(text).data


def spoken_wav(text: str, voice: str = "en-us", speed: int = 160) -> bytes:
    """``text`` said by espeak-ng ``voice`` at ``speed``, or by piper (``PIPER``)."""
    return piper_wav(text) if voice == PIPER else espeak_wav(text, voice, speed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="say a sentence into a WAV file")
    parser.add_argument("text")
    parser.add_argument("--voice", default="en-us", help="piper, or an espeak-ng voice")
    parser.add_argument("--speed", type=int, default=160, help="espeak-ng's words a minute")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.write_bytes(spoken_wav(args.text, args.voice, args.speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
