"""Benchmark: speech synthesis time per engine, uncached (cold) and cached.

espeak-ng and piper (the offline neural voice) run for real; gTTS needs the
internet, and where there is none it fails fast: its failure time is reported,
and how the default chain (gTTS, then piper, then espeak-ng) answered instead.
Every run uses a fresh temporary cache. Not a test: it prints JSON.

    .venv/bin/python -m bench.tts [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from coach.settings import DEFAULT_TTS_ENGINES, Settings
from coach.speech.tts.base import Audio, SpeechError, SpeechSynthesizer
from coach.speech.tts.cache import AudioCache
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.service import build_synthesizer

CUES = [
    "Lie on your back.",
    "Bend both knees.",
    "Breathe in slowly.",
    "Breathe out and relax your belly.",
    "Pull your right knee toward your chest.",
    "Hold for thirty seconds.",
    "Now switch sides.",
    "Stop if it hurts.",
    "Press gently, then release.",
    "Well done. That's the stretch.",
]


class Timed(SpeechSynthesizer):
    """Wraps an engine and records how long each call took and whether it worked."""

    def __init__(self, inner: SpeechSynthesizer) -> None:
        self.inner = inner
        self.calls: List[Dict[str, Any]] = []

    @property
    def engine(self) -> str:
        return self.inner.engine

    def voice_key(self) -> str:
        return self.inner.voice_key()

    def synthesize(self, text: str) -> Audio:
        started = time.perf_counter()
        try:
            audio = self.inner.synthesize(text)
        except SpeechError as exc:
            self.calls.append({"ok": False, "ms": _ms(started), "error": str(exc)})
            raise
        self.calls.append({"ok": True, "ms": _ms(started)})
        return audio


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def summary(values: List[float]) -> Dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean_ms": round(statistics.fmean(values), 2),
        "p50_ms": round(statistics.median(values), 2),
        "max_ms": round(max(values), 2),
    }


def run(synth: SpeechSynthesizer, rounds: int) -> Dict[str, Any]:
    """Cold ``AudioCache.get`` for every cue in a fresh cache, then again for those stored."""
    cold: List[float] = []
    cached: List[float] = []
    answered_by: Dict[str, int] = {}
    failures: List[str] = []
    stored: List[str] = []
    first_cue_ms = None
    with tempfile.TemporaryDirectory() as folder:
        cache = AudioCache(Path(folder))
        for cue in CUES:
            started = time.perf_counter()
            try:
                entry = cache.get(synth, cue)
            except SpeechError as exc:
                failures.append(str(exc))
                continue
            finally:
                if first_cue_ms is None:
                    first_cue_ms = round(_ms(started), 2)
            cold.append(_ms(started))
            stored.append(cue)
            answered_by[entry.engine] = answered_by.get(entry.engine, 0) + 1
        for _ in range(rounds):
            for cue in stored:
                started = time.perf_counter()
                entry = cache.get(synth, cue)
                assert entry.hit, cue
                cached.append(_ms(started))
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    result: Dict[str, Any] = {
        "first_cue_ms": first_cue_ms,
        "cold": summary(cold),
        "cached": summary(cached),
        "answered_by": answered_by,
        "cache_bytes": size,
    }
    if failures:
        result["failures"] = len(failures)
        result["first_failure"] = failures[0]
    return result


def engine_calls(timed: Timed) -> Dict[str, Any]:
    failed = [c["ms"] for c in timed.calls if not c["ok"]]
    worked = [c["ms"] for c in timed.calls if c["ok"]]
    out: Dict[str, Any] = {"calls": len(timed.calls), "failed": summary(failed)}
    if worked:
        out["worked"] = summary(worked)
    errors = [c["error"] for c in timed.calls if not c["ok"]]
    if errors:
        out["error"] = errors[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1, help="cached passes over the cues")
    args = parser.parse_args()

    def configured(engines: str) -> SpeechSynthesizer:
        return build_synthesizer(Settings.from_env({**os.environ, "PSOAS_TTS_ENGINES": engines}))

    report: Dict[str, Any] = {"cues": len(CUES)}

    espeak = Timed(configured("espeak"))
    report["espeak"] = run(espeak, args.rounds)
    report["espeak"]["engine_calls"] = engine_calls(espeak)

    piper = Timed(configured("piper"))
    report["piper"] = run(piper, args.rounds)
    report["piper"]["engine_calls"] = engine_calls(piper)

    gtts = Timed(configured("gtts"))
    report["gtts"] = run(gtts, args.rounds)
    report["gtts"]["engine_calls"] = engine_calls(gtts)

    # the default chain, with each engine timed inside it
    chain = configured(DEFAULT_TTS_ENGINES)
    timed = [Timed(engine) for engine in chain.candidates()]
    fallback = FallbackSynthesizer(timed)
    name = "default_chain_" + "_then_".join(t.engine for t in timed)
    report[name] = run(fallback, args.rounds)
    report[name]["engine_calls"] = {t.engine: engine_calls(t) for t in timed}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
