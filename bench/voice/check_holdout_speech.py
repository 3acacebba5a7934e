"""Check that ``bench/voice/holdout_speech.yml`` is held out: none of its phrases
is a copy (case- and punctuation-insensitive, or the same spoken words once
digits are spelled out) of a training example in ``data/*.yml`` or of a phrase
of ``content/speech.yml``; and that the development set the listening bars are
tuned on (``bench/voice/dev_speech.yml``) holds none of the held-out sentences
(``holdout_speech.yml``, the chatter of ``bench/voice/corpus.py``); and that
no sentence of the typed held-out set (``tests/nlu_holdout.yml``, also the
benchmark's spoken questions) of ``MIN_HELD_OUT_WORDS`` words or more is a
training example (a short reply such as "yes" or "stop" cannot be held out).

    .venv/bin/python -m bench.voice.check_holdout_speech     # exit 1 on a copy
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Set

import yaml

from bench.voice.corpus import CHATTER, HOLDOUT_SPEECH, holdout, spoken_words
from coach.speech.lm.training_data import parse_example
from coach.tools.stack import ROOT

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
MIN_HELD_OUT_WORDS = 4


def plain(text: str) -> str:
    """Lowercase, punctuation (apostrophes too) removed, spaces collapsed."""
    return " ".join(_NOT_WORD.sub(" ", text.lower().replace("'", "")).split())


def strings(node: Any) -> Iterator[str]:
    """Every string in a YAML tree, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def training_texts(data_dir: Path) -> Iterator[str]:
    """The examples of every ``nlu`` item (intents, synonyms, lookups) and the user
    messages of stories and rules, annotations removed."""
    for path in sorted(data_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            block = item.get("examples") if isinstance(item, dict) else None
            if isinstance(block, str):
                for line in block.splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        yield parse_example("", line[2:].strip()).text
        for key in ("stories", "rules"):
            for item in data.get(key) or []:
                for step in item.get("steps") or []:
                    if isinstance(step, dict) and isinstance(step.get("user"), str):
                        yield parse_example("", step["user"]).text


def known_forms(texts: Sequence[str]) -> Set[str]:
    forms: Set[str] = set()
    for text in texts:
        forms.add(plain(text))
        forms.add(" ".join(spoken_words(text)))
    forms.discard("")
    return forms


def holdout_phrases(path: Path = HOLDOUT_SPEECH) -> Dict[str, List[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: Dict[str, List[str]] = {
        intent: [str(p) for p in phrases] for intent, phrases in data["commands"].items()
    }
    out["pain"] = [str(p) for p in data["pain"]]
    return out


def copies(phrases: Dict[str, List[str]], known: Set[str]) -> List[str]:
    found = []
    seen: Set[str] = set()
    for group, texts in phrases.items():
        for text in texts:
            forms = {plain(text), " ".join(spoken_words(text))}
            if forms & known:
                found.append(f"{group}: {text!r} is a training example or a speech.yml phrase")
            if plain(text) in seen:
                found.append(f"{group}: {text!r} is in the file twice")
            seen.add(plain(text))
    return found


def typed_copies(known: Set[str]) -> List[str]:
    """The typed held-out sentences (``tests/nlu_holdout.yml``) of
    ``MIN_HELD_OUT_WORDS`` words or more that are training examples."""
    return [
        f"nlu_holdout.yml {s.intent}: {s.text!r} is a training example"
        for sentences in holdout().values()
        for s in sentences
        if len(plain(s.text).split()) >= MIN_HELD_OUT_WORDS and plain(s.text) in known
    ]


DEV_SPEECH = HOLDOUT_SPEECH.with_name("dev_speech.yml")


def held_out_in_dev(phrases: Dict[str, List[str]], path: Path = DEV_SPEECH) -> List[str]:
    """The development sentences that are held-out ones."""
    held_out = known_forms([*(t for texts in phrases.values() for t in texts), *CHATTER])
    dev = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        f"{path.name} {group}: {text!r} is a held-out sentence"
        for group, texts in dev.items()
        for text in texts
        if known_forms([str(text)]) & held_out
    ]


def main(argv: Sequence[str] | None = None) -> int:
    training = list(training_texts(ROOT / "data"))
    texts = list(training)
    speech = yaml.safe_load((ROOT / "content" / "speech.yml").read_text(encoding="utf-8"))
    texts += list(strings(speech))
    phrases = holdout_phrases()
    found = copies(phrases, known_forms(texts)) + held_out_in_dev(phrases)
    found += typed_copies({plain(t) for t in training})
    for problem in found:
        print(problem)
    total = sum(len(v) for v in phrases.values())
    print(f"{total} phrases ({len(phrases) - 1} command intents, {len(phrases['pain'])} pain)")
    print(f"checked against {len(texts)} training examples and speech.yml strings")
    print(f"{len(found)} copies" if found else "no copies")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
