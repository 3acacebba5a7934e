"""The build step: the NLU examples and ``content/speech.yml`` -> three ARPA
models, the barge-in model's sentences, one dictionary and a manifest in
``models/speech`` (written atomically); ``is_stale`` tells whether the models on
disk were built from the current inputs (data, speech content and this code)."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Dict, List, Mapping

import coach.intents
import coach.text.numbers
from coach.settings import DEFAULT_CONTENT_DIR, DEFAULT_DATA_DIR
from coach.speech.lm.arpa import arpa_language_model
from coach.speech.lm.corpus import DECOY_BALANCE, SpeechContent, build_corpus, speech_content_path
from coach.speech.lm.errors import SpeechModelError
from coach.speech.lm.names import (
    CLOSED_MODELS,
    DEFAULT_OUT_DIR,
    DICTIONARY,
    MANIFEST,
    MODEL_NAMES,
    closed_form,
)
from coach.speech.lm.pronounce import build_dictionary, cmudict_path, read_dictionary
from coach.speech.lm.training_data import read_examples

logger = logging.getLogger(__name__)

BUILDER_VERSION = "2"  # bump when the output changes for the same input


def builder_code() -> List[Path]:
    """The code the models' content follows from: every module of this package,
    the number words and the intents table (a change to any rebuilds them)."""
    return [
        *sorted(Path(__file__).parent.glob("*.py")),
        Path(coach.text.numbers.__file__),
        Path(coach.intents.__file__),
    ]


def input_fingerprint(data_dir: Path = DEFAULT_DATA_DIR, speech_yml: Path | None = None) -> str:
    """Hash of everything the models are built from."""
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    speech_yml = speech_yml or speech_content_path()
    for path in [*sorted(data_dir.rglob("*.yml")), speech_yml, *builder_code()]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_stale(
    out_dir: Path = DEFAULT_OUT_DIR,
    data_dir: Path = DEFAULT_DATA_DIR,
    content_dir: Path = DEFAULT_CONTENT_DIR,
) -> bool:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    if manifest.get("fingerprint") != input_fingerprint(data_dir, speech_content_path(content_dir)):
        return True
    return not all((out_dir / f"{name}.lm").exists() for name in MODEL_NAMES)


def build(
    out_dir: Path = DEFAULT_OUT_DIR,
    data_dir: Path = DEFAULT_DATA_DIR,
    content: SpeechContent | None = None,
    cmudict: Mapping[str, List[List[str]]] | None = None,
    decoy_balance: int = DECOY_BALANCE,
    content_dir: Path = DEFAULT_CONTENT_DIR,
) -> Dict[str, object]:
    """Builds every model into ``out_dir`` (atomically: a half-built folder is never used).
    ``decoy_balance`` 0 leaves the closed models' decoys out (benchmarks compare)."""
    speech_yml = speech_content_path(content_dir)
    content = content or SpeechContent.load(speech_yml)
    cmudict = cmudict if cmudict is not None else read_dictionary(cmudict_path())
    examples = read_examples(data_dir)
    if not examples:
        raise SpeechModelError(f"no NLU examples under {data_dir}")
    known = frozenset(cmudict) | frozenset(content.pronunciations)
    corpus = build_corpus(examples, content, known)
    entries, guessed, dropped = build_dictionary(corpus.vocabulary(), cmudict, content)
    if dropped:
        logger.warning("no pronunciation for %s: sentences with them are left out", dropped)
    dropped_set = set(dropped)

    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sizes = {}
    for name, sentences in corpus.sentences.items():
        usable = [s for s in sentences if not dropped_set.intersection(s)]
        decoys = [s for s in corpus.decoys.get(name, []) if not dropped_set.intersection(s)]
        lm = arpa_language_model(usable * decoy_balance + decoys if decoy_balance else usable)
        (tmp / f"{name}.lm").write_text(lm, encoding="utf-8")
        sizes[name] = {"sentences": len(usable), "words": len({w for s in usable for w in s})}
        if decoys and decoy_balance:
            sizes[name]["decoys"] = len(decoys)
        if name in CLOSED_MODELS:
            closed = sorted({closed_form(s) for s in usable} - {""})
            (tmp / f"{name}.sentences").write_text("\n".join(closed) + "\n", encoding="utf-8")
    with open(tmp / DICTIONARY, "w", encoding="utf-8") as handle:
        for word in sorted(entries):
            for i, phones in enumerate(entries[word]):
                label = word if i == 0 else f"{word}({i + 1})"
                handle.write(f"{label} {' '.join(phones)}\n")
    manifest: Dict[str, object] = {
        "fingerprint": input_fingerprint(data_dir, speech_yml),
        "models": sizes,
        "vocabulary": len(entries),
        "pronounced_by_espeak": guessed,
        "left_out": dropped,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return manifest
