"""gTTS: Google Translate's voice (needs the internet); MP3.

The ``gtts`` library is imported on first use, never at import time.
"""

from __future__ import annotations

import io
import time

from coach.speech.tts.base import MEDIA_TYPES, Audio, SpeechError, SpeechSynthesizer, require_text


class GTTSSynthesizer(SpeechSynthesizer):
    """Google Translate's voice through gTTS (needs the internet); MP3.

    ``timeout`` bounds each HTTP request, and the whole synthesis is abandoned
    once it has run past ``timeout`` (long texts take several requests).
    """

    def __init__(
        self, lang: str = "en", tld: str = "com", slow: bool = False, timeout: float = 3.0
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.lang = lang
        self.tld = tld
        self.slow = slow
        self.timeout = timeout

    @property
    def engine(self) -> str:
        return "gtts"

    def voice_key(self) -> str:
        return f"lang={self.lang}|tld={self.tld}|slow={self.slow}"

    def synthesize(self, text: str) -> Audio:
        require_text(text)
        try:
            from gtts import gTTS
            from gtts.tts import gTTSError
        except ImportError as exc:
            raise SpeechError(f"gTTS is not installed: {exc}") from exc
        buffer = _DeadlineBuffer(time.monotonic() + self.timeout)
        try:
            tts = gTTS(text, tld=self.tld, lang=self.lang, slow=self.slow, timeout=self.timeout)
            tts.write_to_fp(buffer)
        except SpeechError:
            raise
        except gTTSError as exc:
            raise SpeechError(f"gTTS failed: {exc}") from exc
        except Exception as exc:
            raise SpeechError(f"gTTS failed: {type(exc).__name__}: {exc}") from exc
        data = buffer.getvalue()
        if not data:
            raise SpeechError("gTTS returned no audio")
        return Audio(data=data, media_type=MEDIA_TYPES["mp3"], extension="mp3")


class _DeadlineBuffer(io.BytesIO):
    """A buffer that refuses writes once the deadline has passed (gTTS writes per part)."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if time.monotonic() > self._deadline:
            raise SpeechError("gTTS timed out")
        return super().write(data)
