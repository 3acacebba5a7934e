"""The held-out sets stay held out (bench/voice/check_holdout_speech.py, also run
by the test command): a typed held-out question that is a training example is
reported; short replies are not, as "yes" cannot be held out."""

from __future__ import annotations

from bench.voice.check_holdout_speech import (
    MIN_HELD_OUT_WORDS,
    plain,
    training_texts,
    typed_copies,
)
from bench.voice.corpus import holdout
from coach.tools.stack import ROOT


def held_out_texts() -> list[str]:
    return [s.text for sentences in holdout().values() for s in sentences]


def test_a_long_held_out_question_that_is_trained_on_is_reported():
    long = next(t for t in held_out_texts() if len(plain(t).split()) >= MIN_HELD_OUT_WORDS)
    found = typed_copies({plain(long)})
    assert len(found) == 1 and repr(long) in found[0]


def test_a_short_reply_may_be_both():
    short = next(t for t in held_out_texts() if len(plain(t).split()) == 1)
    assert typed_copies({plain(short)}) == []


def test_the_held_out_questions_are_not_training_examples():
    assert typed_copies({plain(t) for t in training_texts(ROOT / "data")}) == []
