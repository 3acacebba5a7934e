"""The n-gram language models in ARPA format (coach.speech.lm.arpa)."""

from __future__ import annotations

import re
from typing import List

import pytest

from coach.speech.lm.arpa import BOS, EOS, arpa_language_model, arpa_probability
from coach.speech.lm.errors import SpeechModelError
from tests.support.speech_models import (
    sections,
    seen_followers,
    toy_sentences,
    vocabulary,
)

# --- the n-gram model ---------------------------------------------------------------

HISTORIES: List[List[str]] = [
    [],
    [BOS],
    [BOS, "stop"],
    ["stop", "the"],
    [BOS, "how", "long"],
    ["make", "the", "hold"],
    ["the"],
    ["timer"],
    ["routine", "the"],  # a seen history word after an unseen pair
    ["nonsense", "words"],  # nothing known
    [BOS, "please"],
]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("discount", [None, 0.3, 0.8])
def test_probabilities_sum_to_one_after_any_history(order: int, discount: float | None):
    arpa = arpa_language_model(toy_sentences(), order=order, discount=discount)
    words = vocabulary(arpa)
    assert EOS in words
    for history in HISTORIES:
        probabilities = arpa_probability(arpa, words, history)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4), history
        assert all(p > 0 for p in probabilities.values()), history


def test_seen_ngrams_beat_unseen_ones():
    # with a modest discount, after every history every word seen there is more
    # likely than any word never seen there
    arpa = arpa_language_model(toy_sentences(), discount=0.3)
    words = vocabulary(arpa)
    for history, seen in seen_followers(arpa).items():
        after = arpa_probability(arpa, words, history)
        unseen = [p for w, p in after.items() if w not in seen]
        assert min(after[w] for w in seen) > max(unseen), history


def test_absolute_discounting_by_hand():
    arpa = arpa_language_model([["a", "b"], ["a", "c"], ["a", "b"]], order=2, discount=0.5)
    after_a = arpa_probability(arpa, ["a", "b", "c", EOS], ["a"])
    # c(a b) = 2, c(a c) = 1, c(a) = 3: (2 - 0.5) / 3 and (1 - 0.5) / 3
    assert after_a["b"] == pytest.approx(1.5 / 3, abs=1e-5)
    assert after_a["c"] == pytest.approx(0.5 / 3, abs=1e-5)
    # the left-over mass (0.5 * 2 / 3) goes to the unseen words in proportion
    assert after_a["a"] + after_a[EOS] == pytest.approx(1 / 3, abs=1e-5)
    assert after_a["a"] / after_a[EOS] == pytest.approx(3 / 3, rel=1e-4)  # unigram counts 3, 3
    # unigrams are maximum likelihood: 9 tokens (3 a, 2 b, 1 c, 3 </s>)
    unigrams = arpa_probability(arpa, ["a", "b", "c", EOS], [])
    assert unigrams == pytest.approx({"a": 3 / 9, "b": 2 / 9, "c": 1 / 9, EOS: 3 / 9}, abs=1e-5)


def test_the_arpa_header_counts_match_the_sections():
    for order in (1, 2, 3):
        arpa = arpa_language_model(toy_sentences(), order=order)
        counts = {int(n): int(c) for n, c in re.findall(r"^ngram (\d)=(\d+)$", arpa, re.M)}
        found = sections(arpa)
        assert sorted(counts) == list(range(1, order + 1)) == sorted(found)
        for n, lines in found.items():
            assert counts[n] == len(lines)
            for line in lines:
                fields = line.split("\t")
                assert len(fields[1].split()) == n
                # a backoff weight only below the highest order
                assert len(fields) in ((2, 3) if n < order else (2,))
                assert float(fields[0]) <= 0
        assert arpa.startswith("\\data\\\n") and arpa.rstrip().endswith("\\end\\")


def test_the_arpa_text_follows_the_format_rules():
    arpa = arpa_language_model(toy_sentences())
    unigrams = {line.split("\t")[1]: line for line in sections(arpa)[1]}
    assert unigrams[BOS].startswith("-99")  # never predicted, only a history
    assert len(unigrams[BOS].split("\t")) == 3  # and it has a backoff weight
    bigrams = [line.split("\t")[1].split() for line in sections(arpa)[2]]
    assert not any(g[0] == EOS for g in bigrams)  # nothing follows the end
    assert not any(g[-1] == BOS for g in bigrams)  # nothing predicts the start


def test_no_sentences_no_model():
    with pytest.raises(SpeechModelError):
        arpa_language_model([])
    with pytest.raises(SpeechModelError):
        arpa_language_model([[], []])
