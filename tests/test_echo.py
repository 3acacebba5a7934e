"""The echo guard: the coach's own words, heard back, are never a command."""

from __future__ import annotations

import pytest

from coach.settings import DEFAULT_WORDS_PER_SECOND as WORDS_PER_SECOND
from coach.speech.echo import (
    ECHO_TAIL_SECONDS,
    RecentSpeech,
    is_echo,
    longest_shared_run,
    words_of,
)

SAID = [
    "Hold for 30 seconds.",
    "Paused. Say resume when you're ready.",
    "Now switch to your left side.",
]


@pytest.mark.parametrize(
    "heard",
    [
        "hold for 30 seconds",
        "hold for thirty seconds",
        "for 30 seconds",
        "switch to your left side",
        "uh now switch to your left side",
    ],
)
def test_the_coach_heard_back_is_an_echo(heard: str):
    assert is_echo(heard, SAID)


@pytest.mark.parametrize(
    "heard",
    [
        "resume",  # one word: the person answering the coach
        "stop",
        "pause",
        "make it 45 seconds",
        "how long left",
        "my leg is numb",
        "hold for 45 seconds",  # a real change of hold, not the coach's "hold for 30"
    ],
)
def test_the_person_is_not_an_echo(heard: str):
    assert not is_echo(heard, SAID)


def test_words_spell_out_digits_so_both_forms_match():
    assert words_of("Hold for 30 seconds.") == ["hold", "for", "thirty", "seconds"]
    assert longest_shared_run(["a", "b", "c"], ["x", "b", "c", "y"]) == 2


def test_recent_speech_is_kept_while_it_may_still_be_heard_and_per_conversation():
    recent = RecentSpeech(window=30)
    recent.add("anna", "Hold for 30 seconds.", now=100.0)  # 4 words: 2 s to say
    heard_until = 100.0 + 4 / WORDS_PER_SECOND + ECHO_TAIL_SECONDS
    assert recent.echoes("anna", "hold for 30 seconds", now=heard_until)
    assert not recent.echoes("ben", "hold for 30 seconds", now=101.0)
    assert not recent.echoes("anna", "hold for 30 seconds", now=heard_until + 0.1)


def test_a_person_saying_the_coachs_words_after_it_fell_silent_means_them():
    recent = RecentSpeech()
    recent.add("anna", "Hold 30 seconds, then do the other side.", now=0.0)
    assert recent.echoes("anna", "let's do the other side", now=3.0)  # still speaking
    assert not recent.echoes("anna", "let's do the other side", now=15.0)


def test_replies_play_one_after_another_and_a_long_one_is_heard_for_longer():
    recent = RecentSpeech(window=60)
    recent.add("anna", "Okay.", now=0.0)
    recent.add("anna", "Lie on your back with your knees bent and your feet flat.", now=0.1)
    recent.add("anna", "Hold for 30 seconds.", now=0.2)
    # queued behind 1 + 12 words, 4 of its own
    heard_until = (1 + 12 + 4) / WORDS_PER_SECOND + ECHO_TAIL_SECONDS
    assert recent.echoes("anna", "hold for 30 seconds", now=heard_until - 0.1)
    assert not recent.echoes("anna", "hold for 30 seconds", now=heard_until + 0.1)
    recent = RecentSpeech(window=10)  # never past the window
    recent.add("anna", " ".join(["word"] * 100), now=0.0)
    assert recent.recent("anna", now=10.0) and not recent.recent("anna", now=10.1)


def test_recent_speech_is_bounded():
    recent = RecentSpeech(tail=60)
    for i in range(20):
        recent.add("anna", f"reply number {i}", now=float(i))
    assert len(recent.recent("anna", now=20.0)) == 12
