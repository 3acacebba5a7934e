"""espeak-ng: the offline voice (Debian package ``espeak-ng``); WAV."""

from __future__ import annotations

import shutil
import struct
import subprocess

from coach.speech.tts.base import MEDIA_TYPES, Audio, SpeechError, SpeechSynthesizer, require_text


class EspeakSynthesizer(SpeechSynthesizer):
    """The offline espeak-ng voice (Debian package ``espeak-ng``); WAV.

    The text goes to the binary on stdin, never through a shell or as an option.
    """

    def __init__(
        self,
        voice: str = "en-us",
        speed: int = 160,
        timeout: float = 10.0,
        binary: str = "espeak-ng",
    ) -> None:
        if not 80 <= speed <= 450:
            raise ValueError(f"espeak-ng speed must be 80-450 words per minute, not {speed}")
        if not voice or voice.startswith("-"):
            raise ValueError(f"bad espeak-ng voice {voice!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.voice = voice
        self.speed = speed
        self.timeout = timeout
        self.binary = binary

    @property
    def engine(self) -> str:
        return "espeak"

    def voice_key(self) -> str:
        return f"voice={self.voice}|speed={self.speed}"

    def synthesize(self, text: str) -> Audio:
        require_text(text)
        binary = shutil.which(self.binary)
        if binary is None:
            raise SpeechError(
                f"{self.binary} not found: install the Debian package espeak-ng "
                "(scripts/common.sh: ensure_system_packages)"
            )
        command = [binary, "-v", self.voice, "-s", str(self.speed), "--stdout", "--stdin"]
        try:
            done = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SpeechError(f"espeak-ng timed out after {self.timeout} s") from exc
        except OSError as exc:
            raise SpeechError(f"espeak-ng could not run: {exc}") from exc
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[:300]
            raise SpeechError(f"espeak-ng exited with {done.returncode}: {detail}")
        if not done.stdout:
            raise SpeechError("espeak-ng produced no audio")
        data = _fix_wav_sizes(done.stdout)
        return Audio(data=data, media_type=MEDIA_TYPES["wav"], extension="wav")


def _fix_wav_sizes(data: bytes) -> bytes:
    """The WAV with real RIFF and data sizes.

    Writing to a pipe, espeak-ng cannot seek back, so it leaves placeholder sizes
    (about 2 GB) in the header; players would show a wrong duration.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("espeak-ng did not produce WAV audio")
    fixed = bytearray(data)
    struct.pack_into("<I", fixed, 4, len(fixed) - 8)
    position = 12
    while position + 8 <= len(fixed):
        chunk_id = bytes(fixed[position : position + 4])
        if chunk_id == b"data":
            size = len(fixed) - position - 8
            if size <= 0:
                raise SpeechError("espeak-ng produced no audio")
            struct.pack_into("<I", fixed, position + 4, size)
            return bytes(fixed)
        (size,) = struct.unpack_from("<I", fixed, position + 4)
        position += 8 + size + (size & 1)
    raise SpeechError("espeak-ng WAV output has no data chunk")
