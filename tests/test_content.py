"""The content files: complete, consistent with the domain, and loaded safely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.content.store import ContentError, YamlContentStore
from coach.intents import CONDITION, RED_FLAG
from coach.safety.screen import SafetyScreen
from coach.settings import PROJECT_ROOT as ROOT


def _intents_answered_from_the_guide() -> set[str]:
    with open(ROOT / "data" / "rules.yml", encoding="utf-8") as handle:
        rules = yaml.safe_load(handle)["rules"]
    answered: set[str] = set()
    for rule in rules:
        steps = rule["steps"]
        if steps[-1].get("action") == "action_answer_question":
            answered |= {option["intent"] for option in steps[0].get("or", [steps[0]])}
    return answered


def test_every_question_intent_has_a_topic_and_every_topic_a_rule():
    store = YamlContentStore()
    answered = _intents_answered_from_the_guide()
    assert len(answered) >= 16
    for intent in answered:
        assert store.topic_for_intent(intent) is not None, intent
    for topic in store.topics.values():
        assert set(topic.intents) <= answered, topic.id


def test_topics_name_only_domain_intents_and_suggest_real_ones(domain):
    store = YamlContentStore()
    intents = set(domain["intents"])
    for topic in store.topics.values():
        assert set(topic.intents) <= intents, topic.id
        for suggestion in topic.suggestions:
            assert suggestion.payload.lstrip("/") in intents, (topic.id, suggestion)


def test_spoken_forms_are_short_enough_to_listen_to():
    store = YamlContentStore()
    for topic in store.topics.values():
        for reply in filter(None, [topic.answer, topic.more, topic.how_long, topic.other_side]):
            assert len(reply.spoken.split()) <= 60, topic.id
            assert "*" not in reply.spoken and "\n" not in reply.spoken, topic.id


def test_every_safety_category_has_an_answer_and_patterns(services):
    screen = services.safety
    for kind in (RED_FLAG, CONDITION):
        categories = screen.categories(kind)
        assert categories
        for category in categories:
            assert category.patterns and category.response.text


def test_a_malformed_content_file_is_reported(tmp_path: Path):
    broken = tmp_path / "answers.yml"
    broken.write_text(
        "disclaimer: {spoken: s, text: t}\n"
        "topics:\n  x:\n    intents: [a]\n    answer: {spoken: hi}\n"
    )
    with pytest.raises(ContentError, match=r"x\.answer"):
        YamlContentStore(broken).topic("x")


def test_an_intent_answered_twice_is_reported(tmp_path: Path):
    twice = tmp_path / "answers.yml"
    reply = "{spoken: s, text: t}"
    twice.write_text(
        "disclaimer: " + reply + "\n"
        "topics:\n"
        f"  a: {{intents: [same], answer: {reply}}}\n"
        f"  b: {{intents: [same], answer: {reply}}}\n"
    )
    with pytest.raises(ContentError, match="answered by both"):
        YamlContentStore(twice).topic_for_intent("same")


def test_nothing_is_read_before_first_use(tmp_path: Path):
    # constructing a store or a screen on a missing file is fine: loading is lazy
    YamlContentStore(tmp_path / "missing.yml")
    SafetyScreen(tmp_path / "missing.yml")
