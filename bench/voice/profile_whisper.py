"""Where a hands-free recording's recognition time goes, in process: Whisper's
encoder, its free transcript (beam search), and the closed list's forced
scores, per stage and per scoring batch size. The recordings are the
development set's (``dev_speech.yml``: pain and chatter) and the routine's own
phrases (``content/speech.yml``), spoken by the dev voices: never a held-out
sentence or voice. What a request costs end to end (IPC, the NLU, the
conversation) is the latency phase's ``Server-Timing`` breakdown instead.

    .venv/bin/python -m bench.voice.profile_whisper [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from typing import Any, Callable, Dict, List

import yaml

from bench.voice.conditions import Speaker
from bench.voice.tune_unclear import DEV, VOICES
from coach.settings import DEFAULT_CONTENT_DIR
from coach.speech.asr import whisper
from coach.speech.asr.audio_input import decode_wav
from coach.speech.lm.corpus import SpeechContent, speech_content_path
from coach.speech.lm.names import BARGE_IN, COMMANDS

BATCHES = (1, 2, 4, 8, 16)


def timed(spent: Dict[str, List[float]], name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            spent[name].append(time.perf_counter() - started)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    dev = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    content = SpeechContent.load(speech_content_path(DEFAULT_CONTENT_DIR))
    texts = [*content.hands_free_phrases, *dev["pain"], *dev["chatter"]]
    recognizer = whisper.WhisperRecognizer(threads=args.threads)
    recognizer.load()
    spent: Dict[str, List[float]] = defaultdict(list)
    for name in ("_encode", "_write", "_score"):
        setattr(recognizer, name, timed(spent, name.strip("_"), getattr(recognizer, name)))
    recordings = [
        decode_wav(Speaker.parse(voice, "clean").say(text)).samples
        for voice in VOICES
        for text in texts
    ]
    recognizer.recognize(recordings[0], COMMANDS)  # warm
    spent.clear()
    per_model: Dict[str, List[float]] = defaultdict(list)
    for samples in recordings:
        for model in (COMMANDS, BARGE_IN):  # the hands-free plan, in order
            started = time.perf_counter()
            recognizer.recognize(samples, model)
            per_model[model].append(time.perf_counter() - started)
    count = len(recordings)
    print(f"{count} recordings ({len(VOICES)} dev voices), {args.threads} thread(s)")
    for model, seconds in per_model.items():
        ordered = sorted(seconds)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        mean = 1000 * statistics.mean(seconds)
        print(f"  {model:9s} mean {mean:6.1f} ms  p95 {1000 * p95:6.1f}")
    for stage, seconds in spent.items():
        each = 1000 * sum(seconds) / count
        print(f"  {stage:9s} {each:6.1f} ms a recording ({len(seconds)} calls)")
    sample = recordings[len(recordings) // 2]
    recognizer.recognize(sample, COMMANDS)
    assert recognizer._last is not None
    encoded, frames = recognizer._last[1], recognizer._last[2]
    sequences = list(recognizer._tokens.values())[:32]
    for batch in BATCHES:
        whisper.ALIGN_BATCH = batch
        best = min(_timed_align(recognizer, sequences, encoded, frames) for _ in range(3))
        each = 1000 * best / len(sequences)
        print(f"  scoring in batches of {batch:2d}: {each:5.1f} ms a phrase")


def _timed_align(recognizer: Any, sequences: List[Any], encoded: Any, frames: int) -> float:
    started = time.perf_counter()
    recognizer._align(sequences, encoded, frames)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
