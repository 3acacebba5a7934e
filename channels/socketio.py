"""Rasa's socket.io channel with the guarantee of a reply (``channels.guard``).

Same events and options as the stock channel (``user_uttered`` /
``bot_uttered``, ``session_persistence``), so stock widgets such as
rasa-webchat work unchanged.
"""

from __future__ import annotations

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.guard import OnNewMessage, reply_even_on_failure


class SocketIOChannel(SocketIOInput):
    """``socketio`` channel that always answers."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(reply_even_on_failure(on_new_message))
