"""Rasa's socket.io channel with the guarantee of a reply (``channels.guard``).

Same events and options as the stock channel (``user_uttered`` /
``bot_uttered``, ``session_persistence``), so stock widgets such as
rasa-webchat work unchanged: they get Rasa's stock message form. A client that
sends ``"rich": true`` in its ``session_request`` (our web widget) gets whole
messages with ``spoken``, ``audio_url`` and ``routine`` instead.

Three of Rasa's handlers are replaced by stricter ones:
- ``connect``: a browser page from another origin is refused unless listed in
  ``PSOAS_CORS_ORIGINS`` (the widget's own origin always passes), and with
  ``PSOAS_JWT_SECRET`` set a valid token is needed (``auth: {token}``);
- ``session_request``: also joins the room of the message form asked for; a
  token bound to a conversation (``sub``) gets that conversation, whatever it
  asked for;
- ``user_uttered``: a message of the wrong shape (not an object, text that is
  not a string, metadata that is not JSON) is read as empty text, never as an
  error, and a bound token's messages go to its own conversation.

The running channel connects itself to the process's live sessions
(``Services.sessions``) so that other channels can reach a conversation's
socket.io session: the voice channel hands it the timed cues of a routine
that was started or changed by voice.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.guard import (
    OnNewMessage,
    emit_to_session,
    guard_the_store,
    plain_room,
    reply_even_on_failure,
    rich_room,
)
from coach.access import origin_allowed, same_origins
from coach.services import Services, process_services
from coach.text.input_checks import clean_conversation_id, text_to_read

logger = logging.getLogger(__name__)

BOUND = "bound_to"  # the socket's session key for its token's conversation


def metadata_of(data: Dict[str, Any], key: str) -> Dict[str, Any]:
    metadata = data.get(key) or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


class SocketIOChannel(SocketIOInput):
    """``socketio`` channel that always answers."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    services: Services | None = None  # a test's own; else the process's

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        services = self.services or process_services()
        guarded = reply_even_on_failure(on_new_message, services)
        blueprint = super().blueprint(guarded)
        guard_the_store(blueprint)
        sio = self.sio
        assert sio is not None
        settings = services.settings

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> bool:
            headers = {
                k[5:].lower().replace("_", "-"): str(v)
                for k, v in environ.items()
                if k.startswith("HTTP_")
            }
            own = same_origins(
                str(environ.get("wsgi.url_scheme", "http")), headers.get("host", ""), headers
            )
            if not origin_allowed(headers.get("origin"), own, settings.cors_origins):
                logger.warning("socket.io: refused a page from %s", headers.get("origin"))
                return False
            token = auth.get("token") if isinstance(auth, dict) else None
            claims = services.tokens.claims(token)
            if claims is None:
                logger.info("socket.io: refused a connection without a valid token")
                return False
            await sio.save_session(sid, {BOUND: claims.subject}, namespace=self.namespace)
            return True

        async def bound(sid: str) -> str | None:
            try:
                session = await sio.get_session(sid, namespace=self.namespace)
            except KeyError:
                return None
            value = session.get(BOUND)
            return str(value) if value else None

        # replaces Rasa's handler: the same, plus the room of the form asked for
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = (
                await bound(sid)
                or clean_conversation_id(data.get("session_id"))
                or uuid.uuid4().hex
            )
            rich = data.get("rich") is True
            if self.session_persistence:
                sio.enter_room(sid, session_id)
                sio.enter_room(sid, rich_room(session_id) if rich else plain_room(session_id))
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                sender = await bound(sid) or clean_conversation_id(data.get("session_id"))
                if sender is None:
                    logger.info("socket.io: a message without a session id was ignored")
                    return
            else:
                sender = sid
            message = UserMessage(
                text_to_read(data.get("message")),
                SocketIOOutput(sio, self.bot_message_evt),
                sender,
                input_channel=self.name(),
                metadata=metadata_of(data, self.metadata_key),
            )
            await guarded(message)

        output = SocketIOOutput(sio, self.bot_message_evt)

        async def push(session_id: str, message: Dict[str, Any]) -> None:
            await emit_to_session(output, session_id, message)

        services.sessions.connect(push)
        return blueprint
