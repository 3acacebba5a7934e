"""NLU component that gives safety and input problems priority over the classifier.

It runs last in the pipeline. For each message it:

1. looks for a red-flag symptom, then a health condition, with the patterns in
   ``content/safety.yml``; a match sets the intent to ``report_red_flag_symptom``
   or ``report_health_condition`` with confidence 1.0 and adds a ``symptom`` or
   ``condition`` entity naming the category, whatever the classifier predicted;
2. otherwise, when the text cannot be understood as it is (empty, no words,
   not in a Latin script, too long), sets the intent to ``nlu_fallback`` so that
   the fallback action explains what happened.

The patterns are read when the model is loaded, not at import time.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from coach.intents import ENTITY_FOR_KIND, INTENT_FOR_KIND
from coach.safety.screen import SafetyScreen
from coach.services import process_services
from coach.text.input_checks import problem_with


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageScreen(GraphComponent):
    """Overrides the predicted intent for red flags, conditions and unusable text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(self, config: Dict[str, Any], screen: SafetyScreen | None = None) -> None:
        self.component_config = config
        self._screen = screen or process_services().safety

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageScreen:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._screen_message(message)
        return messages

    def _screen_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        match = self._screen.screen(text)
        if match is not None:
            kind = match.category.kind
            _set_intent(message, INTENT_FOR_KIND[kind])
            entities = [
                e
                for e in message.get(ENTITIES) or []
                if e.get("entity") not in ENTITY_FOR_KIND.values()
            ]
            entities.append(
                {
                    "entity": ENTITY_FOR_KIND[kind],
                    "value": match.category.name,
                    "start": match.start,
                    "end": match.end,
                    "confidence_entity": 1.0,
                    "extractor": type(self).__name__,
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
            return
        if problem_with(text) is not None:
            _set_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)


def _set_intent(message: Message, name: str) -> None:
    intent = {"name": name, "confidence": 1.0}
    ranking = [i for i in message.get(INTENT_RANKING_KEY) or [] if i.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
