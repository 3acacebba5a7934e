"""The action response validator built once (channels/action_results.py) judges
every response as Rasa's own ``jsonschema.validate`` does."""

from __future__ import annotations

from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from channels import action_results

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "stretch", "timestamp": None}]},
    {
        "events": [
            {"event": "reminder", "intent": "EXTERNAL_routine_cue", "date_time": "2026-12-04T10:00"}
        ],
        "responses": [{"text": "Hold it.", "custom": {"spoken": "Hold it."}}],
    },
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"event": 42}]},
    {"events": [{"event": "slot", "name": 7}]},
    {"responses": ["a string, not an object"]},
    [],
]


def rasa_verdict(result: Any) -> bool:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("result", GOOD + BAD)
def test_the_same_verdict_as_rasa(result: Dict[str, Any]):
    validator = action_results.ActionResultValidator()
    try:
        ours = validator.validate(result)
    except jsonschema.ValidationError as error:
        ours = False
        assert error.message.endswith(action_results.HINT)
    assert ours == rasa_verdict(result)
    assert ours == (result in GOOD)


def test_installed_once_and_used_by_rasa():
    class Action(RemoteAction):  # Rasa's class, left as it is for the other tests
        pass

    assert action_results.installed(Action) is None
    action_results.install(Action)
    first = action_results.installed(Action)
    action_results.install(Action)
    assert first is not None and action_results.installed(Action) is first
    action = Action("action_answer_question", None)
    assert action._validate_action_result(GOOD[1]) is True
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        action._validate_action_result(BAD[1])
