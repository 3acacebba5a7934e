"""Pure helpers: message shape checks and duration parsing."""

from __future__ import annotations

import pytest

from coach.text.durations import parse_seconds
from coach.text.input_checks import (
    EMPTY,
    MAX_MESSAGE_CHARS,
    NO_WORDS,
    NOT_ENGLISH_SCRIPT,
    TOO_LONG,
    problem_with,
)


@pytest.mark.parametrize(
    "text, problem",
    [
        (None, EMPTY),
        ("", EMPTY),
        (" \n ", EMPTY),
        ("🙂🙂", NO_WORDS),
        ("??? !!! 123", NO_WORDS),
        ("腰大肌是什么", NOT_ENGLISH_SCRIPT),
        ("ما هي العضلة", NOT_ENGLISH_SCRIPT),
        ("x" * (MAX_MESSAGE_CHARS + 1), TOO_LONG),
        ("how do I stretch my psoas?", None),
        ("¿cómo estiro el psoas?", None),  # Latin script: left to the classifier
        ("psoas 🙂", None),
    ],
)
def test_problem_with(text, problem):
    assert problem_with(text) == problem


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30 seconds", 30),
        ("45 secs", 45),
        ("30s", 30),
        ("a minute", 60),
        ("1 min", 60),
        ("two minutes", 120),
        ("half a minute", 30),
        ("a minute and a half", 90),
        ("forty five seconds", 45),
        ("thirty-five seconds", 35),
        ("hold it for ninety seconds", 90),
        ("1.5 minutes", 90),
        ("10,000 seconds", 10000),
        ("ten seconds", 10),
        ("every day", None),
        ("30 times", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_seconds(text, seconds):
    assert parse_seconds(text) == seconds


def test_conversation_ids_keep_only_what_the_store_can_write():
    from coach.text.input_checks import MAX_CONVERSATION_ID, clean_conversation_id

    assert clean_conversation_id("  user-1 ") == "user-1"
    assert clean_conversation_id(42) == "42"
    assert clean_conversation_id("a\x00b\udfffc") == "abc"
    for unusable in ("\udfff", "\x00", "   ", None, True, ["a"], {"a": 1}, 1.5):
        assert clean_conversation_id(unusable) is None
    assert len(clean_conversation_id("x" * 1000) or "") == MAX_CONVERSATION_ID


def test_the_nlu_never_reads_more_than_one_character_over_the_limit():
    from coach.text.input_checks import MAX_MESSAGE_CHARS, problem_with, text_to_read

    cut = text_to_read("psoas " * 100_000)
    assert len(cut) == MAX_MESSAGE_CHARS + 1
    assert problem_with(cut) == "too_long", "still answered as too long"
    assert text_to_read(None) == "" and text_to_read(["a"]) == ""
