"""What bench/voice says to the voice channel: held-out sentences, the coach's own
sentences (its echo), everyday chatter, barge-in phrases; and word error rate.

Every spoken sentence has three forms:
* ``text``: as written (the held-out NLU set is typed chat, typos and all);
* ``spoken``: the words a person says (``Normaliser``: typed-only spellings
  corrected, digits spelled out), which the synthetic voices read;
* ``ideal``: what a perfect recogniser would hand the assistant
  (``tidy_transcript`` of the spoken words: "forty five seconds" -> "45 seconds").
  Typing ``ideal`` over REST gives the reference reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Sequence, TypeVar

import yaml

from coach.intents import BARGE_IN_INTENTS as SPEECH_BARGE_IN_INTENTS
from coach.intents import RED_FLAG_INTENT, ROUTINE_INTENTS
from coach.speech.asr.transcript import tidy_transcript
from coach.speech.lm.corpus import SpeechContent
from coach.speech.lm.normalise import Normaliser
from coach.speech.lm.pronounce import cmudict_path, read_dictionary
from coach.speech.lm.training_data import parse_example
from coach.tools.stack import ROOT

T = TypeVar("T")

HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
# hands-free commands and pain reports written for bench/voice from docs/intents.md
HOLDOUT_SPEECH = Path(__file__).with_name("holdout_speech.yml")
# the two held-out command sets (reported apart)
NLU_HOLDOUT_SET, SPEECH_HOLDOUT_SET = "nlu_holdout", "holdout_speech"

# the routine command intents (said mid-hold, judged by their effect on the
# routine): the speech models' routine intents but for those that are questions
# or replies even mid-hold; every other held-out intent is a question
ROUTINE_COMMANDS = tuple(
    sorted(ROUTINE_INTENTS - {"ask_hold_duration", RED_FLAG_INTENT, "affirm", "deny", "thank"})
)
# what barge-in mode is for (the rest of the commands should wait until the coach is quiet)
BARGE_IN_INTENTS = tuple(sorted(SPEECH_BARGE_IN_INTENTS))

# Everyday talk a microphone in a living room hears (other people, a phone call,
# the TV). A few hold command words on purpose ("wait for me", "stop at the
# shop", "the next train"): those are the hard cases for hands-free listening.
CHATTER = (
    "can you pass me the remote",
    "what time is dinner tonight",
    "i need to call my sister back later",
    "the dog wants to go outside",
    "did you remember to buy milk",
    "turn the music down a bit",
    "i think it's going to rain this afternoon",
    "where did i put my car keys",
    "the kids have football practice on saturday",
    "let's order pizza tonight",
    "have you seen my phone charger",
    "i'll be there in ten minutes",
    "the meeting got moved to thursday",
    "can you open the window please",
    "this coffee is really good",
    "we should paint the kitchen this summer",
    "my favourite show starts at eight",
    "don't forget to water the plants",
    "the traffic was terrible this morning",
    "i'm going to the supermarket",
    "what do you want for your birthday",
    "could you feed the cat",
    "someone is at the door",
    "i'll text you the address",
    "wait for me at the bus stop",
    "stop at the shop on the way home",
    "the next train leaves at half past six",
    "hold the door for me please",
)

# said while the coach is speaking: what barge-in mode must hear (recall)
BARGE_IN_PHRASES = (
    "stop",
    "pause",
    "wait",
    "ouch",
    "it hurts",
    "stop please",
    "hold on",
    "hang on",
    "wait a second",
    "that hurts",
    "pause the timer",
    "stop the routine",
    "stop it hurts",
    "my leg is numb",
)


@dataclass(frozen=True)
class Sentence:
    """One thing to say; ``intent`` is the label (empty for echo, chatter)."""

    intent: str
    text: str
    spoken: str
    ideal: str
    kind: str  # question, command, barge_in, echo, chatter

    @property
    def say(self) -> str:
        """What the voice reads: the coach's own wording (punctuation and all) for
        its echo, the spoken words for everything a person says."""
        return self.text if self.kind == "echo" else self.spoken


@lru_cache(maxsize=1)
def normaliser() -> Normaliser:
    content = SpeechContent.load()
    known = frozenset(read_dictionary(cmudict_path())) | frozenset(content.pronunciations)
    return Normaliser(content.corrections, known)


def spoken_words(text: str) -> List[str]:
    return normaliser().words(text)


def make_sentence(intent: str, text: str, kind: str) -> Sentence:
    words = spoken_words(text)
    return Sentence(intent, text, " ".join(words), tidy_transcript(words), kind)


def holdout(path: Path = HOLDOUT) -> Dict[str, List[Sentence]]:
    """Held-out examples by intent, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: Dict[str, List[Sentence]] = {}
    for item in data.get("nlu") or []:
        intent = str(item.get("intent") or "")
        block = item.get("examples")
        if not intent or not isinstance(block, str):
            continue
        kind = "command" if intent in ROUTINE_COMMANDS else "question"
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("- "):
                example = parse_example(intent, line[2:].strip())
                sentence = make_sentence(intent, example.text, kind)
                if sentence.spoken:
                    out.setdefault(intent, []).append(sentence)
    return out


def subset(items: Sequence[T], n: int | None) -> List[T]:
    """Up to ``n`` of ``items`` (None: all), spread over the list, in order."""
    if n is None or n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def pick(by_intent: Dict[str, List[Sentence]], per_intent: int | None) -> List[Sentence]:
    """Up to ``per_intent`` sentences of each intent, spread over its list."""
    return [s for sentences in by_intent.values() for s in subset(sentences, per_intent)]


def questions(per_intent: int | None = None) -> List[Sentence]:
    by_intent = {k: v for k, v in holdout().items() if k not in ROUTINE_COMMANDS}
    return pick(by_intent, per_intent)


def commands(per_intent: int | None = None) -> List[Sentence]:
    by_intent = {k: v for k, v in holdout().items() if k in ROUTINE_COMMANDS}
    return pick(by_intent, per_intent)


def _speech_holdout() -> Dict[str, Any]:
    data: Dict[str, Any] = yaml.safe_load(HOLDOUT_SPEECH.read_text(encoding="utf-8"))
    return data


def speech_commands(per_intent: int | None = None) -> List[Sentence]:
    """The hands-free commands of ``holdout_speech.yml``, by intent."""
    by_intent = {
        str(intent): [make_sentence(str(intent), str(text), "command") for text in texts]
        for intent, texts in _speech_holdout()["commands"].items()
    }
    return pick(by_intent, per_intent)


def pain_phrases(limit: int | None = None) -> List[Sentence]:
    """The pain and red-flag reports of ``holdout_speech.yml`` (``limit``: spread over it)."""
    phrases = [make_sentence(RED_FLAG_INTENT, str(t), "pain") for t in _speech_holdout()["pain"]]
    return subset(phrases, limit)


def chatter() -> List[Sentence]:
    return [make_sentence("", text, "chatter") for text in CHATTER]


def barge_in_phrases() -> List[Sentence]:
    return [make_sentence("", text, "barge_in") for text in BARGE_IN_PHRASES]


def _fill(template: str) -> str:
    values = {"seconds": 30, "side": "left", "min_seconds": 5, "max_seconds": 180}
    return template.format(**values)


def coach_sentences() -> List[Sentence]:
    """Everything the coach says during a routine, spoken form: every cue, every
    routine's intro, safety line and steps, the disclaimer, and the voice
    channel's own "I didn't catch that" messages (distinct texts only)."""
    content = ROOT / "content"
    routines = yaml.safe_load((content / "routines.yml").read_text(encoding="utf-8"))
    answers = yaml.safe_load((content / "answers.yml").read_text(encoding="utf-8"))
    texts: List[str] = [_fill(str(c["spoken"])) for c in routines["cues"].values()]
    for routine in routines["routines"]:
        texts += [str(routine["intro"]["spoken"]), str(routine["safety"]["spoken"])]
        texts += [str(step["spoken"]) for step in routine["steps"]]
    texts.append(str(answers["disclaimer"]["spoken"]))
    texts += [
        str(reply["spoken"]).format(seconds=15)
        for name, reply in answers["messages"].items()
        if name.startswith("voice_")
    ]
    unique = list(dict.fromkeys(texts))
    return [Sentence("", t, " ".join(spoken_words(t)), "", "echo") for t in unique]


# --- word error rate ------------------------------------------------------------

_DIGITS = re.compile(r"\d")


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance over words (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def compare_words(text: str) -> List[str]:
    """Words for scoring: a transcript or a sentence, normalised the same way
    ("45 seconds" and "forty five seconds" score alike)."""
    return spoken_words(text)


def mask_digits(text: str) -> str:
    return _DIGITS.sub("#", text)
