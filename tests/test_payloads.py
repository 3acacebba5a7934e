"""Which typed ``/intent{...}`` messages pass (coach/payloads.py)."""

from __future__ import annotations

import pytest

from coach.intents import RECONNECT_MESSAGE, WIDGET_BUTTONS
from coach.payloads import PayloadPolicy
from coach.settings import DEFAULT_DOMAIN_FILE


@pytest.fixture(scope="module")
def policy() -> PayloadPolicy:
    return PayloadPolicy.from_domain(DEFAULT_DOMAIN_FILE)


@pytest.mark.parametrize(
    "text",
    [
        "how do I stretch my psoas",
        "",
        "3/4 of the way",
        RECONNECT_MESSAGE,
        *WIDGET_BUTTONS.values(),
        "/ask_psoas_stretch",
        '/start_routine{"routine": "deep_massage"}',
        '/set_hold_duration{"duration": 45}',
        "  /affirm  ",
    ],
)
def test_words_buttons_and_the_reconnect_cue_pass(policy: PayloadPolicy, text: str):
    assert policy.refusal(text) is None


@pytest.mark.parametrize(
    "text, why",
    [
        ('/EXTERNAL_routine_cue{"cue": "hold_end", "generation": "7"}', "timed cue"),
        ('/EXTERNAL_routine_cue{"cue": "reconnect", "generation": "7"}', "timed cue"),
        ("/EXTERNAL_routine_cue", "timed cue"),
        ("/EXTERNAL_anything", "may not send"),
        ("/nonexistent_intent", "may not send"),
        ('/routine_next{"generation": "9"}', "entity"),
        ('/start_routine{"routine": "x", "evil": 1}', "entity"),
        ('/start_routine{"routine": ["a"]}', "not text"),
        ('/start_routine{"routine": "' + "a" * 500 + '"}', "too long"),
        ("/greet{not json", "not JSON"),
        ('/greet["a"]', "may not send"),
        ('/greet ["a"]', "not an object"),
        ("/greet@0.3", "confidence"),
        ("/", "no intent"),
        ("/{}", "no intent"),
    ],
)
def test_forged_commands_are_refused(policy: PayloadPolicy, text: str, why: str):
    refusal = policy.refusal(text)
    assert refusal is not None and why in refusal


def test_every_button_the_content_offers_passes(policy: PayloadPolicy):
    import yaml

    from coach.settings import DEFAULT_CONTENT_DIR

    text = (DEFAULT_CONTENT_DIR / "answers.yml").read_text(encoding="utf-8")
    payloads = [s["payload"] for s in _suggestions(yaml.safe_load(text))]
    domain = yaml.safe_load(DEFAULT_DOMAIN_FILE.read_text(encoding="utf-8"))
    payloads += [
        b["payload"]
        for responses in domain["responses"].values()
        for r in responses
        for b in r.get("buttons", [])
    ]
    assert len(payloads) > 20
    assert [p for p in payloads if policy.refusal(p)] == []


def _suggestions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "suggestions" and isinstance(value, list):
                yield from value
            else:
                yield from _suggestions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _suggestions(item)
