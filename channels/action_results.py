"""Custom action responses validated with a validator built once, not once a call.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate``
(``RemoteAction._validate_action_result``), which first checks the schema itself
against JSON Schema's metaschema: Rasa's events schema is large, and that check
cost 20-30 ms of CPU a custom action here, about a third of what a whole
message cost the Rasa server (bench/speed, docs/benchmarks.md, "Speed"). The
schema never changes while the server runs, so it is checked once and the same
validator validates every response: the same rules, the same ``ValidationError``
with Rasa's own hint appended.

``install()`` replaces the method on Rasa's class; every channel's handler
(``channels.guard.reply_even_on_failure``) calls it, and it only acts once.
"""

from __future__ import annotations

from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

HINT = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


class ActionResultValidator:
    """Rasa's action response schema, checked once, validating many responses."""

    def __init__(self) -> None:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        self._validator = cls(schema)

    def validate(self, result: Dict[str, Any]) -> bool:
        """True, or Rasa's ``ValidationError`` (with its hint) for a bad response."""
        try:
            self._validator.validate(result)
        except ValidationError as error:
            error.message += HINT
            raise
        return True


def installed(target: type[RemoteAction] = RemoteAction) -> ActionResultValidator | None:
    """The validator ``target`` (Rasa's ``RemoteAction``) uses now (None: Rasa's own code)."""
    current = target.__dict__.get("_validate_action_result")
    validator = getattr(current, "validator", None)
    return validator if isinstance(validator, ActionResultValidator) else None


def install(target: type[RemoteAction] = RemoteAction) -> None:
    """Makes Rasa (``target``) validate action responses with one
    ``ActionResultValidator`` (a second call changes nothing). Called while the
    server starts, before any message, from the channels' set-up."""
    if installed(target) is not None:
        return
    validator = ActionResultValidator()

    def validate(_action: RemoteAction, result: Dict[str, Any]) -> bool:
        return validator.validate(result)

    validate.validator = validator  # type: ignore[attr-defined]
    target._validate_action_result = validate
