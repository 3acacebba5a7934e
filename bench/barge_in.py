"""Benchmark: the barge-in model with and without its decoys, in-process (no stack).

    .venv/bin/python -m bench.barge_in                 # about 4 minutes
    .venv/bin/python -m bench.barge_in --balance 0 1 3

While the coach speaks, the widget sends what it hears as ``barge_in``: only
"stop", "pause", "wait" and pain words may act. The barge-in model is closed
(a transcript that is not one of its sentences gets no confidence), and its
decoys are the other short routine commands, decoded but never accepted, so
that "resume" said over the coach comes out as "resume" rather than as the
nearest barge-in phrase ("quit um", which stops the routine).

For each build (``--balance``: 0 = no decoys; N = the model's own sentences
counted N times against the decoys) and each voice, the share acted upon of

* the barge-in phrases (``bench.voice.corpus.BARGE_IN_PHRASES``): recall;
* the other held-out routine commands (next, resume, time left...): must not act;
* the coach's own sentences, everyday chatter and noise: must not act.

Results: docs/benchmarks.md, "Barge-in decoys".
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

from bench.voice.audio import Voice, noises
from bench.voice.config import COACH_VOICE
from bench.voice.corpus import Sentence, barge_in_phrases, chatter, coach_sentences, commands
from coach.intents import BARGE_IN_INTENTS
from coach.speech.asr.audio_input import decode_wav
from coach.speech.asr.base import Recognition
from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer
from coach.speech.lm.build import build
from coach.speech.lm.corpus import DECOY_BALANCE
from coach.speech.lm.names import BARGE_IN
from coach.speech.thresholds import MIN_CONFIDENCE

VOICES = ("espeak:en-us:160", "espeak:en-us+m3:140", "flite:slt:1.0", "flite:rms:1.0")


def corpora() -> Dict[str, List[Sentence]]:
    others = [s for s in commands() if s.intent not in BARGE_IN_INTENTS]
    return {
        "barge-in phrases": barge_in_phrases(),
        "other commands": others,
        "chatter": chatter(),
    }


def heard(recognizer: PocketsphinxRecognizer, audio: Sequence[bytes]) -> List[Recognition]:
    return [recognizer.recognize(decode_wav(wav).samples, BARGE_IN) for wav in audio]


def acted(results: Sequence[Recognition], threshold: float) -> List[Recognition]:
    return [r for r in results if r.accepted(threshold)]


def report(said: Sequence[Recognition], threshold: float, engines: List[str], show: bool) -> str:
    """Share acted upon; per engine when ``engines`` (recordings go sentence by
    voice); and, with ``show``, what was acted upon."""
    hits = acted(said, threshold)
    line = f"acted upon {len(hits)}/{len(said)} ({len(hits) / len(said):.0%})"
    for engine in sorted(set(engines)):
        mine = [r for i, r in enumerate(said) if engines[i % len(engines)] == engine]
        line += f", {engine} {len(acted(mine, threshold))}/{len(mine)}"
    if show:
        line += f"  {sorted({r.transcript for r in hits})}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--balance", type=int, nargs="+", default=[0, DECOY_BALANCE])
    parser.add_argument("--voices", nargs="+", default=list(VOICES))
    parser.add_argument("--thresholds", type=float, nargs="+", default=[MIN_CONFIDENCE[BARGE_IN]])
    args = parser.parse_args(argv)
    voices = [Voice.parse(v) for v in args.voices if Voice.parse(v).available]
    sets = corpora()
    audio: Dict[str, List[bytes]] = {
        name: [voice.say(s.spoken) for s in sentences for voice in voices]
        for name, sentences in sets.items()
    }
    audio["coach's own sentences"] = [
        Voice.parse(COACH_VOICE).say(s.spoken) for s in coach_sentences()
    ]
    audio["noise"] = list(noises().values())
    print(f"voices: {', '.join(v.label for v in voices)}")
    for balance in args.balance:
        with tempfile.TemporaryDirectory() as folder:
            build(Path(folder), decoy_balance=balance)
            recognizer = PocketsphinxRecognizer(Path(folder))
            label = "no decoys" if balance == 0 else f"decoys, balance {balance}"
            print(f"\n{label}")
            results = {name: heard(recognizer, audio[name]) for name in audio}
            for threshold in args.thresholds:
                print(f"  threshold {threshold:.2f}")
                for name, said in results.items():
                    engines = [v.engine for v in voices] if name in sets else []
                    shown = name != "barge-in phrases"
                    print(f"    {name}: {report(said, threshold, engines, shown)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
