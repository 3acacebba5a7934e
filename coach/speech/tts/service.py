"""Speech output: text to audio behind a small interface, with an on-disk cache.

Two engines: gTTS (Google's online voice, MP3) and espeak-ng (offline, WAV).
``FallbackSynthesizer`` tries them in order and skips an engine that just failed
for a cool-down, so an outage costs one slow message, not every message.
``AudioCache`` keeps every cue on disk under a hash of engine, voice and text,
and finds a cue cached by any engine in the chain before synthesizing anew.

Nothing heavy happens at import time: gTTS is imported when first used, the
cache folder is created on the first write, and the process-wide service is
built on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Sequence, Set, Tuple

from coach.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

AUDIO_DIR_ENV = "PSOAS_AUDIO_DIR"
DEFAULT_AUDIO_DIR = PROJECT_ROOT / "state" / "audio"

MEDIA_TYPES: Dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav"}
AUDIO_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(mp3|wav)")


def audio_dir() -> Path:
    """Folder of the audio cache (``PSOAS_AUDIO_DIR``, else ``state/audio``)."""
    return Path(os.environ.get(AUDIO_DIR_ENV) or DEFAULT_AUDIO_DIR)


class SpeechError(Exception):
    """An engine could not turn the text into audio."""


@dataclass(frozen=True)
class Audio:
    """Encoded audio and how to serve it."""

    data: bytes
    media_type: str
    extension: str


class SpeechSynthesizer(ABC):
    """Turns text into audio."""

    @property
    @abstractmethod
    def engine(self) -> str:
        """Short engine name: ``gtts``, ``espeak``."""

    @abstractmethod
    def voice_key(self) -> str:
        """Identifies the voice settings (language, accent, speed...) for cache keys."""

    @abstractmethod
    def synthesize(self, text: str) -> Audio:
        """The text spoken; raises ``SpeechError`` on any failure."""

    def candidates(self) -> Sequence[SpeechSynthesizer]:
        """The concrete engines that may produce audio, in order of preference."""
        return (self,)

    def synthesize_with_engine(self, text: str) -> Tuple[SpeechSynthesizer, Audio]:
        """The audio and the concrete engine that produced it (for cache keys)."""
        return self, self.synthesize(text)


def _require_text(text: str) -> str:
    if not text or not text.strip():
        raise SpeechError("no text to speak")
    return text


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
        _require_text(text)
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
        _require_text(text)
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


class FallbackSynthesizer(SpeechSynthesizer):
    """Tries engines in order; an engine that fails is skipped for a cool-down.

    The first failure of an outage is logged as a warning, later ones only at
    debug level; recovery is logged at info. When every engine is cooling down
    they are all tried anyway rather than giving up without trying.
    """

    def __init__(
        self,
        engines: Sequence[SpeechSynthesizer],
        cooldown: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        flat: List[SpeechSynthesizer] = [c for e in engines for c in e.candidates()]
        if not flat:
            raise ValueError("FallbackSynthesizer needs at least one engine")
        self._engines = tuple(flat)
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until: Dict[int, float] = {}
        self._failing: Set[int] = set()

    @property
    def engine(self) -> str:
        return self._engines[0].engine

    def voice_key(self) -> str:
        return self._engines[0].voice_key()

    def candidates(self) -> Sequence[SpeechSynthesizer]:
        return self._engines

    def synthesize(self, text: str) -> Audio:
        return self.synthesize_with_engine(text)[1]

    def synthesize_with_engine(self, text: str) -> Tuple[SpeechSynthesizer, Audio]:
        _require_text(text)
        now = self._clock()
        with self._lock:
            ready = [i for i in range(len(self._engines)) if self._down_until.get(i, 0.0) <= now]
        order = ready or list(range(len(self._engines)))
        errors: List[str] = []
        for index in order:
            engine = self._engines[index]
            try:
                audio = engine.synthesize(text)
            except Exception as exc:  # SpeechError by contract; a bug must not stop the chain
                self._failed(index, exc)
                errors.append(f"{engine.engine}: {exc}")
                continue
            self._succeeded(index)
            return engine, audio
        raise SpeechError("every speech engine failed: " + "; ".join(errors))

    def _failed(self, index: int, exc: Exception) -> None:
        engine = self._engines[index]
        with self._lock:
            self._down_until[index] = self._clock() + self._cooldown
            first = index not in self._failing
            self._failing.add(index)
        if first:
            logger.warning(
                "speech engine %s failed, skipping it for %.0f s: %s",
                engine.engine,
                self._cooldown,
                exc,
            )
        else:
            logger.debug("speech engine %s still failing: %s", engine.engine, exc)

    def _succeeded(self, index: int) -> None:
        with self._lock:
            recovered = index in self._failing
            self._failing.discard(index)
            self._down_until.pop(index, None)
        if recovered:
            logger.info("speech engine %s works again", self._engines[index].engine)


@dataclass(frozen=True)
class CachedAudio:
    """A cue on disk: where it is, its file name, how to serve it, and who spoke it."""

    path: Path
    name: str
    media_type: str
    engine: str
    hit: bool


class AudioCache:
    """Audio files named ``<sha256 of engine, voice and text>.<ext>`` under one folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or audio_dir()

    @staticmethod
    def key(synth: SpeechSynthesizer, text: str) -> str:
        """The cache key of this text spoken by this (concrete) engine."""
        material = json.dumps([synth.engine, synth.voice_key(), text], ensure_ascii=False)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def lookup(self, synth: SpeechSynthesizer, text: str) -> CachedAudio | None:
        """The cached cue from the first engine in the chain that has one; never synthesizes."""
        for engine in synth.candidates():
            key = self.key(engine, text)
            for extension, media_type in MEDIA_TYPES.items():
                path = self.root / f"{key}.{extension}"
                if path.is_file() and path.stat().st_size > 0:
                    return CachedAudio(path, path.name, media_type, engine.engine, hit=True)
        return None

    def get(self, synth: SpeechSynthesizer, text: str) -> CachedAudio:
        """The cue from the cache, synthesized and stored on a miss; raises ``SpeechError``."""
        cached = self.lookup(synth, text)
        if cached is not None:
            return cached
        engine, audio = synth.synthesize_with_engine(text)
        if MEDIA_TYPES.get(audio.extension) != audio.media_type:
            raise SpeechError(f"unexpected audio type {audio.media_type} ({audio.extension})")
        path = self.root / f"{self.key(engine, text)}.{audio.extension}"
        self._write_atomically(path, audio.data)
        return CachedAudio(path, path.name, audio.media_type, engine.engine, hit=False)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".part")
        except OSError as exc:
            raise SpeechError(f"cannot write to the audio cache {self.root}: {exc}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise SpeechError(f"cannot write to the audio cache {self.root}: {exc}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def resolve_audio_file(root: Path, name: str) -> Path | None:
    """The cached file called ``name`` inside ``root``, or ``None``.

    Only ``<64 lowercase hex>.mp3|wav`` names are accepted, and the real path
    (symlinks followed) must be a file inside the real ``root``.
    """
    if not isinstance(name, str) or AUDIO_FILE_NAME.fullmatch(name) is None:
        return None
    try:
        real_root = root.resolve(strict=True)
        real_path = (real_root / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real_path.parent != real_root or not real_path.is_file():
        return None
    return real_path


ENGINES_ENV = "PSOAS_TTS_ENGINES"
DEFAULT_ENGINES = "gtts,espeak"
KNOWN_ENGINES = ("gtts", "espeak")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def build_synthesizer_from_env(env: Mapping[str, str] | None = None) -> SpeechSynthesizer:
    """The engine chain configured by ``PSOAS_TTS_*`` and ``PSOAS_ESPEAK_*``.

    One engine is returned as is; several become a ``FallbackSynthesizer``.
    Raises ``ValueError`` on unknown engines or malformed values.
    """
    env = os.environ if env is None else env
    names = [n.strip().lower() for n in env.get(ENGINES_ENV, DEFAULT_ENGINES).split(",")]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f"{ENGINES_ENV} names no engine (known: {', '.join(KNOWN_ENGINES)})")
    unknown = [n for n in names if n not in KNOWN_ENGINES]
    if unknown:
        raise ValueError(
            f"unknown speech engine(s) {', '.join(unknown)} in {ENGINES_ENV}; "
            f"known: {', '.join(KNOWN_ENGINES)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{ENGINES_ENV} names an engine twice: {','.join(names)}")
    engines: List[SpeechSynthesizer] = []
    for name in names:
        if name == "gtts":
            engines.append(
                GTTSSynthesizer(
                    lang=env.get("PSOAS_TTS_LANG", "en").strip() or "en",
                    tld=env.get("PSOAS_TTS_TLD", "com").strip() or "com",
                    slow=_flag(env, "PSOAS_TTS_SLOW"),
                )
            )
        else:
            speed = env.get("PSOAS_ESPEAK_SPEED", "160").strip() or "160"
            try:
                words_per_minute = int(speed)
            except ValueError as exc:
                raise ValueError(f"PSOAS_ESPEAK_SPEED must be an integer, not {speed!r}") from exc
            engines.append(
                EspeakSynthesizer(
                    voice=env.get("PSOAS_ESPEAK_VOICE", "en-us").strip() or "en-us",
                    speed=words_per_minute,
                )
            )
    return engines[0] if len(engines) == 1 else FallbackSynthesizer(engines)


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "false").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True)
class SpeechService:
    """The configured engine chain and the cache it speaks into."""

    synthesizer: SpeechSynthesizer
    cache: AudioCache

    def speak(self, text: str) -> CachedAudio:
        """The cue for this text, from the cache or freshly synthesized."""
        return self.cache.get(self.synthesizer, text)


_service: SpeechService | None = None
_service_lock = threading.Lock()


def get_speech_service() -> SpeechService:
    """The process-wide speech service, built from the environment on first use."""
    global _service
    with _service_lock:
        if _service is None:
            _service = SpeechService(build_synthesizer_from_env(), AudioCache())
        return _service


def set_speech_service(service: SpeechService | None) -> None:
    """Replace the process-wide service (tests); ``None`` resets to the default."""
    global _service
    with _service_lock:
        _service = service


def build_speech_service(settings: Settings) -> SpeechService:
    """The engine chain and cache that ``settings`` describe."""
    return SpeechService(
        build_synthesizer_from_env(
            {
                "PSOAS_TTS_ENGINES": ",".join(settings.tts_engines),
                "PSOAS_TTS_LANG": settings.tts_lang,
                "PSOAS_TTS_TLD": settings.tts_tld,
                "PSOAS_TTS_SLOW": str(settings.tts_slow),
                "PSOAS_ESPEAK_VOICE": settings.espeak_voice,
                "PSOAS_ESPEAK_SPEED": str(settings.espeak_speed),
            }
        ),
        AudioCache(settings.audio_dir),
    )
