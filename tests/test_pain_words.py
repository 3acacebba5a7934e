"""Pain words (coach/speech/pain_words.py, content/speech.yml ``pain_words``)."""

from __future__ import annotations

from coach.settings import Settings
from coach.speech.lm.corpus import SpeechContent, speech_content_path
from coach.speech.pain_words import PainWords


def test_words_and_phrases_are_found_whole_and_in_any_case():
    words = PainWords(["hurts", "pins and needles", "Ow"])
    assert words.heard_in("our debt hurts") and words.heard_in("OW my knee")
    assert words.heard_in("i have pins   and needles")
    for other in ("how are you", "the show", "owl", "unhurtsome", "pins and", "it's hurtsy"):
        assert not words.heard_in(other), other


def test_no_words_find_nothing():
    assert not PainWords([]).heard_in("it hurts")
    assert not PainWords(["  "]).heard_in("it hurts")


def test_the_coachs_pain_words_cover_its_own_pain_phrases_and_leave_chatter_alone():
    content_dir = Settings().content_dir
    words = PainWords.load(content_dir)
    assert words.words, "content/speech.yml has no pain_words"
    speech = SpeechContent.load(speech_content_path(content_dir))
    pain = [p for p in speech.hands_free_phrases if "hurt" in p or "ouch" in p or "numb" in p]
    assert pain and all(words.heard_in(phrase) for phrase in pain)
    commands = ("stop", "pause", "next", "switch sides", "how long left", "hold on", "resume")
    assert not any(words.heard_in(command) for command in commands)
    assert words.heard_in("it stings") and words.heard_in("something popped")


def test_endings_count_only_as_the_last_words():
    words = PainWords(["hurts"], endings=["went um", "gone now"])
    assert words.heard_in("my toes went um") and words.heard_in("my foot's gone now ")
    assert words.heard_in("it hurts now")  # a word counts anywhere
    for other in ("it went um fine", "it's gone now and then", "gone nowhere", "went umbrella"):
        assert not words.heard_in(other), other


def test_the_coachs_endings_are_numb_as_whisper_writes_it():
    words = PainWords.load(Settings().content_dir)
    assert words.endings and words.heard_in("my calf feels um")
    assert not words.heard_in("how long left now")
