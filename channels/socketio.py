"""Rasa's socket.io channel with the guarantee of a reply (``channels.guard``).

Same events and options as the stock channel (``user_uttered`` /
``bot_uttered``, ``session_persistence``), so stock widgets such as
rasa-webchat work unchanged.

The running channel is remembered (``socketio_output``) so that other channels
can reach a conversation's socket.io session: the voice channel hands it the
timed cues of a routine that was started or changed by voice.
"""

from __future__ import annotations

import weakref
from typing import Any, Dict

from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.guard import OnNewMessage, reply_even_on_failure, socketio_form

_running: weakref.ReferenceType[SocketIOChannel] | None = None


class SocketIOChannel(SocketIOInput):
    """``socketio`` channel that always answers."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        global _running
        blueprint = super().blueprint(reply_even_on_failure(on_new_message))
        _running = weakref.ref(self)
        return blueprint


def socketio_output() -> SocketIOOutput | None:
    """An output channel to the running socket.io server, if there is one."""
    channel = _running() if _running is not None else None
    if channel is None or channel.sio is None:
        return None
    return SocketIOOutput(channel.sio, channel.bot_message_evt)


async def send_to_session(session_id: str, message: Dict[str, Any]) -> bool:
    """Emit a whole message to every socket in a conversation's session room."""
    output = socketio_output()
    if output is None:
        return False
    await output._send_message(session_id, socketio_form(message))
    return True
