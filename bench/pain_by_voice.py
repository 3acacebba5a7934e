"""Benchmark: pain and red flags said mid-stretch with the coach silent, in-process.

    .venv/bin/python -m bench.pain_by_voice            # about 2 minutes, no stack

During a routine the open microphone decodes with the routine command model
and acts only at its threshold (``MIN_CONFIDENCE["commands"]``, 0.65), set so
that no everyday chatter drives the routine. Pain reports are short and heard
with low confidence ("that hurts" at 0.35, "ouch that hurts" at 0.33, each
word right), so a person in pain was told "I didn't catch that" while the
hold went on. The voice channel now acts on a transcript below that threshold
when the NLU (with its safety screen) reads it as a red flag and the
recogniser is at least ``RED_FLAG_MIN_CONFIDENCE`` sure: it pauses the routine
and checks in (at the command threshold and above, a red flag stops it with
the safety answer, as before). The cost is chatter read as a red flag, which
pauses the routine for nothing.

For each threshold: the share of pain reports (below) and of the held-out red
flags of ``tests/nlu_holdout.yml``, in 4 voices, that the channel acts upon,
and how many chatter recordings (4 voices) and coach sentences it would act
upon too. The command model only: the barge-in list's second look (which
catches a sure "it hurts") is left out, so recall is a lower bound. Loads the
trained model (``models/psoas-coach.tar.gz``) for the NLU.

Results: docs/benchmarks.md, "Pain by voice".
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from bench.voice.audio import Voice
from bench.voice.config import COACH_VOICE
from bench.voice.corpus import Sentence, chatter, coach_sentences, holdout, make_sentence
from coach.intents import RED_FLAG_INTENT
from coach.speech.asr.audio_input import decode_wav
from coach.speech.asr.base import Recognition
from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer
from coach.speech.lm.names import COMMANDS
from coach.speech.thresholds import MIN_CONFIDENCE, RED_FLAG_MIN_CONFIDENCE
from coach.tools.stack import MODEL

VOICES = ("espeak:en-us:160", "espeak:en-us+m3:140", "flite:slt:1.0", "flite:rms:1.0")

# What a person says when a stretch hurts: written for this benchmark, none of
# them a sentence of the training data or of content/speech.yml.
PAIN_REPORTS = (
    "ouch that hurts",
    "that really hurts",
    "ow my hip",
    "it's hurting",
    "that's painful",
    "my leg went numb",
    "i feel tingling in my leg",
    "sharp pain in my hip",
    "ouch ouch",
    "that hurts a lot",
)


def corpus() -> Dict[str, List[Sentence]]:
    return {
        "pain reports": [make_sentence("pain", t, "command") for t in PAIN_REPORTS],
        "held-out red flags": holdout()[RED_FLAG_INTENT],
        "chatter": chatter(),
    }


async def intents(texts: Sequence[str]) -> Dict[str, str]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    out: Dict[str, str] = {}
    for text in sorted(set(texts)):
        parsed = await agent.parse_message(text)
        out[text] = str((parsed.get("intent") or {}).get("name"))
    return out


def acts(result: Recognition, intent: Dict[str, str], threshold: float) -> bool:
    """Whether the voice channel would act (pause or stop) on this transcript."""
    if not result.says_something or intent.get(result.transcript) != RED_FLAG_INTENT:
        return False
    return result.confidence >= min(threshold, MIN_CONFIDENCE[COMMANDS])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", nargs="+", default=list(VOICES))
    parser.add_argument(
        "--thresholds",
        type=float,
        nargs="+",
        default=sorted({0.2, 0.25, 0.3, 0.35, 0.4, 0.5, RED_FLAG_MIN_CONFIDENCE, 0.65}),
    )
    args = parser.parse_args(argv)
    voices = [Voice.parse(v) for v in args.voices if Voice.parse(v).available]
    recognizer = PocketsphinxRecognizer()
    results: Dict[str, List[Tuple[str, Recognition]]] = {}
    for name, sentences in corpus().items():
        results[name] = [
            (s.text, recognizer.recognize(decode_wav(v.say(s.spoken)).samples, COMMANDS))
            for s in sentences
            for v in voices
        ]
    coach = Voice.parse(COACH_VOICE)
    results["coach's own sentences"] = [
        (s.text, recognizer.recognize(decode_wav(coach.say(s.spoken)).samples, COMMANDS))
        for s in coach_sentences()
    ]
    transcripts = [r.transcript for rows in results.values() for _, r in rows if r.transcript]
    intent = asyncio.run(intents(transcripts))
    print(f"voices: {', '.join(v.label for v in voices)}; model {Path(MODEL).name}")
    for threshold in args.thresholds:
        print(
            f"\nthreshold {threshold:.2f}"
            + (" (now)" if threshold == RED_FLAG_MIN_CONFIDENCE else "")
        )
        for name, rows in results.items():
            hit = [(text, r) for text, r in rows if acts(r, intent, threshold)]
            line = f"  {name}: acted upon {len(hit)}/{len(rows)} ({len(hit) / len(rows):.0%})"
            if name in ("chatter", "coach's own sentences"):
                line += f"  {sorted({r.transcript for _, r in hit})}"
            print(line)
    missed = [
        (text, r.transcript, r.confidence, intent.get(r.transcript))
        for name in ("pain reports", "held-out red flags")
        for text, r in results[name]
        if not acts(r, intent, RED_FLAG_MIN_CONFIDENCE)
    ]
    print(f"\nmissed at {RED_FLAG_MIN_CONFIDENCE:.2f}:")
    for text, heard, confidence, read in missed:
        print(f"  {text!r}: heard {heard!r} ({confidence:.2f}, {read})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
