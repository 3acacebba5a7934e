"""Safety: the screen finds red flags and conditions, and the actions route them."""

from __future__ import annotations

import pytest

from actions.safety import ActionRespondToHealthCondition, ActionRespondToRedFlag
from coach.intents import CONDITION, RED_FLAG
from tests.support.trackers import slot_events, texts

RED_FLAGS = [
    ("my left leg went numb while stretching", "leg_numbness_weakness"),
    ("uh my leg is numb", "leg_numbness_weakness"),
    ("i have tingling in my foot", "leg_numbness_weakness"),
    ("it's tingling now", "leg_numbness_weakness"),
    ("i can't feel my leg", "leg_numbness_weakness"),
    ("my knee keeps giving way", "leg_numbness_weakness"),
    ("shooting pain down my leg", "leg_numbness_weakness"),
    ("i lost control of my bladder", "bladder_bowel"),
    ("since yesterday i cant control my bowels", "bladder_bowel"),
    ("i wet myself and my back hurts", "bladder_bowel"),
    ("numbness in my groin", "bladder_bowel"),
    ("there's a pulsing lump in my belly", "pulsing_abdomen"),
    ("i can feel a throbbing mass in my stomach", "pulsing_abdomen"),
    ("back pain and a fever", "fever"),
    ("i get night sweats with this back pain", "fever"),
    ("my hip hurts after i fell down the stairs", "after_fall"),
    ("pain started after a car accident", "after_fall"),
    ("the pain is unbearable", "severe_pain"),
    ("it keeps getting worse", "severe_pain"),
    ("severe back pain", "severe_pain"),
    ("i had cancer and now my back hurts", "cancer_or_weight_loss"),
    ("ouch", "pain_during_exercise"),
    ("ow", "pain_during_exercise"),
    ("owww my hip", "pain_during_exercise"),
    ("that's painful", "pain_during_exercise"),
    ("it's really hurting", "pain_during_exercise"),
    ("it hurts", "pain_during_exercise"),
    ("that really hurts", "pain_during_exercise"),
    ("sharp pain in my hip", "pain_during_exercise"),
    ("My Leg Is Numb!", "leg_numbness_weakness"),
    ("my leg\u2019s gone numb", "leg_numbness_weakness"),
    ("my leg just gave out", "leg_numbness_weakness"),
    ("my knee suddenly buckled", "leg_numbness_weakness"),
    ("my foot won't move", "leg_numbness_weakness"),
    ("i have a weak leg", "leg_numbness_weakness"),
]

CONDITIONS = [
    ("i'm pregnant can i massage my psoas", "pregnancy"),
    ("im 20 weeks pregnant", "pregnancy"),
    ("i had a c-section last month", "recent_surgery"),
    ("i had hernia repair surgery in june", "recent_surgery"),
    ("i have a hip replacement", "hip_replacement"),
    ("i have an aortic aneurysm", "aneurysm"),
    ("i take warfarin", "blood_thinners"),
    ("i'm on blood thinners", "blood_thinners"),
    ("i have osteoporosis", "osteoporosis"),
]

BENIGN = [
    "how do i stretch my psoas",
    "can a tight psoas cause lower back pain",
    "my lower back hurts when i sit all day what stretch helps",
    "what is the psoas",
    "hold it for 30 seconds on my right side",
    "is it safe to massage the psoas",
    "when should i see a doctor",
    "how do i use a hip release tool",
    "no numbness or tingling, just tight hips",
    "i don't have any numbness",
    "i'm not pregnant",
    "my hip hurts after falling asleep on the couch",
    "does the psoas help me walk",
    "right now i want to stretch",
    "how do i stretch my psoas without it hurting",
    "is it painful to massage the psoas",
    "it's not painful, just tight",
    "how long should i hold it",
    "my leg day went well",
    "i won't move until the timer ends",
]


@pytest.mark.parametrize("text, category", RED_FLAGS)
def test_red_flags_are_found(services, text, category):
    match = services.safety.screen(text)
    assert match is not None, text
    assert (match.category.kind, match.category.name) == (RED_FLAG, category)


@pytest.mark.parametrize("text, category", CONDITIONS)
def test_conditions_are_found(services, text, category):
    match = services.safety.screen(text)
    assert match is not None, text
    assert (match.category.kind, match.category.name) == (CONDITION, category)


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_questions_and_negations_are_not_flagged(services, text):
    assert services.safety.screen(text) is None


def test_red_flag_wins_over_condition(services):
    match = services.safety.screen("i'm pregnant and my leg is numb")
    assert match is not None
    assert match.category.kind == RED_FLAG


def test_emergencies_send_people_to_emergency_care(dispatcher, tracker_factory, run_action):
    for text in ("i lost control of my bladder", "there's a pulsing lump in my belly"):
        run_action(ActionRespondToRedFlag(), tracker_factory(text, screen=True))
    for said in texts(dispatcher):
        assert "emergency" in said.lower()
        assert "can't diagnose" in said


def test_red_flag_answer_drops_the_topic_so_massage_advice_does_not_follow(
    dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory(
        "my leg went numb", screen=True, slots={"topic": "psoas_massage", "more_available": True}
    )
    events = run_action(ActionRespondToRedFlag(), tracker)
    said = texts(dispatcher)[0]
    assert "Please stop the stretch now" in said
    assert "massage the front" not in said
    assert slot_events(events) == {"topic": None, "more_available": False}


def test_red_flag_with_a_condition_answers_both(dispatcher, tracker_factory, run_action):
    run_action(
        ActionRespondToRedFlag(),
        tracker_factory("i'm pregnant and i have a fever with back pain", screen=True),
    )
    said = texts(dispatcher)[0]
    assert "fever" in said
    assert "pregnant" in said


def test_red_flag_predicted_by_the_classifier_alone_gets_the_general_answer(
    services, dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory("something weird is going on with me", "report_red_flag_symptom")
    run_action(ActionRespondToRedFlag(), tracker)
    assert texts(dispatcher)[0].startswith(services.safety.generic(RED_FLAG).text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("i'm pregnant can i do the stretch", "midwife or doctor"),
        ("i have an aneurysm", "don't do deep psoas massage"),
        ("i take eliquis", "blood thinners"),
        ("i had a hip replacement last year", "surgeon or physiotherapist"),
        ("i had surgery two weeks ago", "surgeon or physiotherapist"),
    ],
)
def test_conditions_go_to_a_clinician_first(
    text, expected, dispatcher, tracker_factory, run_action
):
    run_action(ActionRespondToHealthCondition(), tracker_factory(text, screen=True))
    assert expected in texts(dispatcher)[0]


def test_condition_from_the_classifier_alone_gets_the_general_answer(
    services, dispatcher, tracker_factory, run_action
):
    tracker = tracker_factory("i have a heart thing", "report_health_condition")
    run_action(ActionRespondToHealthCondition(), tracker)
    assert texts(dispatcher)[0].startswith(services.safety.generic(CONDITION).text)
