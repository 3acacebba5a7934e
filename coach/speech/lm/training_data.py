"""The NLU examples of ``data/*.yml``, read without Rasa: each example's intent,
its plain text and where its entities are."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import yaml

from coach.settings import DEFAULT_DATA_DIR

# data/nlu.yml's examples as Whisper heard them (bench/voice/heard_training.py):
# the NLU learns from them, the speech models do not (they model what people
# say, not what a recogniser wrote)
HEARD_FILE = "nlu_heard.yml"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\(([^)]*)\)|\{([^}]*)\})")


@dataclass(frozen=True)
class Example:
    """One NLU example: its intent, plain text, and the (start, end, entity) spans."""

    intent: str
    text: str
    entities: Tuple[Tuple[int, int, str], ...] = ()


def parse_example(intent: str, annotated: str) -> Example:
    """Rasa's inline annotations (``[45 seconds](duration)``, ``[x]{"entity": ...}``)
    removed, keeping where each entity was."""
    text, spans, last = [], [], 0
    length = 0
    for match in _ANNOTATION.finditer(annotated):
        before = annotated[last : match.start()]
        text.append(before)
        length += len(before)
        value = match.group(1)
        entity = match.group(2)
        if entity is None:
            try:
                entity = str(json.loads("{" + match.group(3) + "}").get("entity", ""))
            except json.JSONDecodeError:
                entity = ""
        spans.append((length, length + len(value), entity.split(":")[0]))
        text.append(value)
        length += len(value)
        last = match.end()
    text.append(annotated[last:])
    return Example(intent=intent, text="".join(text), entities=tuple(spans))


def read_examples(data_dir: Path = DEFAULT_DATA_DIR, heard: bool = False) -> List[Example]:
    """Every intent example in the YAML training files under ``data_dir`` (the
    transcripts of ``HEARD_FILE`` only when ``heard``)."""
    examples: List[Example] = []
    for path in sorted(data_dir.rglob("*.yml")):
        if path.name == HEARD_FILE and not heard:
            continue
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        for item in data.get("nlu") or []:
            intent = item.get("intent") if isinstance(item, dict) else None
            block = item.get("examples") if intent else None
            if not isinstance(block, str):
                continue
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append(parse_example(str(intent), line[2:].strip()))
    return examples
