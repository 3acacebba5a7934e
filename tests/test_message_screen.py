"""The NLU component that puts safety first, on real Rasa messages."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.shared.nlu.training_data.message import Message

from components.message_screen import MessageScreen


def _classified(text: str, intent: str = "ask_psoas_massage", confidence: float = 0.9) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 0.05}],
        add_to_output=True,
    )
    message.set(
        "entities", [{"entity": "side", "value": "left", "start": 0, "end": 4}], add_to_output=True
    )
    return message


def _screened(text: str, intent: str = "ask_psoas_massage") -> Message:
    [message] = MessageScreen({}).process([_classified(text, intent)])
    return message


def _entity(message: Message, name: str) -> Dict[str, Any] | None:
    found: List[Dict[str, Any]] = [e for e in message.get("entities") if e["entity"] == name]
    return found[0] if found else None


def test_red_flag_overrides_a_confident_prediction():
    message = _screened("how do i massage the left side, my leg is numb")
    assert message.get("intent") == {"name": "report_red_flag_symptom", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "report_red_flag_symptom"
    symptom = _entity(message, "symptom")
    assert symptom is not None
    assert symptom["value"] == "leg_numbness_weakness"
    # entities found by the classifier are kept
    assert _entity(message, "side") is not None


def test_condition_overrides_the_prediction():
    message = _screened("i'm pregnant, can i use a psoas massager")
    assert message.get("intent")["name"] == "report_health_condition"
    condition = _entity(message, "condition")
    assert condition is not None
    assert condition["value"] == "pregnancy"


def test_ordinary_message_is_left_alone():
    message = _screened("how do i massage my psoas")
    assert message.get("intent") == {"name": "ask_psoas_massage", "confidence": 0.9}
    assert _entity(message, "symptom") is None


def test_unusable_text_goes_to_the_fallback():
    for text in ["", "🙂", "腰大肌", "psoas " * 1000]:
        assert _screened(text).get("intent")["name"] == "nlu_fallback", text


def test_a_red_flag_inside_a_huge_message_still_wins():
    text = "blah " * 1000 + "and i lost control of my bladder"
    assert _screened(text).get("intent")["name"] == "report_red_flag_symptom"
