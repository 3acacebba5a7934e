"""Speech out, assembled: the engine chain ``Settings`` describe and the cache it speaks into.

``build_speech_service(settings)`` is what the composition root
(``coach.services.Services.speech``) calls; nothing here reads the
environment. A new engine gets its own module (see ``gtts.py``, ``espeak.py``),
a line in ``ENGINES`` and its name in ``coach.settings.KNOWN_TTS_ENGINES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping

from coach.settings import Settings
from coach.speech.tts.base import SpeechSynthesizer
from coach.speech.tts.cache import AudioCache, CachedAudio
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.gtts import GTTSSynthesizer
from coach.speech.tts.isolated import IsolatedSynthesizer
from coach.speech.tts.piper import PiperSynthesizer


def _piper(settings: Settings) -> SpeechSynthesizer:
    here = PiperSynthesizer(model=settings.piper_model)
    return IsolatedSynthesizer(here, model=settings.piper_model) if settings.piper_process else here


ENGINES: Dict[str, Callable[[Settings], SpeechSynthesizer]] = {
    "gtts": lambda s: GTTSSynthesizer(lang=s.tts_lang, tld=s.tts_tld, slow=s.tts_slow),
    "piper": _piper,
    "espeak": lambda s: EspeakSynthesizer(voice=s.espeak_voice, speed=s.espeak_speed),
}


def build_synthesizer(settings: Settings) -> SpeechSynthesizer:
    """The engine chain of ``settings.tts_engines``, in that order.

    One engine is returned as is; several become a ``FallbackSynthesizer``.
    Raises ``ValueError`` on an unknown engine or a voice setting an engine refuses.
    """
    if not settings.tts_engines:
        raise ValueError("no speech engine configured")
    unknown = [name for name in settings.tts_engines if name not in ENGINES]
    if unknown:
        raise ValueError(f"unknown speech engine(s) {', '.join(unknown)}")
    engines: List[SpeechSynthesizer] = [ENGINES[name](settings) for name in settings.tts_engines]
    return engines[0] if len(engines) == 1 else FallbackSynthesizer(engines)


def build_synthesizer_from_env(env: Mapping[str, str] | None = None) -> SpeechSynthesizer:
    """``build_synthesizer`` over ``Settings.from_env(env)`` (``PSOAS_TTS_*``, ``PSOAS_ESPEAK_*``).

    Raises ``ValueError`` (``SettingError``) on unknown engines or malformed values.
    """
    return build_synthesizer(Settings.from_env(env))


@dataclass(frozen=True)
class SpeechService:
    """The configured engine chain and the cache it speaks into."""

    synthesizer: SpeechSynthesizer
    cache: AudioCache

    def speak(self, text: str) -> CachedAudio:
        """The cue for this text, from the cache or freshly synthesized."""
        return self.cache.get(self.synthesizer, text)


def build_speech_service(settings: Settings) -> SpeechService:
    """The engine chain and cache (``settings.audio_dir``) that ``settings`` describe."""
    return SpeechService(build_synthesizer(settings), AudioCache(settings.audio_dir))
