# ruff: noqa: RUF001 (a typographic apostrophe is the point)
"""Text as the recogniser writes it, and the NLU data read into each model's
sentences (coach.speech.lm.normalise, .training_data, .corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.settings import DEFAULT_DATA_DIR
from coach.speech.lm.corpus import SpeechContent, build_corpus
from coach.speech.lm.names import (
    BARGE_IN,
    COMMANDS,
    QUESTIONS,
    closed_form,
)
from coach.speech.lm.normalise import Normaliser
from coach.speech.lm.training_data import HEARD_FILE, Example, parse_example, read_examples
from coach.text.numbers import number_words
from tests.support.speech_models import (
    SMALL_DATA,
    write_nlu,
)

# --- normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "spoken"),
    [
        ("How do I stretch my PSOAS?", "how do i stretch my psoas"),
        ("make it 45 seconds", "make it forty five seconds"),
        ("hold for 120 seconds", "hold for one hundred and twenty seconds"),
        ("hold 30s", "hold thirty s"),
        ("is 50% of back pain from the psoas", "is fifty percent of back pain from the psoas"),
        ("I can do 3 sets", "i can do three sets"),
        # typed-only spellings corrected (content/speech.yml)
        ("how ofen to stretch psaos", "how often to stretch psoas"),
        ("hold 45 secs", "hold forty five seconds"),
        ("brb", "be right back"),
        ("i wake up at 7am", "i wake up at seven a m"),
        # apostrophes restored when only the form with one is a word
        ("thats all", "that's all"),
        ("i dont know", "i don't know"),
        ("it’s tight", "it's tight"),  # a typographic apostrophe
        ("'quoted' words", "quoted words"),
    ],
)
def test_typed_text_becomes_recogniser_words(normaliser: Normaliser, typed: str, spoken: str):
    assert " ".join(normaliser.words(typed)) == spoken


def test_words_that_exist_keep_their_spelling(normaliser: Normaliser):
    # "its", "lets", "cant", "im" are words of their own in cmudict: left alone
    assert normaliser.words("its lets") == ["its", "lets"]


def test_apostrophes_and_corrections_with_a_small_vocabulary():
    normaliser = Normaliser({"psaos": "psoas", "um": ""}, frozenset({"that's", "i'm", "psoas"}))
    assert normaliser.words("thats my psaos") == ["that's", "my", "psoas"]
    assert normaliser.words("im fine") == ["i'm", "fine"]
    assert normaliser.words("whats up") == ["whats", "up"]  # no "what's" known: unchanged
    assert normaliser.words("um hello") == ["hello"]  # an empty correction drops the word
    assert normaliser.words("7am") == ["seven", "am"]  # digits then letters, without a correction
    assert normaliser.words("") == []
    assert normaliser.words("?! ...") == []


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (45, "forty five"),
        (90, "ninety"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (120, "one hundred and twenty"),
        (999, "nine hundred and ninety nine"),
        (1000, "one thousand"),
        (2024, "two thousand twenty four"),
        (30_500, "thirty thousand five hundred"),
        (999_999, "nine hundred and ninety nine thousand nine hundred and ninety nine"),
        (-3, "minus three"),
        (1_234_567, "one two three four five six seven"),  # read digit by digit
    ],
)
def test_number_words(n: int, words: str):
    assert number_words(n) == words


# --- reading the NLU data -------------------------------------------------------------


def test_parse_example_with_a_round_bracket_entity():
    example = parse_example("set_hold_duration", "make it [45 seconds](duration) please")
    assert example == Example(
        "set_hold_duration", "make it 45 seconds please", ((8, 18, "duration"),)
    )
    assert example.text[8:18] == "45 seconds"


def test_parse_example_with_a_json_entity():
    example = parse_example(
        "ask_tool",
        'can i use a [psoas massager]{"entity": "tool", "value": "release tool"} today',
    )
    assert example.text == "can i use a psoas massager today"
    [(start, end, entity)] = example.entities
    assert (example.text[start:end], entity) == ("psoas massager", "tool")


def test_parse_example_with_several_entities_roles_and_bad_json():
    example = parse_example(
        "x", '[right](side) for [30 seconds](duration:hold) then [left]{"entity": "side"} [?]{bad}'
    )
    assert example.text == "right for 30 seconds then left ?"
    spans = [(example.text[s:e], entity) for s, e, entity in example.entities]
    assert spans == [("right", "side"), ("30 seconds", "duration"), ("left", "side"), ("?", "")]
    assert parse_example("x", "no entities [here").text == "no entities [here"


def test_read_examples_takes_intents_and_skips_the_rest(tmp_path: Path):
    write_nlu(tmp_path / "data", SMALL_DATA)
    examples = read_examples(tmp_path / "data")
    assert len(examples) == sum(len(v) for v in SMALL_DATA.values())
    assert {e.intent for e in examples} == set(SMALL_DATA)
    assert Example("set_hold_duration", "make it 45 seconds", ((8, 18, "duration"),)) in examples


def test_what_whisper_heard_trains_the_nlu_but_not_the_speech_models(tmp_path: Path):
    write_nlu(tmp_path / "data", SMALL_DATA)
    (tmp_path / "data" / HEARD_FILE).write_text(
        'version: "3.1"\nnlu:\n- intent: ask_what_is_psoas\n  examples: |\n'
        "    - what is the soul in\n",
        encoding="utf-8",
    )
    typed = read_examples(tmp_path / "data")
    assert "what is the soul in" not in {e.text for e in typed}
    with_heard = read_examples(tmp_path / "data", heard=True)
    assert Example("ask_what_is_psoas", "what is the soul in") in with_heard
    assert len(with_heard) == len(typed) + 1


def test_the_real_data_is_read():
    examples = read_examples(DEFAULT_DATA_DIR)
    assert len(examples) > 500
    assert {"routine_stop", "routine_pause", "set_hold_duration"} <= {e.intent for e in examples}
    assert not any("](" in e.text or "]{" in e.text for e in examples)


def test_the_corpus_sorts_sentences_into_models(
    normaliser: Normaliser, speech_content: SpeechContent
):
    examples = [parse_example(i, e) for i, all_ in SMALL_DATA.items() for e in all_]
    corpus = build_corpus(examples, speech_content, normaliser.known)
    questions = {" ".join(s) for s in corpus.sentences[QUESTIONS]}
    commands = {" ".join(s) for s in corpus.sentences[COMMANDS]}
    barge_in = {" ".join(s) for s in corpus.sentences[BARGE_IN]}
    assert {"what is the psoas", "stop", "next step", "make it forty five seconds"} <= questions
    assert "what is the psoas" not in commands
    assert {"stop", "next step", "make it ninety seconds", "hold for two minutes"} <= commands
    # spoken durations: every hold a person may ask for, in both templates
    assert {"make it a minute and a half", "hold for five seconds"} <= commands
    # the routine phrases of content/speech.yml join the commands
    assert {"it hurts", "my leg is numb"} <= commands
    # barge-in: only short stop and pause commands, and the barge-in phrases
    assert {"stop", "stop the routine", "pause", "wait", "ouch", "hold on"} <= barge_in
    assert "next" not in barge_in and "next step" not in barge_in
    assert "that's enough for today thank you very much" not in barge_in  # too long
    # its decoys: the other short routine commands, never a stop, a pause or a red flag
    decoys = {" ".join(s) for s in corpus.decoys[BARGE_IN]}
    assert "next step" in decoys and not decoys & barge_in
    assert "my foot went numb" not in decoys and "stop" not in decoys
    assert corpus.vocabulary() == sorted(corpus.vocabulary())
    assert "psaos" not in corpus.vocabulary()


def test_closed_form_drops_fillers():
    assert closed_form(["um", "stop", "please"]) == "stop"
    assert closed_form(["okay", "coach", "pause", "the", "timer"]) == "pause the timer"
    assert closed_form(["uh"]) == ""
