"""The hands-free listening policy on the development set, in process: every
dev sentence (``bench/voice/dev_speech.yml``: pain, numbness and weakness,
chatter) spoken by the dev voices in the dev conditions, and the dev noises
(``audio.dev_noises``), said while a hold runs and judged by the coach's own
``listen`` (the server's recogniser, the trained NLU, the pain and red-flag
check; no echo). Prints, per group, how many recordings were acted upon (acted
upon or paused to check in) and, with ``--misses``, what the models wrote for
each report that was not acted upon and each chatter or noise that was.

Never a held-out sentence, voice or noise: this is what the policy is tuned on.
What the recogniser wrote is kept (``bench/out/dev-policy.json``), so that a
change to the policy is judged again in seconds; ``--fresh`` recognises again
(after a change to the recogniser). Needs ``models/``.

    .venv/bin/python -m bench.voice.dev_policy [--misses] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections import Counter
from typing import Any, Dict, Iterator, List, Tuple

import yaml

from bench.voice.audio import dev_noises
from bench.voice.conditions import Speaker, noise_clip
from bench.voice.local import Local
from bench.voice.tune_unclear import CONDITIONS, DEV, VOICES
from coach.services import process_services
from coach.settings import WHISPER, Settings
from coach.speech.asr.base import Recognition
from coach.speech.heard import Outcome, Reading
from coach.speech.listening import HANDS_FREE, RUNNING, listen
from coach.speech.lm.names import BARGE_IN, COMMANDS
from coach.tools.stack import ROOT

CACHE = ROOT / "bench" / "out" / "dev-policy.json"
NOISE = "noise"
SHOULD_NOT_ACT = ("chatter", NOISE)  # the groups that should not be acted upon
Item = Tuple[str, str, str, str]  # group, voice, condition, text


def items(dev: Dict[str, List[str]]) -> Iterator[Tuple[Item, Any]]:
    """Every dev recording, and how to make it (a callable)."""
    for group, texts in dev.items():
        for voice in VOICES:
            for condition in CONDITIONS:
                speaker = Speaker.parse(voice, condition)
                for text in texts:
                    yield (group, voice, condition, text), (lambda s=speaker, t=text: s.say(t))
    for name, clean in dev_noises().items():
        for condition in CONDITIONS:
            key = (NOISE, NOISE, condition, name)
            yield key, (lambda c=condition, n=name, a=clean: noise_clip(c, f"dev {n}", a))


def recognise_all(dev: Dict[str, List[str]], fresh: bool) -> Dict[str, Dict[str, Any]]:
    known: Dict[str, Dict[str, Any]] = {}
    if CACHE.exists() and not fresh:
        known = json.loads(CACHE.read_text(encoding="utf-8"))
    local = Local(Settings.from_env().speech_model_dir, WHISPER)
    for item, make in items(dev):
        key = "\t".join(item)
        if key not in known:
            audio = make()
            known[key] = {
                model: dataclasses.asdict(local.recognize(audio, model))
                for model in (COMMANDS, BARGE_IN)
            }
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(known, indent=0), encoding="utf-8")
    return known


def judge(
    looks: Dict[str, Any], agent: Any, readings: Dict[str, Reading]
) -> Tuple[Outcome, List[Recognition]]:
    seen: List[Recognition] = []

    async def status() -> str:
        return RUNNING

    async def recognize(samples: bytes, model: str) -> Recognition:
        seen.append(Recognition(**looks[model]))
        return seen[-1]

    async def read(text: str) -> Reading:
        if text not in readings:
            readings[text] = Reading.of_parse(await agent.parse_message(text))
        return readings[text]

    pain_check = process_services().pain_check
    # the recordings were recognised already: ``recognize`` answers from ``looks``
    outcome = asyncio.run(
        listen(b"", HANDS_FREE, status, recognize, read, sounds_like_pain=pain_check)
    )
    return outcome, seen


def main() -> None:
    from rasa.core.agent import Agent

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="print what went wrong")
    parser.add_argument("--fresh", action="store_true", help="recognise every recording again")
    args = parser.parse_args()
    dev: Dict[str, List[str]] = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    known = recognise_all(dev, args.fresh)
    agent = Agent.load(str(ROOT / "models" / "psoas-coach.tar.gz"))
    readings: Dict[str, Reading] = {}
    verdicts: Dict[str, Counter[str]] = {}
    for item, _ in items(dev):
        group = item[0]
        outcome, seen = judge(known["\t".join(item)], agent, readings)
        why = f"/{outcome.check_in.value}" if outcome.check_in else ""
        verdicts.setdefault(group, Counter())[outcome.verdict.value + why] += 1
        wrong = outcome.acted if group in SHOULD_NOT_ACT else not outcome.acted
        if args.misses and wrong:
            looks = " | ".join(
                f"{r.model} {r.transcript!r} {r.confidence:.2f} {r.speech_seconds:.2f}s"
                for r in seen
            )
            print(f"  {' '.join(item[:3])} {item[3]!r}: {looks} -> {outcome.verdict.value}{why}")
    for group, counts in verdicts.items():
        total = sum(counts.values())
        acted = sum(n for v, n in counts.items() if v.startswith(("act", "check_in")))
        print(f"{group}: {acted}/{total} acted upon  {dict(counts)}")


if __name__ == "__main__":
    main()
