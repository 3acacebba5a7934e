"""The one intents table (coach/intents.py) agrees with the domain and with itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from coach import intents

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def named_intents() -> set[str]:
    return {
        *intents.INTENT_COMMAND,
        *intents.ROUTINE_ONLY_WHEN_ACTIVE,
        *intents.ROUTINE_INTENTS,
        *intents.HANDS_FREE_INTENTS,
        *intents.BARGE_IN_INTENTS,
        *intents.BARGE_IN_DECOY_INTENTS,
        *intents.INTENT_FOR_KIND.values(),
        intents.CUE_INTENT,
        intents.START_ROUTINE_INTENT,
        intents.SET_HOLD_INTENT,
    }


def test_every_intent_the_table_names_is_in_the_domain(domain):
    assert named_intents() - set(domain["intents"]) == set()


def test_every_safety_entity_is_in_the_domain(domain):
    assert set(intents.ENTITY_FOR_KIND.values()) <= set(domain["entities"])
    assert set(intents.ENTITY_FOR_KIND) == set(intents.INTENT_FOR_KIND) == set(intents.SAFETY_KINDS)


def test_every_intent_maps_to_a_known_command():
    assert set(intents.INTENT_COMMAND.values()) <= set(intents.COMMANDS)
    assert len(set(intents.COMMANDS)) == len(intents.COMMANDS)


def test_the_conversation_intents_a_routine_takes_over_are_routine_commands():
    assert set(intents.INTENT_COMMAND) >= intents.ROUTINE_ONLY_WHEN_ACTIVE


def test_barge_in_lets_pain_through_and_decoys_never_stop():
    assert intents.RED_FLAG_INTENT not in intents.BARGE_IN_DECOY_INTENTS
    assert not intents.BARGE_IN_INTENTS & intents.BARGE_IN_DECOY_INTENTS
    assert intents.BARGE_IN_INTENTS <= intents.ROUTINE_INTENTS


def test_the_widget_messages_trigger_domain_intents(domain):
    for message in [*intents.WIDGET_BUTTONS.values(), intents.RECONNECT_MESSAGE]:
        assert message.startswith("/")
        name = message[1:].split("{", 1)[0]
        assert name in domain["intents"], message
    assert intents.RECONNECT_MESSAGE == '/EXTERNAL_routine_cue{"cue": "reconnect"}'
