"""The echo guard: the coach's own words, heard back, are never a command."""

from __future__ import annotations

import pytest

from coach.speech.echo import RecentSpeech, is_echo, longest_shared_run, words_of

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


def test_recent_speech_forgets_after_its_window_and_per_conversation():
    recent = RecentSpeech(window=30)
    recent.add("anna", "Hold for 30 seconds.", now=100.0)
    assert recent.echoes("anna", "hold for 30 seconds", now=120.0)
    assert not recent.echoes("ben", "hold for 30 seconds", now=120.0)
    assert not recent.echoes("anna", "hold for 30 seconds", now=131.0)


def test_recent_speech_is_bounded():
    recent = RecentSpeech()
    for i in range(20):
        recent.add("anna", f"reply number {i}", now=float(i))
    assert len(recent.recent("anna", now=20.0)) == 12
