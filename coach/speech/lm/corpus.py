"""The sentences of each model: the NLU examples, the phrases of
``content/speech.yml`` and every hold a person may ask for, as recogniser words.

* ``questions``: every NLU example (questions, chit-chat, routine commands,
  safety reports): what the push-to-talk microphone expects;
* ``commands``: the routine commands, red-flag reports and the routine phrases:
  stricter, used while a guided stretch runs;
* ``barge_in``: only "stop", "pause" and pain words, with the other short
  commands as its decoys (sentences it can decode but never accepts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import yaml

from coach.intents import BARGE_IN_DECOY_INTENTS, BARGE_IN_INTENTS, ROUTINE_INTENTS, SET_HOLD_INTENT
from coach.settings import DEFAULT_CONTENT_DIR
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS, closed_form
from coach.speech.lm.normalise import Normaliser
from coach.speech.lm.training_data import Example

SPEECH_CONTENT = "speech.yml"
# a closed model's own sentences count this many times against its decoys
DECOY_BALANCE = 3

# holds a person may ask for, spoken (5 s to 3 min)
SPOKEN_DURATIONS = (
    [f"{n} seconds" for n in [*range(5, 61), 70, 75, 80, 90, 100, 120, 150, 180]]
    + ["a minute", "one minute", "two minutes", "three minutes", "half a minute"]
    + ["a minute and a half", "a full minute", "ninety seconds"]
)
DURATION_TEMPLATES_PER_HOLD = 3  # each spoken hold, in this many commands


def speech_content_path(content_dir: Path = DEFAULT_CONTENT_DIR) -> Path:
    """Where ``content/speech.yml`` is in a content folder."""
    return content_dir / SPEECH_CONTENT


@dataclass
class SpeechContent:
    """``content/speech.yml``."""

    corrections: Dict[str, str] = field(default_factory=dict)
    pronunciations: Dict[str, List[List[str]]] = field(default_factory=dict)
    routine_phrases: List[str] = field(default_factory=list)
    barge_in_phrases: List[str] = field(default_factory=list)
    red_flag_phrases: List[str] = field(default_factory=list)
    condition_phrases: List[str] = field(default_factory=list)
    # how the neural recogniser writes the domain's words it mishears -> the word
    heard_as: Dict[str, str] = field(default_factory=dict)
    # heard mid-hold in what nothing was sure of: pause and check in
    # (coach/speech/pain_words.py)
    pain_words: List[str] = field(default_factory=list)
    # the same, counted only as the last words of a transcript ("went um")
    pain_endings: List[str] = field(default_factory=list)

    @property
    def hands_free_phrases(self) -> List[str]:
        """What a routine accepts, said on its own: the routine and barge-in
        phrases (the closed list a neural recogniser scores against the audio)."""
        return list(dict.fromkeys([*self.routine_phrases, *self.barge_in_phrases]))

    @classmethod
    def load(cls, path: Path | None = None) -> SpeechContent:
        path = path or speech_content_path()
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
            heard_as={
                str(k).lower(): str(v).lower() for k, v in (data.get("heard_as") or {}).items()
            },
            pain_words=[str(w).lower() for w in data.get("pain_words") or []],
            pain_endings=[str(w).lower() for w in data.get("pain_endings") or []],
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


def _with_duration(example: Example, spoken: str, normaliser: Normaliser) -> List[str] | None:
    """A hold command said with another duration, or None if it names none."""
    spans = [(s, e) for s, e, entity in example.entities if entity == "duration"]
    if not spans:
        return None
    start, end = spans[0]
    return normaliser.words(example.text[:start] + spoken + example.text[end:])


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
        if example.intent == SET_HOLD_INTENT and any(
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
