"""The closed list's arithmetic and the tidying of a neural recogniser's text:
pure functions, no model."""

from __future__ import annotations

import pytest

from coach.speech.asr.closed_list import (
    MAX_EXTRA_WORDS,
    PHRASE_PRIOR,
    Scored,
    choose,
    shortlist,
)
from coach.speech.asr.transcript import tidy_written, without_repeats
from coach.speech.lm.corpus import SpeechContent

PHRASES = ["stop", "pause", "switch sides", "ouch that hurts", "i feel tingling in my leg"]


def test_only_phrases_of_about_the_utterances_length_are_scored():
    assert shortlist(PHRASES, "of course") == ["stop", "pause", "switch sides", "ouch that hurts"]
    long = "wait for me at the bus stop"  # a sentence: the NLU reads it as it is
    assert shortlist(PHRASES, long) == []
    assert shortlist(PHRASES, "my leg is tingling") == PHRASES[2:]
    assert all(abs(len(p.split()) - 2) <= MAX_EXTRA_WORDS for p in shortlist(PHRASES, "which side"))


def test_what_whisper_wrote_wins_when_it_is_a_phrase():
    choice = choose(Scored("stop", -1.0), [Scored("stop", -1.0), Scored("pause", -9.0)])
    assert choice.phrase == "stop" and choice.confidence > 0.99


def test_a_phrase_close_behind_the_free_transcript_is_taken():
    # "pause" written as "of course": the phrase explains the audio nearly as well
    free = Scored("of course", -2.5)
    choice = choose(free, [Scored("pause", -4.0), Scored("stop", -12.0)])
    assert choice.phrase == "pause" and choice.confidence > 0.9


def test_chatter_is_not_taken_for_a_phrase():
    free = Scored("what time is dinner", -1.5)
    choice = choose(free, [Scored("wait", -1.5 - PHRASE_PRIOR - 5), Scored("stop", -20.0)])
    assert choice.phrase is None and choice.confidence < 0.01


def test_two_phrases_alike_share_the_confidence():
    free = Scored("hmm", -6.0)
    choice = choose(free, [Scored("stop", -2.0), Scored("stop please", -2.0)])
    assert choice.phrase in ("stop", "stop please")
    assert 0.45 < choice.confidence < 0.55  # either could be it


def test_no_phrases_no_choice():
    assert choose(Scored("hello", -1.0), []).phrase is None


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("Ouch, that hurts!", "ouch that hurts"),
        ("Stop.", "stop"),
        ("I'm done.", "i'm done"),
        ("\u201cWhat\u2019s a psoas?\u201d", "what's a psoas"),
        ("Make it forty-five seconds.", "make it 45 seconds"),
        ("Make it 45 seconds.", "make it 45 seconds"),
        ("How do I stretch my sauce?", "how do i stretch my psoas"),
        ("Where is the so-as muscle?", "where is the psoas muscle"),
        ("Is the ilio sauce a hip flexor?", "is the iliopsoas a hip flexor"),
        ("Repeat. Repeat.", "repeat"),
        ("How do I stretch mysoas?", "how do i stretch my psoas"),
        ("I take war for an. Is it safe?", "i take warfarin is it safe"),
        ("100% sure", "100 percent sure"),
        ("...", ""),
        ("", ""),
    ],
)
def test_written_text_is_tidied_as_the_nlu_reads_it(written: str, text: str):
    assert tidy_written(written, SpeechContent.load().heard_as) == text


def test_mishearings_are_whole_words_only():
    heard_as = {"sauce": "psoas"}
    assert tidy_written("saucepan", heard_as) == "saucepan"


@pytest.mark.parametrize(
    ("words", "kept"),
    [
        ("repeat repeat", "repeat"),
        ("stop stop stop", "stop"),
        ("how do i do it how do i do it", "how do i do it"),
        ("stop it stop", "stop it stop"),
        ("wait for me", "wait for me"),
        ("", ""),
    ],
)
def test_a_sentence_written_twice_is_kept_once(words: str, kept: str):
    assert " ".join(without_repeats(words.split())) == kept


def test_the_closed_lists_come_from_the_content():
    content = SpeechContent.load()
    phrases = content.hands_free_phrases
    assert len(phrases) == len(set(phrases))
    assert set(content.barge_in_phrases) <= set(phrases)
    # the shortest form of every hands-free command is on the list
    for said in ("stop", "pause", "wait", "next", "back", "repeat", "resume", "ouch"):
        assert said in phrases
