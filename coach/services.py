"""The composition root: builds the coach's shared objects, each once, on first use.

Every adapter (the actions, the channels, the NLU component, the tools) asks a
``Services`` for what it needs instead of reaching for a module-level
singleton. A process has one, ``process_services()``, built from the
environment the first time anything asks; a test builds its own
``Services(Settings(...), content=fake, ...)`` and hands it to the object
under test.

Nothing heavy happens here at import time, and speech modules are imported
only when ``speech`` or ``recognition`` is first asked for: the action server,
which never asks, loads no speech code (``tests/test_architecture.py``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, TypeVar

from coach.settings import Settings

if TYPE_CHECKING:
    from coach.access import TokenCheck
    from coach.content.store import ContentStore
    from coach.payloads import PayloadPolicy
    from coach.ratelimit import RateLimiter
    from coach.routine.library import RoutineLibrary
    from coach.routine.machine import RoutineMachine
    from coach.safety.screen import SafetyScreen
    from coach.sessions import LiveSessions
    from coach.speech.asr.pool import RecognitionPool
    from coach.speech.echo import RecentSpeech
    from coach.speech.pain_words import PainCheck, PainWords
    from coach.speech.tts.service import SpeechService

T = TypeVar("T")


class Services:
    """The shared objects of one process (or one test), built lazily.

    Any of them can be given up front (a fake, a store over a temporary
    folder); the rest are built from ``settings`` when first asked for.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        content: ContentStore | None = None,
        routines: RoutineLibrary | None = None,
        safety: SafetyScreen | None = None,
        machine: RoutineMachine | None = None,
        speech: SpeechService | None = None,
        recognition: RecognitionPool | None = None,
        echo: RecentSpeech | None = None,
        sessions: LiveSessions | None = None,
        pain_words: PainWords | None = None,
    ) -> None:
        self._settings = settings
        self._built: Dict[str, Any] = {
            name: value
            for name, value in {
                "content": content,
                "routines": routines,
                "safety": safety,
                "machine": machine,
                "speech": speech,
                "recognition": recognition,
                "echo": echo,
                "sessions": sessions,
                "pain_words": pain_words,
            }.items()
            if value is not None
        }
        self._lock = threading.RLock()

    def _get(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            value: T = self._built[name]
            return value

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = Settings.from_env()
            return self._settings

    @property
    def content(self) -> ContentStore:
        """Answers, follow-ups and messages (``content/answers.yml``)."""
        from coach.content.store import ANSWERS_FILE, YamlContentStore

        return self._get(
            "content", lambda: YamlContentStore(self.settings.content_dir / ANSWERS_FILE)
        )

    @property
    def routines(self) -> RoutineLibrary:
        """The guided routines and their cues (``content/routines.yml``)."""
        from coach.routine.library import ROUTINES_FILE, YamlRoutineLibrary

        return self._get(
            "routines", lambda: YamlRoutineLibrary(self.settings.content_dir / ROUTINES_FILE)
        )

    @property
    def safety(self) -> SafetyScreen:
        """Red flags and conditions (``content/safety.yml``)."""
        from coach.safety.screen import SAFETY_FILE, SafetyScreen

        return self._get("safety", lambda: SafetyScreen(self.settings.content_dir / SAFETY_FILE))

    @property
    def machine(self) -> RoutineMachine:
        """The routine state machine over ``routines``."""
        from coach.routine.machine import RoutineMachine

        return self._get(
            "machine",
            lambda: RoutineMachine(self.routines, words_per_second=self.settings.words_per_second),
        )

    @property
    def speech(self) -> SpeechService:
        """Speech out: the configured engine chain and its audio cache."""
        from coach.speech.tts.service import build_speech_service

        return self._get("speech", lambda: build_speech_service(self.settings))

    @property
    def recognition(self) -> RecognitionPool:
        """Speech in: the pool of recognition worker processes (started on first use)."""
        from coach.speech.asr.pool import RecognitionPool

        return self._get(
            "recognition",
            lambda: RecognitionPool(
                self.settings.speech_model_dir,
                workers=self.settings.recognizer_workers,
                engine=self.settings.recognizer,
                whisper_model=self.settings.whisper_model,
                threads=self.settings.whisper_threads,
                content_dir=self.settings.content_dir,
            ),
        )

    @property
    def echo(self) -> RecentSpeech:
        """What the coach said lately, per conversation (the echo guard)."""
        from coach.speech.echo import RecentSpeech

        return self._get("echo", RecentSpeech)

    @property
    def pain_words(self) -> PainWords:
        """The words that, heard mid-hold, pause the routine (``content/speech.yml``)."""
        from coach.speech.pain_words import PainWords

        return self._get("pain_words", lambda: PainWords.load(self.settings.content_dir))

    @property
    def pain_check(self) -> PainCheck:
        """Whether a transcript heard mid-hold sounds like pain: the pain words
        and the safety screen's red flags (the listening policy's ``sounds_like_pain``)."""
        from coach.speech.pain_words import PainCheck

        return self._get("pain_check", lambda: PainCheck(self.pain_words, self.safety))

    @property
    def payloads(self) -> PayloadPolicy:
        """Which ``/intent{...}`` messages a person may send (``domain.yml``)."""
        from coach.payloads import PayloadPolicy

        return self._get("payloads", lambda: PayloadPolicy.from_domain(self.settings.domain_file))

    @property
    def tokens(self) -> TokenCheck:
        """Bearer tokens, when ``PSOAS_JWT_SECRET`` asks for them."""
        from coach.access import TokenCheck

        return self._get(
            "tokens",
            lambda: TokenCheck(self.settings.jwt_secret, self.settings.jwt_method),
        )

    @property
    def voice_limits(self) -> RateLimiter:
        """Per-address limits of the voice channel (``PSOAS_VOICE_RATE``, ``_CONCURRENCY``)."""
        from coach.ratelimit import RateLimiter

        requests, seconds = self.settings.voice_rate
        return self._get(
            "voice_limits",
            lambda: RateLimiter(requests, seconds, self.settings.voice_concurrency),
        )

    @property
    def sessions(self) -> LiveSessions:
        """Pushes to a conversation's open connection (socket.io registers itself)."""
        from coach.sessions import LiveSessions

        return self._get("sessions", LiveSessions)


_process: Services | None = None
_process_lock = threading.Lock()


def process_services() -> Services:
    """This process's services, built from the environment on first use.

    The one process-wide object: Rasa builds the actions, channels and NLU
    components itself, with no way to hand them anything, so they find their
    services here.
    """
    global _process
    with _process_lock:
        if _process is None:
            _process = Services()
        return _process
