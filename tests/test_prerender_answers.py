"""Pre-rendering the answers: every fixed text the coach says is in the audio cache
before anyone asks, in the exact form the server will synthesize."""

from __future__ import annotations

from coach.intents import CONDITION, RED_FLAG
from coach.services import Services
from coach.tools.prerender_audio import ANSWER, SAFETY, collect_answers


def test_every_fixed_answer_is_collected_without_placeholders(services: Services):
    cues = collect_answers(services.settings.content_dir, services.safety)
    spoken = {cue.spoken for cue in cues if cue.name == ANSWER}
    stretch = services.content.topic_for_intent("ask_psoas_stretch")
    assert stretch is not None and stretch.answer.spoken in spoken
    assert services.content.disclaimer.spoken in spoken
    assert services.content.message("not_understood").reply.spoken in spoken
    assert "Take care, and go gently. Bye!" in spoken  # a domain response, as it is spoken
    assert not any("{" in text for text in spoken)


def test_safety_answers_are_collected_as_the_actions_say_them(services: Services):
    """The safety actions say the category's answer followed by the closing line."""
    safety = services.safety
    said = {cue.spoken for cue in collect_answers(services.settings.content_dir, safety)}
    for kind in (RED_FLAG, CONDITION):
        for category in safety.categories(kind):
            assert category.response.joined(safety.closing).spoken in said
        assert safety.generic(kind).joined(safety.closing).spoken in said
    names = {cue.name for cue in collect_answers(services.settings.content_dir, safety)}
    assert names == {ANSWER, SAFETY}
