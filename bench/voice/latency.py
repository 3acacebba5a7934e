"""Phase 5, latency: p50/p95 of the voice request (WAV in, JSON with audio URLs
out), sequential and with 4 clients at once."""

from __future__ import annotations

import functools
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Sequence, TypeVar

from bench.voice.audio import wav_seconds
from bench.voice.client import VoiceResult, new_sender
from bench.voice.config import HANDS_FREE, QUESTION, log
from bench.voice.context import Bench
from bench.voice.corpus import Sentence

T = TypeVar("T")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_latency(b: Bench, questions: List[Sentence], commands: List[Sentence], n: int) -> Any:
    voice = b.voices[0]
    q_audio = [voice.say(s.say) for s in spread(questions, n)]
    c_audio = [voice.say(s.say) for s in spread(commands, n)]
    out: Dict[str, Any] = {"voice": voice.label, "requests_each": n}

    def question(i: int) -> VoiceResult:
        return b.client.voice(new_sender("lat"), q_audio[i], QUESTION)

    def command(senders: List[str], i: int) -> VoiceResult:
        return b.client.voice(senders[i], c_audio[i], HANDS_FREE)

    for clients in (1, 4):
        log(f"latency: {clients} client(s)")
        senders = [new_sender("lat-hold") for _ in c_audio]
        for sender in senders:
            b.client.start_hold(sender, 180)
        calls: Dict[str, Callable[[int], VoiceResult]] = {
            "questions": question,
            "commands": functools.partial(command, senders),
        }
        for name, call in calls.items():
            audio = q_audio if name == "questions" else c_audio
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                results = list(pool.map(call, range(len(audio))))
            wall = time.perf_counter() - started
            ms = [r.ms for r in results]
            out[f"{name}_{clients}"] = {
                "clients": clients,
                "requests": len(ms),
                "statuses": dict(Counter(r.status for r in results)),
                "with_audio_url": sum(r.all_audio for r in results),
                "p50_ms": round(statistics.median(ms), 1),
                "p95_ms": round(percentile(ms, 0.95), 1),
                "max_ms": round(max(ms), 1),
                "throughput_rps": round(len(ms) / wall, 2),
                "mean_audio_s": round(statistics.mean(wav_seconds(a) for a in audio), 2),
                # the server's own account (Server-Timing): mean ms per stage
                "stages_mean_ms": mean_stages(results),
                # what the tail is made of
                "slowest": [
                    {"ms": round(r.ms, 1), "status": r.status, "stages_ms": r.stages_ms}
                    for r in sorted(results, key=lambda r: -r.ms)[:3]
                ],
            }
        for sender in senders:
            b.client.stop_routine(sender)
    out["in_process_recognition_ms"] = {
        model: round(1000 * statistics.mean(v), 1) for model, v in b.local.seconds.items() if v
    }
    return out


def mean_stages(results: Sequence[VoiceResult]) -> Dict[str, float]:
    """Mean milliseconds per server stage over the requests (a stage a request
    did not go through counts as 0 for it)."""
    names = sorted({name for r in results for name in r.stages_ms})
    return {
        name: round(statistics.mean(r.stages_ms.get(name, 0.0) for r in results), 1)
        for name in names
    }


def spread(items: Sequence[T], n: int) -> List[T]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]
