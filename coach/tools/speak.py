"""Speech made on the spot for tests and benchmarks: a sentence said by espeak-ng.

Not the coach's own voice service (``coach.speech.tts``, with its cache and
fallbacks): the raw WAV espeak-ng streams, which is what a microphone
recording is stood in for.
"""

from __future__ import annotations

import subprocess


def espeak_wav(text: str, voice: str = "en-us", speed: int = 160) -> bytes:
    """``text`` said by espeak-ng, as the WAV it writes (22.05 kHz, streamed header)."""
    return subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
