"""Answer actions: the right part of the guide, context-aware follow-ups."""

from __future__ import annotations

import pytest

from actions.answers import (
    ActionAnswerFollowUp,
    ActionAnswerQuestion,
    ActionHandleFallback,
    ActionRepeatLastAnswer,
)
from tests.support.trackers import slot_events, texts


def test_stretch_answer_gives_the_guide_steps_and_sets_the_topic(
    dispatcher, tracker_factory, run_action
):
    events = run_action(
        ActionAnswerQuestion(), tracker_factory("how do i stretch my psoas", "ask_psoas_stretch")
    )
    said = texts(dispatcher)
    assert "knee toward your chest" in said[0]
    assert "30 seconds" in said[0]
    assert dispatcher.messages[0]["spoken"].startswith("Lie on your back")
    slots = slot_events(events)
    assert slots["topic"] == "psoas_stretch"
    assert slots["more_available"] is True
    # the first health answer carries the disclaimer, once
    assert "not medical advice" in said[1]
    assert slots["disclaimer_shown"] is True


def test_disclaimer_is_not_repeated(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory("where is it", "ask_psoas_location", slots={"disclaimer_shown": True})
    events = run_action(ActionAnswerQuestion(), tracker)
    assert len(dispatcher.messages) == 1
    assert "disclaimer_shown" not in slot_events(events)


@pytest.mark.parametrize(
    "intent, expected",
    [
        ("ask_what_is_psoas", "hidden"),
        ("ask_psoas_location", "front of your hip"),
        ("ask_psoas_function", "stabilises your pelvis"),
        ("ask_psoas_breathing", "diaphragm"),
        ("ask_psoas_back_pain", "pull on your lower back"),
        ("ask_stretch_frequency", "daily exercise routine"),
        ("ask_psoas_massage", "where it meets the hip joint"),
        ("ask_deep_massage", "rotate your hips from side to side"),
        ("ask_release_tool", "stiffness of an elbow"),
        ("ask_release_tool_use", "ask your therapist"),
        ("ask_massage_benefits", "balance, posture and stability"),
        ("ask_menstrual_cramps", "don't know of good evidence"),
        ("ask_contraindications", "pregnant"),
        ("ask_when_to_see_doctor", "loss of bladder or bowel control"),
    ],
)
def test_each_question_gets_its_part_of_the_guide(
    intent, expected, dispatcher, tracker_factory, run_action
):
    run_action(ActionAnswerQuestion(), tracker_factory("question", intent))
    assert expected in texts(dispatcher)[0]


def test_overstated_claims_are_qualified(dispatcher, tracker_factory, run_action):
    run_action(ActionAnswerQuestion(), tracker_factory("psoas breathing?", "ask_psoas_breathing"))
    run_action(ActionAnswerQuestion(), tracker_factory("period cramps?", "ask_menstrual_cramps"))
    said = " ".join(texts(dispatcher))
    assert "overstates" in said
    assert "the guide's claim" in said


def test_how_long_after_the_stretch_is_about_the_stretch(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory("how long", "ask_hold_duration", slots={"topic": "psoas_stretch"})
    events = run_action(ActionAnswerQuestion(), tracker)
    assert "hold the stretch for 30 seconds" in texts(dispatcher)[0]
    # a follow-up keeps the topic under discussion
    assert "topic" not in slot_events(events)


def test_how_long_after_the_massage_says_the_guide_gives_no_time(
    dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory("how long?", "ask_hold_duration", slots={"topic": "psoas_massage"})
    run_action(ActionAnswerQuestion(), tracker)
    assert "no time for massage" in texts(dispatcher)[0]


def test_how_long_without_context_answers_the_hold(dispatcher, tracker_factory, run_action):
    events = run_action(ActionAnswerQuestion(), tracker_factory("how long", "ask_hold_duration"))
    assert "30 seconds on each side" in texts(dispatcher)[0]
    assert slot_events(events)["topic"] == "hold_duration"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a minute", "You asked about **60 seconds**"),
        ("ten seconds", "**10 seconds** is a fine way to ease in"),
        ("30 secs", "Yes, **30 seconds** is exactly"),
    ],
)
def test_a_named_hold_is_compared_with_the_guide(
    value, expected, dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory(
        f"can i hold it for {value}",
        "ask_hold_duration",
        entities=[{"entity": "duration", "value": value}],
    )
    run_action(ActionAnswerQuestion(), tracker)
    assert texts(dispatcher)[0].startswith(expected)


def test_other_side_after_the_stretch_mirrors_it(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory(
        "and the other side", "ask_other_side", slots={"topic": "psoas_stretch"}
    )
    run_action(ActionAnswerFollowUp(), tracker)
    assert "left hand on your left thigh" in texts(dispatcher)[0]


def test_asking_for_the_right_side_gives_the_right_side(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory(
        "what about the right side",
        "ask_other_side",
        entities=[{"entity": "side", "value": "right"}],
        slots={"topic": "psoas_stretch"},
    )
    run_action(ActionAnswerFollowUp(), tracker)
    assert "right hand on your right thigh" in texts(dispatcher)[0]


def test_other_side_of_a_topic_without_one_uses_the_default(
    services, dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory("other side?", "ask_other_side", slots={"topic": "release_tool"})
    run_action(ActionAnswerFollowUp(), tracker)
    assert texts(dispatcher)[0] == services.content.default("other_side").text


def test_follow_up_without_a_topic_asks_which_one(dispatcher, tracker_factory, run_action):
    run_action(ActionAnswerFollowUp(), tracker_factory("tell me more", "ask_more_detail"))
    assert "Which part do you mean" in texts(dispatcher)[0]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "/ask_psoas_stretch",
        "/ask_psoas_massage",
        "/ask_release_tool",
    ]


def test_tell_me_more_after_the_massage_gives_the_deeper_massage(
    dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory(
        "tell me more",
        "ask_more_detail",
        slots={"topic": "psoas_massage", "more_available": True},
    )
    events = run_action(ActionAnswerFollowUp(), tracker)
    assert "Deeper massage" in texts(dispatcher)[0]
    assert slot_events(events)["more_available"] is False


def test_more_once_it_was_given_says_that_is_all(services, dispatcher, tracker_factory, run_action):
    tracker = tracker_factory(
        "more", "ask_more_detail", slots={"topic": "psoas_massage", "more_available": False}
    )
    run_action(ActionAnswerFollowUp(), tracker)
    assert texts(dispatcher)[0] == services.content.default("more").text


def test_yes_accepts_the_more_on_offer(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory(
        "yes please", "affirm", slots={"topic": "psoas_stretch", "more_available": True}
    )
    run_action(ActionAnswerFollowUp(), tracker)
    assert "Second version" in texts(dispatcher)[0]


def test_yes_with_nothing_on_offer_asks_what_else(dispatcher, tracker_factory, run_action):
    run_action(ActionAnswerFollowUp(), tracker_factory("yes", "affirm"))
    assert texts(dispatcher)[0].startswith("Great!")


def test_no_declines_the_offer(dispatcher, tracker_factory, run_action):
    tracker = tracker_factory(
        "no thanks", "deny", slots={"topic": "psoas_stretch", "more_available": True}
    )
    events = run_action(ActionAnswerFollowUp(), tracker)
    assert texts(dispatcher)[0].startswith("No problem")
    assert slot_events(events)["more_available"] is False


def test_repeat_says_the_previous_answer_again(dispatcher, tracker_factory, run_action):
    history = [
        {"event": "user", "text": "where is it"},
        {"event": "bot", "text": "It runs from your spine.", "metadata": {"spoken": "Spine."}},
        {"event": "bot", "text": "Disclaimer.", "metadata": {}},
    ]
    run_action(
        ActionRepeatLastAnswer(), tracker_factory("say that again", "ask_repeat", events=history)
    )
    assert texts(dispatcher) == ["It runs from your spine.", "Disclaimer."]
    assert dispatcher.messages[0]["spoken"] == "Spine."


def test_repeat_with_nothing_said_yet(dispatcher, tracker_factory, run_action):
    run_action(ActionRepeatLastAnswer(), tracker_factory("repeat", "ask_repeat"))
    assert "haven't said anything" in texts(dispatcher)[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "didn't get any text"),
        ("   \n\t ", "didn't get any text"),
        ("😀😀🔥", "not emoji"),
        ("как растянуть мышцу", "only understand English"),
        ("psoas " * 2000, "too long"),
        ("blorp fizzle wug", "didn't understand"),
    ],
)
def test_fallback_explains_what_went_wrong(text, expected, dispatcher, tracker_factory, run_action):
    run_action(ActionHandleFallback(), tracker_factory(text, "nlu_fallback"))
    assert expected in texts(dispatcher)[0]


def test_fallback_never_echoes_the_message(dispatcher, tracker_factory, run_action):
    attack = "<script>alert('x')</script>"
    run_action(ActionHandleFallback(), tracker_factory(attack, "nlu_fallback"))
    assert "<script" not in texts(dispatcher)[0]
