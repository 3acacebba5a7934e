"""Building blocks of the speech-model tests (``tests/test_speech_model*.py``):
small NLU data written to a folder, a toy corpus and readers of ARPA text."""

from __future__ import annotations

import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from coach.speech.lm.arpa import BOS
from coach.speech.lm.pronounce import cmudict_path, read_dictionary

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None and shutil.which("espeak") is None, reason="no espeak-ng"
)


@lru_cache(maxsize=1)
def pocketsphinx_cmudict() -> Dict[str, List[List[str]]]:
    """pocketsphinx's cmudict, read once per test run (treat it as read-only)."""
    return read_dictionary(cmudict_path())


def write_nlu(data_dir: Path, intents: Dict[str, Sequence[str]]) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in intents.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in examples]
    lines += ["- synonym: release tool", "  examples: |", "    - massager", "- regex: x"]
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data_dir / "rules.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")


SMALL_DATA: Dict[str, Sequence[str]] = {
    "ask_what_is_psoas": ["what is the psoas", "whats the psaos", "where is the iliopsoas"],
    "ask_stretch": ["how do i stretch my psoas", "how often should i stretch"],
    "condition": ["I take xarelto", "i am on warfarin"],
    "routine_stop": ["stop", "stop the routine", "that's enough for today thank you very much"],
    "routine_pause": ["pause", "wait"],
    "routine_next": ["next", "next step"],
    "report_red_flag_symptom": ["my foot went numb"],
    "set_hold_duration": ["make it [45 seconds](duration)", "hold for [20 seconds](duration)"],
}

TOY = [
    "stop",
    "stop the routine",
    "stop the timer",
    "pause the timer",
    "pause",
    "pause please",
    "how long left",
    "how long is the hold",
    "make it longer",
    "make the hold longer",
]


def toy_sentences() -> List[List[str]]:
    return [s.split() for s in TOY]


def vocabulary(arpa: str) -> List[str]:
    """Every word a model can predict (its unigrams but <s>)."""
    words = [line.split("\t")[1] for line in sections(arpa)[1]]
    return [w for w in words if w != BOS]


def sections(arpa: str) -> Dict[int, List[str]]:
    found: Dict[int, List[str]] = {}
    current = None
    for line in arpa.splitlines():
        header = re.fullmatch(r"\\(\d)-grams:", line)
        if header:
            current = int(header.group(1))
            found[current] = []
        elif line == "\\end\\":
            current = None
        elif current is not None and line.strip():
            found[current].append(line)
    return found


def seen_followers(arpa: str) -> Dict[tuple[str, ...], set[str]]:
    """Each history of the highest order's n-grams, with the words seen after it."""
    found: Dict[tuple[str, ...], set[str]] = {}
    top = sections(arpa)[max(sections(arpa))]
    for line in top:
        *history, word = line.split("\t")[1].split()
        found.setdefault(tuple(history), set()).add(word)
    return found
