"""The speech recogniser's language models, built from the NLU training data.

Rhasspy's lesson: a small recogniser is accurate when it only expects what the
assistant understands. So every time the assistant is trained, this module
turns ``data/`` into three n-gram language models and one pronunciation
dictionary for pocketsphinx (``models/speech/``):

* ``questions.lm``: every NLU example (questions, chit-chat, routine commands,
  safety reports): what the push-to-talk microphone expects;
* ``commands.lm``: the routine commands, red-flag reports and the phrases in
  ``content/speech.yml``: stricter, used while a guided stretch runs;
* ``barge_in.lm``: only "stop", "pause" and pain words: what may interrupt
  the coach while it is speaking; ``barge_in.sentences`` lists them, and the
  recogniser accepts nothing else from this model (``closed_form``);
* ``words.dict``: every word of the three models with its pronunciations, from
  cmudict (pocketsphinx's own), ``content/speech.yml`` and, for the rest,
  espeak-ng's phonemes mapped to cmudict's phone set.

Text is normalised the way a recogniser writes: lowercase words, digits spelled
out, typed-only spellings corrected (``content/speech.yml``), missing
apostrophes restored ("thats" -> "that's"). Durations in hold commands are
expanded over the holds a person may ask for ("make it forty five seconds").

``python -m coach.speech.lm.build [--out DIR]`` builds; ``is_stale`` tells
whether the models on disk were built from the current data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml

from coach.content.store import content_dir
from coach.settings import PROJECT_ROOT
from coach.text.numbers import number_words

logger = logging.getLogger(__name__)

ROOT = PROJECT_ROOT
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_OUT_DIR = ROOT / "models" / "speech"
SPEECH_CONTENT = "speech.yml"
MANIFEST = "manifest.json"
BUILDER_VERSION = "2"  # bump when the output changes for the same input

QUESTIONS, COMMANDS, BARGE_IN = "questions", "commands", "barge_in"
MODEL_NAMES = (QUESTIONS, COMMANDS, BARGE_IN)
DICTIONARY = "words.dict"
# models that only accept whole sentences of their own (the rest generalise)
CLOSED_MODELS = (BARGE_IN,)
FILLER_WORDS = frozenset({"um", "uh", "er", "okay", "ok", "hey", "coach", "please", "oh"})

# intents said during a guided stretch (the routine command model)
ROUTINE_INTENTS = frozenset(
    {
        "routine_next",
        "routine_previous",
        "routine_pause",
        "routine_resume",
        "routine_stop",
        "ask_time_left",
        "set_hold_duration",
        "hold_longer",
        "hold_shorter",
        "ask_repeat",
        "ask_other_side",
        "ask_hold_duration",
        "report_red_flag_symptom",
        "affirm",
        "deny",
        "thank",
    }
)
BARGE_IN_INTENTS = frozenset({"routine_stop", "routine_pause"})
# a closed model's own sentences count this many times against its decoys
DECOY_BALANCE = 3
# the other short commands, which the barge-in model hears as themselves and
# rejects (pain and red-flag reports are not among them: those must get through)
BARGE_IN_DECOY_INTENTS = ROUTINE_INTENTS - BARGE_IN_INTENTS - {"report_red_flag_symptom"}

# holds a person may ask for, spoken (5 s to 3 min)
SPOKEN_DURATIONS = (
    [f"{n} seconds" for n in [*range(5, 61), 70, 75, 80, 90, 100, 120, 150, 180]]
    + ["a minute", "one minute", "two minutes", "three minutes", "half a minute"]
    + ["a minute and a half", "a full minute", "ninety seconds"]
)

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\(([^)]*)\)|\{([^}]*)\})")


class SpeechModelError(Exception):
    """The models cannot be built (no data, no words, an unusable dictionary)."""


# --- reading the training data ------------------------------------------------


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


def read_examples(data_dir: Path = DEFAULT_DATA_DIR) -> List[Example]:
    """Every intent example in the YAML training files under ``data_dir``."""
    examples: List[Example] = []
    for path in sorted(data_dir.rglob("*.yml")):
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


# --- normalising text the way a recogniser writes it ----------------------------

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


@dataclass
class Normaliser:
    """Typed sentences -> recogniser words."""

    corrections: Mapping[str, str]
    known: frozenset[str]  # words with a pronunciation (to restore apostrophes)

    def words(self, text: str) -> List[str]:
        text = text.lower().replace("\u2019", "'")
        text = re.sub(r"(\d+)\s*%", r"\1 percent", text)
        out: List[str] = []
        for token in _TOKEN.findall(text):
            token = token.strip("'")
            if not token:
                continue
            if token in self.corrections:
                out.extend(self.corrections[token].split())
            elif token.isdigit():
                out.extend(number_words(int(token)).split())
            elif re.fullmatch(r"\d+[a-z]+", token):
                digits = re.match(r"\d+", token)
                assert digits is not None
                out.extend(number_words(int(digits.group())).split())
                out.extend(self.words(token[digits.end() :]))
            else:
                out.append(self._apostrophe(token))
        return out

    def _apostrophe(self, token: str) -> str:
        """``thats`` -> ``that's`` when only the form with an apostrophe is a word."""
        if token in self.known or "'" in token:
            return token
        candidates = {
            token[:i] + "'" + token[i:]
            for i in range(1, len(token))
            if token[i:] in {"s", "t", "ve", "re", "ll", "d", "m"}
        }
        found = sorted(c for c in candidates if c in self.known)
        return found[0] if len(found) == 1 else token


# --- pronunciations -------------------------------------------------------------

# espeak-ng's IPA (``--ipa``) to cmudict's ARPAbet, longest match first
IPA_TO_ARPABET: Dict[str, str] = {
    "aɪɚ": "AY ER",
    "aʊɚ": "AW ER",
    "ɑːɹ": "AA R",
    "ɔːɹ": "AO R",
    "oːɹ": "AO R",
    "ɛɹ": "EH R",
    "ɪɹ": "IH R",
    "ʊɹ": "UH R",
    "iə": "IY AH",
    "əl": "AH L",
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "ɔɪ": "OY",
    "dʒ": "JH",
    "tʃ": "CH",
    "ɑː": "AA",
    "ɔː": "AO",
    "ɜː": "ER",
    "iː": "IY",
    "uː": "UW",
    "ɑ": "AA",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɔ": "AO",
    "ɛ": "EH",
    "e": "EH",
    "ɚ": "ER",
    "ɝ": "ER",
    "ɪ": "IH",
    "ᵻ": "IH",
    "i": "IY",
    "o": "OW",
    "ʊ": "UH",
    "u": "UW",
    "a": "AE",
    "b": "B",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "j": "Y",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "ɾ": "T",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "v": "V",
    "w": "W",
    "x": "K",
    "z": "Z",
    "ʒ": "ZH",
    "ʔ": "T",
}
_IPA_KEYS = sorted(IPA_TO_ARPABET, key=len, reverse=True)
_IPA_IGNORED = set("ˈˌː̩ʲ-.")


def ipa_to_arpabet(ipa: str) -> List[str] | None:
    """Phones of one word's IPA, or ``None`` if a symbol is unknown."""
    phones: List[str] = []
    text = "".join(ch for ch in ipa if not ch.isspace())
    i = 0
    while i < len(text):
        if text[i] in _IPA_IGNORED:
            i += 1
            continue
        for key in _IPA_KEYS:
            if text.startswith(key, i):
                phones.extend(IPA_TO_ARPABET[key].split())
                i += len(key)
                break
        else:
            return None
    return phones or None


def espeak_pronunciations(words: Sequence[str], voice: str = "en-us") -> Dict[str, List[str]]:
    """espeak-ng's pronunciation of each word (one process for all of them)."""
    if not words:
        return {}
    binary = shutil.which("espeak-ng") or shutil.which("espeak")
    if binary is None:
        raise SpeechModelError(f"espeak-ng is needed to pronounce: {', '.join(words)}")
    result = subprocess.run(
        [binary, "-q", "-v", voice, "--ipa", "--sep= "],
        input="\n".join(words) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(words):
        # espeak joined or split lines: fall back to one word at a time
        return {
            word: phones
            for word in words
            for phones in [_espeak_one(binary, voice, word)]
            if phones is not None
        }
    found = {}
    for word, line in zip(words, lines, strict=True):
        phones = ipa_to_arpabet(line)
        if phones is not None:
            found[word] = phones
    return found


def _espeak_one(binary: str, voice: str, word: str) -> List[str] | None:
    result = subprocess.run(
        [binary, "-q", "-v", voice, "--ipa", "--sep= ", word],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return ipa_to_arpabet(result.stdout.strip())


def cmudict_path() -> Path:
    """pocketsphinx's own copy of cmudict (imported only here, when building)."""
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"


def read_dictionary(path: Path) -> Dict[str, List[List[str]]]:
    """A cmudict-format file: ``word(2) PH ON ES`` lines -> word -> pronunciations."""
    entries: Dict[str, List[List[str]]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2 or line.startswith(";;;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0])
            phones = [p for p in parts[1:] if not p.startswith("#")]
            if phones:
                entries[word].append(phones)
    return dict(entries)


# --- n-gram language models ---------------------------------------------------

BOS, EOS = "<s>", "</s>"


def arpa_language_model(
    sentences: Iterable[Sequence[str]], order: int = 3, discount: float | None = None
) -> str:
    """A backoff n-gram model in ARPA format, with absolute discounting.

    For each history h of a seen n-gram: P(w|h) = (c(h,w) - D) / c(h) for seen
    words, and the mass left over, D * (distinct words after h) / c(h), goes to
    the lower order through the backoff weight of h. D is Ney's estimate
    n1 / (n1 + 2 n2) per order unless ``discount`` is given. Unigrams are
    maximum likelihood: every word of the vocabulary was seen.
    """
    counts: List[Counter[Tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for words in sentences:
        if not words:
            continue
        padded = [BOS, *words, EOS]
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                gram = tuple(padded[i : i + n])
                if n == 1 and gram == (BOS,):
                    continue
                if n > 1 and EOS in gram[:-1]:
                    continue
                counts[n][gram] += 1
    if not counts[1]:
        raise SpeechModelError("no sentences to build a language model from")

    total = sum(counts[1].values())
    prob: Dict[Tuple[str, ...], float] = {g: c / total for g, c in counts[1].items()}
    prob[(BOS,)] = 0.0  # never predicted; present as a history
    backoff: Dict[Tuple[str, ...], float] = {}

    for n in range(2, order + 1):
        n1 = sum(1 for c in counts[n].values() if c == 1)
        n2 = sum(1 for c in counts[n].values() if c == 2)
        d = min(0.9, max(0.1, n1 / (n1 + 2 * n2))) if n1 + n2 else 0.5
        d = discount if discount is not None else d
        by_history: Dict[Tuple[str, ...], List[Tuple[str, int]]] = defaultdict(list)
        for gram, count in counts[n].items():
            by_history[gram[:-1]].append((gram[-1], count))
        for history, followers in by_history.items():
            history_total = sum(c for _, c in followers)
            for word, count in followers:
                gram = (*history, word)
                prob[gram] = (count - d) / history_total
            left = d * len(followers) / history_total
            lower_seen = sum(_backed_off(prob, backoff, (*history[1:], w)) for w, _ in followers)
            denominator = max(1e-9, 1.0 - lower_seen)
            backoff[history] = max(1e-9, left / denominator)

    lines = ["\\data\\"]
    by_order: List[List[Tuple[str, ...]]] = [[] for _ in range(order + 1)]
    for gram in prob:
        by_order[len(gram)].append(gram)
    for n in range(1, order + 1):
        lines.append(f"ngram {n}={len(by_order[n])}")
    for n in range(1, order + 1):
        lines.append("")
        lines.append(f"\\{n}-grams:")
        for gram in sorted(by_order[n]):
            p = prob[gram]
            logp = -99.0 if p <= 0 else math.log10(p)
            line = f"{logp:.6f}\t{' '.join(gram)}"
            if n < order and gram in backoff:
                line += f"\t{math.log10(backoff[gram]):.6f}"
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _backed_off(
    prob: Mapping[Tuple[str, ...], float],
    backoff: Mapping[Tuple[str, ...], float],
    gram: Tuple[str, ...],
) -> float:
    """P(gram[-1] | gram[:-1]) as the model will compute it."""
    if gram in prob:
        return prob[gram]
    if len(gram) == 1:
        return 0.0
    return backoff.get(gram[:-1], 1.0) * _backed_off(prob, backoff, gram[1:])


def arpa_probability(arpa: str, words: Sequence[str], history: Sequence[str]) -> Dict[str, float]:
    """P(w | history) for each word (reads the ARPA text back; for tests)."""
    prob: Dict[Tuple[str, ...], float] = {}
    backoff: Dict[Tuple[str, ...], float] = {}
    for line in arpa.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and re.match(r"^-?\d", parts[0]):
            gram = tuple(parts[1].split())
            prob[gram] = 0.0 if float(parts[0]) <= -99 else 10 ** float(parts[0])
            if len(parts) == 3:
                backoff[gram] = 10 ** float(parts[2])
    order = max(len(g) for g in prob)
    context = tuple(history)[-(order - 1) :] if order > 1 else ()
    out = {}
    for word in words:
        ctx = context
        while ctx and (*ctx, word) not in prob and ctx not in backoff:
            ctx = ctx[1:]
        out[word] = _backed_off(prob, backoff, (*ctx, word))
    return out


# --- building -------------------------------------------------------------------


@dataclass
class SpeechContent:
    """``content/speech.yml``."""

    corrections: Dict[str, str] = field(default_factory=dict)
    pronunciations: Dict[str, List[List[str]]] = field(default_factory=dict)
    routine_phrases: List[str] = field(default_factory=list)
    barge_in_phrases: List[str] = field(default_factory=list)
    red_flag_phrases: List[str] = field(default_factory=list)
    condition_phrases: List[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None = None) -> SpeechContent:
        path = path or content_dir() / SPEECH_CONTENT
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        pronunciations = {
            str(word).lower(): [str(p).split() for p in variants]
            for word, variants in (data.get("pronunciations") or {}).items()
        }
        return cls(
            corrections={
                str(k).lower(): str(v or "").lower()
                for k, v in (data.get("corrections") or {}).items()
            },
            pronunciations=pronunciations,
            routine_phrases=[str(p) for p in data.get("routine_phrases") or []],
            barge_in_phrases=[str(p) for p in data.get("barge_in_phrases") or []],
            red_flag_phrases=[str(p) for p in data.get("red_flag_phrases") or []],
            condition_phrases=[str(p) for p in data.get("condition_phrases") or []],
        )


@dataclass
class SpeechCorpus:
    """The sentences of each model, as recogniser words."""

    sentences: Dict[str, List[List[str]]]
    # per closed model: sentences it can decode but never accepts (a garbage
    # model: "resume" said over the coach is heard as "resume", not forced into
    # the nearest barge-in phrase, "quit um")
    decoys: Dict[str, List[List[str]]] = field(default_factory=dict)

    def vocabulary(self) -> List[str]:
        every = [*self.sentences.values(), *self.decoys.values()]
        return sorted({w for model in every for s in model for w in s})


def closed_form(words: Sequence[str]) -> str:
    """A sentence without fillers, for matching against a closed model's sentences."""
    return " ".join(w for w in words if w not in FILLER_WORDS)


def _with_duration(example: Example, spoken: str, normaliser: Normaliser) -> List[str] | None:
    """A hold command said with another duration, or None if it names none."""
    spans = [(s, e) for s, e, entity in example.entities if entity == "duration"]
    if not spans:
        return None
    start, end = spans[0]
    return normaliser.words(example.text[:start] + spoken + example.text[end:])


DURATION_TEMPLATES_PER_HOLD = 3  # each spoken hold, in this many commands


def build_corpus(
    examples: Sequence[Example], content: SpeechContent, known: frozenset[str]
) -> SpeechCorpus:
    normaliser = Normaliser(content.corrections, known)
    questions: List[List[str]] = []
    commands: List[List[str]] = []
    barge_in: List[List[str]] = []
    other_commands: List[List[str]] = []
    templates: List[Example] = []
    for example in examples:
        words = normaliser.words(example.text)
        if not words:
            continue
        questions.append(words)
        if example.intent in ROUTINE_INTENTS:
            commands.append(words)
        if example.intent in BARGE_IN_INTENTS and len(words) <= 4:
            barge_in.append(words)
        elif example.intent in BARGE_IN_DECOY_INTENTS and len(words) <= 4:
            other_commands.append(words)
        if example.intent == "set_hold_duration" and any(
            entity == "duration" for _, _, entity in example.entities
        ):
            templates.append(example)
    # every hold a person may ask for, each said in a few of the commands'
    # wordings (rotating through them, so no wording dominates the model)
    for index, spoken in enumerate(SPOKEN_DURATIONS):
        for turn in range(DURATION_TEMPLATES_PER_HOLD if templates else 0):
            template = templates[(index * DURATION_TEMPLATES_PER_HOLD + turn) % len(templates)]
            variant = _with_duration(template, spoken, normaliser)
            if variant:
                commands.append(variant)
                if turn == 0:
                    questions.append(variant)
    for phrase in content.routine_phrases:
        commands.append(normaliser.words(phrase))
    # the safety screen must win by voice too: its words must be hearable
    for phrase in content.red_flag_phrases:
        questions.append(normaliser.words(phrase))
        commands.append(normaliser.words(phrase))
    for phrase in content.condition_phrases:
        questions.append(normaliser.words(phrase))
    for phrase in content.barge_in_phrases:
        barge_in.append(normaliser.words(phrase))
    accepted = {closed_form(s) for s in barge_in}
    decoys = [s for s in other_commands if closed_form(s) not in accepted]
    return SpeechCorpus(
        {QUESTIONS: questions, COMMANDS: commands, BARGE_IN: barge_in},
        decoys={BARGE_IN: decoys},
    )


def build_dictionary(
    vocabulary: Sequence[str],
    cmudict: Mapping[str, List[List[str]]],
    content: SpeechContent,
    pronounce: Callable[[Sequence[str]], Dict[str, List[str]]] = espeak_pronunciations,
) -> Tuple[Dict[str, List[List[str]]], List[str], List[str]]:
    """word -> pronunciations; also the words guessed by espeak-ng, and those left out."""
    entries: Dict[str, List[List[str]]] = {}
    missing = []
    for word in vocabulary:
        if word in content.pronunciations:
            entries[word] = content.pronunciations[word]
        elif word in cmudict:
            entries[word] = cmudict[word]
        else:
            missing.append(word)
    guessed = pronounce(missing)
    for word, phones in guessed.items():
        entries[word] = [phones]
    unpronounceable = [w for w in missing if w not in guessed]
    return entries, sorted(guessed), unpronounceable


def input_fingerprint(data_dir: Path = DEFAULT_DATA_DIR, speech_yml: Path | None = None) -> str:
    """Hash of everything the models are built from."""
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    speech_yml = speech_yml or content_dir() / SPEECH_CONTENT
    for path in [*sorted(data_dir.rglob("*.yml")), speech_yml, Path(__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_stale(out_dir: Path = DEFAULT_OUT_DIR, data_dir: Path = DEFAULT_DATA_DIR) -> bool:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    if manifest.get("fingerprint") != input_fingerprint(data_dir):
        return True
    return not all((out_dir / f"{name}.lm").exists() for name in MODEL_NAMES)


def build(
    out_dir: Path = DEFAULT_OUT_DIR,
    data_dir: Path = DEFAULT_DATA_DIR,
    content: SpeechContent | None = None,
    cmudict: Mapping[str, List[List[str]]] | None = None,
    decoy_balance: int = DECOY_BALANCE,
) -> Dict[str, object]:
    """Builds every model into ``out_dir`` (atomically: a half-built folder is never used).
    ``decoy_balance`` 0 leaves the closed models' decoys out (benchmarks compare)."""
    content = content or SpeechContent.load()
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
        "fingerprint": input_fingerprint(data_dir),
        "models": sizes,
        "vocabulary": len(entries),
        "pronounced_by_espeak": guessed,
        "left_out": dropped,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--if-stale", action="store_true", help="skip when up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.if_stale and not is_stale(args.out, args.data):
        print(f"speech models are up to date ({args.out})")
        return 0
    manifest = build(args.out, args.data)
    print(f"speech models built in {args.out}: {json.dumps(manifest['models'])}")
    print(f"pronounced by espeak-ng: {', '.join(manifest['pronounced_by_espeak'])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
