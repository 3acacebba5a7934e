"""A chain of engines: the first that works speaks; one that just failed is
skipped for a cool-down, so an outage costs one slow message, not every message."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, List, Sequence, Set, Tuple

from coach.speech.tts.base import Audio, SpeechError, SpeechSynthesizer, require_text

logger = logging.getLogger(__name__)


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
        require_text(text)
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
