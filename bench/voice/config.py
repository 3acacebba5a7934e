"""What a run of bench/voice measures and where its results go."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from bench.voice.audio import Voice
from coach.settings import POCKETSPHINX, WHISPER, Settings
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from coach.tools.stack import ROOT

OUT = ROOT / "bench" / "out"
# espeak-ng en-us at 160 is the voice the old recogniser's bars were tuned on
# (and the coach's own offline voice); piper joe is the closest to a person
TUNED_VOICE = "espeak:en-us:160"
DEFAULT_VOICES = (
    TUNED_VOICE,
    "espeak:en-gb:150",
    "espeak:en-us+f3:145",
    "flite:slt:1.0",
    "piper:joe:1.0",
)
FULL_VOICES = (
    *DEFAULT_VOICES,
    "espeak:en-us+m3:140",
    "espeak:en-us:180",
    "flite:rms:1.0",
    "flite:kal:1.0",
    "flite:awb:1.0",
    "piper:joe:1.2",
)
QUICK_VOICES = ("espeak:en-us:160", "piper:joe:1.0")
CHATTER_VOICES = ("espeak:en-us+m3:160", "flite:rms:1.0")
# the recognisers compared (PSOAS_RECOGNIZER); each gets a stack of its own
RECOGNIZERS = (WHISPER, POCKETSPHINX)
# the coach's offline voice (PSOAS_ESPEAK_VOICE, PSOAS_ESPEAK_SPEED defaults)
COACH_VOICE = f"espeak:{Settings().espeak_voice}:{Settings().espeak_speed}"
PHASES = ("questions", "commands", "pain", "rejection", "thresholds", "latency")
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
    """Where a run's raw results go: ``bench/out/voice-[TAG-]NAME.json``, each
    phase's keyed by recogniser (``write_part``), and the tables as Markdown in
    ``voice-[TAG-]report.md``."""

    tag: str = ""
    folder: Path = OUT
    # what this run wrote so far, by file and recogniser
    parts: Dict[str, Dict[str, Any]] = field(default_factory=dict, compare=False)

    @property
    def prefix(self) -> str:
        return f"{self.tag}-" if self.tag else ""

    def path(self, name: str, suffix: str = ".json") -> Path:
        return self.folder / f"voice-{self.prefix}{name}{suffix}"

    def write(self, name: str, data: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path(name).write_text(json.dumps(data, indent=1), encoding="utf-8")

    def write_part(self, name: str, recognizer: str, data: Any) -> None:
        """One recogniser's part of ``name`` (the file holds every recogniser's of this run)."""
        self.parts.setdefault(name, {})[recognizer] = data
        self.write(name, self.parts[name])

    def write_text(self, name: str, text: str, suffix: str = ".md") -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(name, suffix)
        path.write_text(text, encoding="utf-8")
        return path


@dataclass(frozen=True)
class Sizes:
    """How much of each set a run says (None: all of it)."""

    pain: int | None = None  # pain phrases (of 30)
    speech_commands: int | None = None  # holdout_speech.yml commands per intent
    echo_every: int = 1  # every Nth coach sentence
    chatter: int | None = None  # chatter sentences (of 28)
    noises: int | None = None  # noise clips (of 13)
    barge_in: int | None = None  # barge-in phrases (of 14)
    echo_triggers: int | None = None  # "just said" echo triggers (of 8)
    nlu_commands: bool = True  # the routine commands of tests/nlu_holdout.yml too


QUICK_SIZES = Sizes(
    pain=6,
    speech_commands=1,
    echo_every=10,
    chatter=4,
    noises=3,
    barge_in=3,
    echo_triggers=1,
    nlu_commands=False,
)


@dataclass(frozen=True)
class Config:
    """One run, as the command line asked for it."""

    recognizers: List[str]
    voices: List[Voice]
    conditions: List[str]
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
    sizes: Sizes = field(default_factory=Sizes)
    # the in-process recogniser re-decodes what the server did not act upon
    # (word error rates, the threshold points); off in --quick without thresholds
    local_checks: bool = True
