"""Rasa's REST channel, made safe for real clients.

Same URL (``/webhooks/rest/webhook``) and JSON as the stock channel, plus:
- a body that is not a JSON object, and a message that is missing or not a
  string, are treated as empty text (the "I didn't get any text" answer, not a
  500); a message is cut to one character over the longest allowed before the
  NLU reads it (it still gets "too long", without the NLU's cost of a huge text);
- with ``PSOAS_JWT_SECRET`` set, a valid bearer token is needed, and a token
  bound to a conversation (``sub``) talks to that one (``channels.access``);
- a missing or unusable sender (no printable characters: a NUL or a lone
  surrogate would stop Rasa's SQL store) gets a fresh conversation id
  (returned as ``recipient_id``), never the shared ``default`` conversation;
- replies go out whole, with their spoken form and audio URL, and a failure
  anywhere still gets a clear reply (``channels.guard``).
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request

from channels.access import require_token, token_subject
from channels.guard import OnNewMessage, guard_the_store, reply_even_on_failure
from coach.services import process_services
from coach.text.input_checks import clean_conversation_id, text_to_read


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # malformed JSON: treated as an empty message
        return {}
    return body if isinstance(body, dict) else {}


class RestChannel(RestInput):
    """``rest`` channel with safe defaults for senders and messages."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        subject = token_subject(req)
        if subject:
            return subject
        sender = clean_conversation_id(_json_body(req).get("sender"))
        return sender or f"anonymous-{uuid.uuid4().hex}"

    def _extract_message(self, req: Request) -> str | None:
        return text_to_read(_json_body(req).get("message"))

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Rasa's reads ``request.json.get``, a 500 for a body that is no object."""
        metadata = _json_body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        services = process_services()
        blueprint = super().blueprint(reply_even_on_failure(on_new_message, services))
        guard_the_store(blueprint)
        require_token(blueprint, services)
        return blueprint
