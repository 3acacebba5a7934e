"""Rasa's REST channel, made safe for real clients.

Same URL (``/webhooks/rest/webhook``) and JSON as the stock channel, plus:
- a message that is missing or not a string is treated as empty text (it gets
  the "I didn't get any text" answer instead of an error);
- with ``PSOAS_JWT_SECRET`` set, a valid bearer token is needed, and a token
  bound to a conversation (``sub``) talks to that one (``channels.access``);
- a missing sender gets a fresh conversation id (returned as ``recipient_id``),
  never the shared ``default`` conversation;
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
        sender = _json_body(req).get("sender")
        if isinstance(sender, (str, int)) and str(sender).strip():
            return str(sender).strip()[:128]
        return f"anonymous-{uuid.uuid4().hex}"

    def _extract_message(self, req: Request) -> str | None:
        message = _json_body(req).get("message")
        return message if isinstance(message, str) else ""

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        services = process_services()
        blueprint = super().blueprint(reply_even_on_failure(on_new_message, services))
        guard_the_store(blueprint)
        require_token(blueprint, services)
        return blueprint
