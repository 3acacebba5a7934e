"""Rasa's socket.io channel with the guarantee of a reply (``channels.guard``).

Same events and options as the stock channel (``user_uttered`` /
``bot_uttered``, ``session_persistence``), so stock widgets such as
rasa-webchat work unchanged: they get Rasa's stock message form. A client that
sends ``"rich": true`` in its ``session_request`` (our web widget) gets whole
messages with ``spoken``, ``audio_url`` and ``routine`` instead.

The running channel connects itself to the process's live sessions
(``Services.sessions``) so that other channels can reach a conversation's
socket.io session: the voice channel hands it the timed cues of a routine
that was started or changed by voice.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict

from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.guard import (
    OnNewMessage,
    emit_to_session,
    plain_room,
    reply_even_on_failure,
    rich_room,
)
from coach.services import Services, process_services


class SocketIOChannel(SocketIOInput):
    """``socketio`` channel that always answers."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    services: Services | None = None  # a test's own; else the process's

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        services = self.services or process_services()
        blueprint = super().blueprint(reply_even_on_failure(on_new_message, services))
        sio = self.sio
        assert sio is not None

        # replaces Rasa's handler: the same, plus the room of the form asked for
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Dict[str, Any] | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id.strip():
                session_id = uuid.uuid4().hex
            rich = data.get("rich") is True
            if self.session_persistence:
                sio.enter_room(sid, session_id)
                sio.enter_room(sid, rich_room(session_id) if rich else plain_room(session_id))
            await sio.emit("session_confirm", session_id, room=sid)

        output = SocketIOOutput(sio, self.bot_message_evt)

        async def push(session_id: str, message: Dict[str, Any]) -> None:
            await emit_to_session(output, session_id, message)

        services.sessions.connect(push)
        return blueprint
