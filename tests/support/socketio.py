"""A socket.io client that follows a conversation the way the web widget does
(integration tests against a real stack)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Tuple

import socketio

Message = Dict[str, Any]


class Listener:
    """A socket.io client in a session; records every bot message with its arrival time."""

    def __init__(
        self,
        url: str,
        session_id: str,
        rich: bool = True,
        headers: Dict[str, str] | None = None,
    ) -> None:
        self.session_id = session_id
        self.received: List[Tuple[float, Message]] = []
        self._lock = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        confirmed = threading.Event()
        self.sio.on("session_confirm", lambda *_: confirmed.set())
        self.sio.on("bot_uttered", self._record)
        self.sio.connect(url, headers=headers or {}, transports=["websocket"], wait_timeout=20)
        request: Dict[str, Any] = {"session_id": session_id}
        if rich:
            request["rich"] = True
        self.sio.emit("session_request", request)
        assert confirmed.wait(20), "no session_confirm"

    def _record(self, data: Message) -> None:
        with self._lock:
            self.received.append((time.time(), data))
            self._lock.notify_all()

    def say(self, text: str) -> None:
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def wait_for(
        self, predicate: Callable[[Message], bool], timeout: float, after: int = 0
    ) -> Tuple[float, Message]:
        """The first message from index ``after`` on that matches, waiting up to ``timeout``."""
        deadline = time.time() + timeout
        with self._lock:
            while True:
                for arrived, message in self.received[after:]:
                    if predicate(message):
                        return arrived, message
                left = deadline - time.time()
                if left <= 0:
                    texts = [m.get("text") for _, m in self.received]
                    raise AssertionError(f"no matching message within {timeout} s; got {texts}")
                self._lock.wait(left)

    def mark(self) -> int:
        with self._lock:
            return len(self.received)

    def texts_since(self, mark: int) -> List[str]:
        with self._lock:
            return [str(m.get("text")) for _, m in self.received[mark:]]

    def close(self) -> None:
        self.sio.disconnect()


def routine_of(message: Message) -> Dict[str, Any] | None:
    return message.get("routine")


def status_is(status: str) -> Callable[[Message], bool]:
    return lambda m: (routine_of(m) or {}).get("status") == status


def has_text(fragment: str) -> Callable[[Message], bool]:
    return lambda m: fragment.lower() in str(m.get("text", "")).lower()
