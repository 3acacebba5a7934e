"""Live sessions: how a message reaches a conversation's open connection when
another channel produced it (a routine started by voice times its cues over
the widget's socket.io session)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

Send = Callable[[str, Dict[str, Any]], Awaitable[None]]


class LiveSessions:
    """The one transport that can push to a session (socket.io), once connected."""

    def __init__(self) -> None:
        self._send: Send | None = None

    def connect(self, send: Send) -> None:
        """The transport that started last wins (there is one per server)."""
        self._send = send

    @property
    def connected(self) -> bool:
        return self._send is not None

    async def send(self, session_id: str, message: Dict[str, Any]) -> bool:
        """Push ``message`` to every connection of ``session_id``; False if there is no
        transport to push with."""
        if self._send is None:
            return False
        await self._send(session_id, message)
        return True
