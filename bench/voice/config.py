"""What a run of bench/voice measures and where its results go."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from bench.voice.audio import Voice
from coach.settings import Settings
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from coach.tools.stack import ROOT

OUT = ROOT / "bench" / "out"
DEFAULT_VOICES = ("espeak:en-us:160", "espeak:en-us+m3:140", "flite:slt:1.0", "flite:rms:1.0")
FULL_VOICES = (
    *(
        f"espeak:{v}:{s}"
        for v in ("en-us", "en-us+m3", "en-us+f1", "en-us-nyc", "en")
        for s in (140, 160, 180)
    ),
    *("flite:slt:1.0", "flite:slt:1.2", "flite:rms:1.0", "flite:kal16:1.0", "flite:awb:1.0"),
)
CHATTER_VOICES = ("espeak:en-us+m3:160", "flite:rms:1.0")
# the coach's offline voice (PSOAS_ESPEAK_VOICE, PSOAS_ESPEAK_SPEED defaults)
COACH_VOICE = f"espeak:{Settings().espeak_voice}:{Settings().espeak_speed}"
PHASES = ("questions", "commands", "rejection", "thresholds", "latency")
# the voice channel's modes
QUESTION, HANDS_FREE, BARGE = "question", "hands_free", "barge_in"
REJECTED_STATUSES = ("not_understood", "no_speech")
HARMLESS_INTENTS = ("out_of_scope", "nlu_fallback")
MODELS = (QUESTIONS, COMMANDS, BARGE_IN)
# the model each mode tries first (mid-routine for the listening modes)
MODE_MODEL = {QUESTION: QUESTIONS, HANDS_FREE: COMMANDS, BARGE: BARGE_IN}

Record = Dict[str, Any]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Output:
    """Where a run's raw results go: ``bench/out/voice-[TAG-]NAME.json``."""

    tag: str = ""
    folder: Path = OUT

    @property
    def prefix(self) -> str:
        return f"{self.tag}-" if self.tag else ""

    def path(self, name: str) -> Path:
        return self.folder / f"voice-{self.prefix}{name}.json"

    def write(self, name: str, data: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path(name).write_text(json.dumps(data, indent=1), encoding="utf-8")


@dataclass(frozen=True)
class Config:
    """One run, as the command line asked for it."""

    voices: List[Voice]
    skipped_voices: List[str]
    chatter_voices: List[Voice]
    question_per_intent: int | None  # None: every held-out sentence
    command_per_intent: int | None
    phases: List[str]
    jobs: int
    latency_requests: int
    output: Output
    # what a wrong answer and a false accept cost, in rejections
    weights: Dict[str, float] = field(default_factory=dict)
