"""bench/voice/heard_training.py (an experiment): which transcripts of the NLU's
own examples would become training data: no routine command, no typed example
or held-out sentence repeated, entities marked again."""

from __future__ import annotations

import pytest
import yaml

from bench.voice.heard_training import (
    LEFT_OUT,
    Example,
    Tidy,
    annotated,
    held_out_forms,
    render,
    select,
)
from coach.speech.lm.training_data import parse_example


@pytest.fixture(scope="module")
def tidy() -> Tidy:
    return Tidy()


WHAT = Example("ask_what_is_psoas", "What is the psoas?", ())
STRETCH = Example(
    "ask_psoas_stretch", "how do I stretch my left psoas", (("left", "side", "left"),)
)
TOOL = Example(
    "ask_release_tool",
    "what is a psoas massager",
    (("psoas massager", "tool", "release tool"),),
)
STOP = Example("routine_stop", "stop the stretch", ())


def test_a_near_miss_is_kept_with_its_entities_marked_again(tidy: Tidy):
    chosen = select(
        [STRETCH, TOOL],
        [
            (STRETCH, "how do i stretch my left soil"),
            (TOOL, "what is a psoas massager now"),
        ],
        tidy,
    )
    assert chosen == {
        "ask_psoas_stretch": ["how do i stretch my [left](side) soil"],
        "ask_release_tool": [
            'what is a [psoas massager]{"entity": "tool", "value": "release tool"} now'
        ],
    }


def test_a_lost_entity_drops_the_transcript(tidy: Tidy):
    assert annotated(STRETCH, "how do i stretch my lift soil", tidy) is None
    assert select([STRETCH], [(STRETCH, "how do i stretch my lift soil")], tidy) == {}


def test_the_same_words_empty_or_unlike_transcripts_are_not_kept(tidy: Tidy):
    pairs = [
        (WHAT, "what is the psoas"),  # the typed sentence, tidied: nothing new
        (WHAT, ""),
        (WHAT, "i'll catch you next time"),  # lost the sentence
    ]
    assert select([WHAT], pairs, tidy) == {}


def test_a_transcript_two_intents_share_or_a_typed_example_is_dropped(tidy: Tidy):
    other = Example("ask_psoas_location", "where is the psoas", ())
    pairs = [(WHAT, "what is the soul"), (other, "what is the soul"), (WHAT, "where is the psoas")]
    assert select([WHAT, other], pairs, tidy) == {}


def test_routine_commands_are_never_learnt_from_transcripts(tidy: Tidy):
    assert STOP.intent in LEFT_OUT
    assert select([STOP], [(STOP, "stop the stress")], tidy) == {}
    assert "report_red_flag_symptom" not in LEFT_OUT  # pain heard wrongly still stops


def test_render_writes_rasa_training_data(tidy: Tidy):
    chosen = select([STRETCH], [(STRETCH, "how do i stretch my left soil")], tidy)
    data = yaml.safe_load(render(chosen))
    block = data["nlu"][0]
    example = parse_example(block["intent"], block["examples"].splitlines()[0][2:])
    assert example.text == "how do i stretch my left soil"
    assert [example.text[s:e] for s, e, _ in example.entities] == ["left"]


def test_a_transcript_that_is_a_held_out_sentence_is_dropped(tidy: Tidy):
    held_out = held_out_forms()
    heard = "is it safe for me to massage my psoas"
    assert heard in held_out  # tests/nlu_holdout.yml
    safe = Example("ask_contraindications", "is it safe for me to massage the psoas", ())
    assert select([safe], [(safe, heard)], tidy, held_out) == {}
    assert select([safe], [(safe, heard)], tidy) != {}
