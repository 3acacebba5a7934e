"""Tunes the hands-free "unclear speech mid-hold" bar on the development set
(``bench/voice/dev_speech.yml``, dev voices and conditions only): for each
recording, what the command model wrote and how sure it was, what the closed
barge-in list made of it, and what the trained NLU reads in the transcript.
Prints how many dev pain and dev chatter recordings a sure command acts upon
(roughly: the command model and the NLU, or the closed barge-in list), how many
more a pain word pauses, and how many more each candidate unclear bar pauses.
Needs a trained model (``models/``).

    .venv/bin/python -m bench.voice.tune_unclear
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bench.voice.conditions import Speaker
from bench.voice.local import Local
from coach.intents import HANDS_FREE_INTENTS, START_ROUTINE_INTENT
from coach.settings import WHISPER, Settings
from coach.speech.lm.names import BARGE_IN, COMMANDS
from coach.speech.pain_words import PainWords
from coach.speech.thresholds import HANDS_FREE_MIN_INTENT_CONFIDENCE, red_flag_min_confidence
from coach.tools.stack import ROOT

DEV = Path(__file__).with_name("dev_speech.yml")
# dev voices and conditions: none is a held-out voice of bench/voice
VOICES = ("espeak:en-us+m3:140", "piper:joe:1.2")
CONDITIONS = ("clean", "noise10", "room")
BARS = (0.5, 0.6, 0.7, 0.8, 0.9)


async def read(agent: Any, text: str) -> tuple[str | None, float]:
    parsed = await agent.parse_message(text)
    intent = parsed.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def main() -> None:
    from rasa.core.agent import Agent

    dev: Dict[str, List[str]] = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    settings = Settings.from_env()
    local = Local(settings.speech_model_dir, WHISPER)
    agent = Agent.load(str(ROOT / "models" / "psoas-coach.tar.gz"))
    talk = HANDS_FREE_INTENTS - {START_ROUTINE_INTENT}
    rows = []
    for kind, phrases in dev.items():
        for voice in VOICES:
            for condition in CONDITIONS:
                speaker = Speaker.parse(voice, condition)
                for text in phrases:
                    audio = speaker.say(text)
                    cmd = local.recognize(audio, COMMANDS)
                    bar = local.recognize(audio, BARGE_IN)
                    intent, sure = asyncio.run(read(agent, cmd.transcript or "-"))
                    sure_enough = sure >= HANDS_FREE_MIN_INTENT_CONFIDENCE
                    taken = cmd.accepted() and intent in talk and sure_enough
                    acted = taken or bar.accepted()
                    rows.append((kind, voice, condition, text, cmd, bar, intent, sure, acted))
                    print(
                        f"{kind:7} {voice:20} {condition:7} {text!r:28} -> {cmd.transcript!r:32}"
                        f" {cmd.confidence:.2f} {cmd.speech_seconds:.2f}s | {bar.transcript!r} "
                        f"{bar.confidence:.2f} | {intent} {sure:.2f} | {'ACT' if acted else '-'}"
                    )
    pain_words = PainWords.load(settings.content_dir)
    red_flag_bar = red_flag_min_confidence(WHISPER)
    for kind in dev:
        mine = [r for r in rows if r[0] == kind]
        rest = [r for r in mine if not r[8]]
        worded = [
            r for r in rest if r[4].accepted(red_flag_bar) and pain_words.heard_in(r[4].transcript)
        ]
        line = f"{kind}: n={len(mine)} acted={len(mine) - len(rest)} pain word=+{len(worded)}"
        for limit in BARS:
            unclear = sum(
                1
                for r in rest
                if r not in worded and r[4].says_something and r[4].confidence < limit
            )
            line += f" | unclear <{limit}: +{unclear}"
        print(line)


if __name__ == "__main__":
    main()
