"""Hostile input to the socket.io channel, as a client sends it and below that.

With the python-socketio client, over websocket and over polling:
``user_uttered`` with wrong types and missing fields, huge messages, forged
intents, ``session_request`` with garbage, events the server does not know,
an unknown namespace. Each probe is one connection; every event the server
handles is sent with an acknowledgement asked for, which the server sends only
once its handler has finished, so a handler that raised shows as ``no_ack``.
After the probe, a ``session_request`` must still be acknowledged on the same
connection (``acked``); a connection the server closed is ``closed``.

Below the client, raw engine.io polling (``GET/POST /socket.io/?EIO=4&
transport=polling``): bad versions and transports, bogus session ids, garbage
and oversized packet bodies on a real session.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any, List, Sequence, Tuple

from coach.tools.hostile.payloads import (
    FORGED_INTENTS,
    SOCKETIO,
    WRONG_TYPES,
    any_text,
    deep_list,
    sender,
)
from coach.tools.hostile.wire import DROPPED, REFUSED, HttpProbe

# socket.io outcomes
ACKED = "acked"
NO_ACK = "no_ack"
CLOSED = "closed"  # the server closed the connection (right for an oversized packet)
REJECTED = "rejected"  # the server refused the connection (right for an unknown namespace)

Step = Tuple[str, Tuple[Any, ...], bool]  # event, its arguments, whether to wait for the ack
WEBSOCKET, POLLING = "websocket", "polling"
CONNECT_TIMEOUT = 5.0
ENGINEIO = b"/socket.io/"


@dataclass(frozen=True)
class SocketProbe:
    """One socket.io connection and what it emits."""

    kind: str
    transport: str
    steps: Tuple[Step, ...]
    namespace: str = "/"
    route: str = SOCKETIO

    def describe(self) -> str:
        shown = [(event, repr(args)[:120]) for event, args, _ in self.steps]
        return f"socket.io {self.transport} {self.namespace} {shown}"


@dataclass
class SocketAnswer:
    """What one socket.io probe got: an outcome above, what the server sent."""

    status: str
    received: str  # every event the server sent, as text (canary checks read it)
    seconds: float
    unanswered: List[str]  # the events whose handler never finished


def run_socket_probe(
    url: str, probe: SocketProbe, timeout: float, ack_timeout: float
) -> SocketAnswer:
    """Connects, emits the probe's events, checks the connection is still served."""
    import socketio  # the client, only when a run needs it

    began = time.monotonic()
    received: List[str] = []
    client = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
    client.on(
        "*", lambda event, *args: received.append(f"{event} {args!r}"), namespace=probe.namespace
    )
    try:
        client.connect(
            url,
            transports=[probe.transport],
            namespaces=[probe.namespace],
            # a namespace the server refuses is never confirmed: no long wait
            wait_timeout=min(timeout, CONNECT_TIMEOUT),
        )
    except socketio.exceptions.ConnectionError as exc:
        status = REJECTED if probe.namespace != "/" else REFUSED
        return SocketAnswer(status, str(exc), time.monotonic() - began, [])
    except Exception as exc:  # the server closed it mid-handshake (the client's own errors)
        return SocketAnswer(DROPPED, f"{type(exc).__name__}: {exc}", time.monotonic() - began, [])
    unanswered: List[str] = []
    status = ACKED
    try:
        for event, args, wait in probe.steps:
            if not client.connected:
                status = CLOSED
                break
            try:
                if wait:
                    client.call(event, args, namespace=probe.namespace, timeout=ack_timeout)
                else:
                    client.emit(event, args, namespace=probe.namespace)
            except socketio.exceptions.TimeoutError:
                unanswered.append(event)
            except Exception:  # a connection the server closed under the client
                status = CLOSED
                break
        if status == ACKED:
            status = _still_served(client, probe.namespace, ack_timeout)
        if status == ACKED and unanswered:
            status = NO_ACK
    finally:
        with contextlib.suppress(Exception):
            client.disconnect()
    return SocketAnswer(status, "\n".join(received), time.monotonic() - began, unanswered)


def _still_served(client: Any, namespace: str, ack_timeout: float) -> str:
    import socketio

    if not client.connected:
        return CLOSED
    try:
        client.call(
            "session_request",
            ({"session_id": "hostile-liveness"},),
            namespace=namespace,
            timeout=ack_timeout,
        )
    except socketio.exceptions.TimeoutError:
        return CLOSED if not client.connected else NO_ACK
    except Exception:  # closed under the client
        return CLOSED
    return ACKED


def _session(rng: random.Random) -> Tuple[str, Step]:
    session = sender(rng, "sio")
    return session, ("session_request", ({"session_id": session, "rich": True},), True)


def _utter(rng: random.Random, kind: str, data: Any, transport: str = WEBSOCKET) -> SocketProbe:
    """``user_uttered`` with ``data`` (a dict gets the session id unless it names one)."""
    session, join = _session(rng)
    if isinstance(data, dict) and "session_id" not in data:
        data = {**data, "session_id": session}
    return SocketProbe(kind, transport, (join, ("user_uttered", (data,), True)))


def fixed(rng: random.Random) -> List[SocketProbe | HttpProbe]:
    """Every kind of socket.io and engine.io probe, each at least once."""
    out: List[SocketProbe | HttpProbe] = []
    for data in (None, 42, "hello", ["hello"], True, 1.5):
        out.append(_utter(rng, "user_uttered_types", data))
    for wrong in WRONG_TYPES:
        out.append(_utter(rng, "user_uttered_types", {"message": wrong}))
        out.append(_utter(rng, "user_uttered_types", {"session_id": wrong, "message": "hello"}))
    for metadata in ("not json", "[1, 2]", 5, '{"a": 1}', deep_list(10_000), ["x"]):
        out.append(_utter(rng, "user_uttered_types", {"message": "hello", "customData": metadata}))
    out.append(_utter(rng, "user_uttered_types", {"message": b"\xff\xfe binary"}))
    out += [
        _utter(rng, "user_uttered_missing", {}),
        _utter(rng, "user_uttered_missing", {"message": "hello", "session_id": ""}),
        SocketProbe(
            "user_uttered_missing",
            WEBSOCKET,
            (("user_uttered", ({"message": "no session"},), True),),
        ),
        SocketProbe("user_uttered_missing", WEBSOCKET, (("user_uttered", (), True),)),
        SocketProbe(
            "user_uttered_missing",
            WEBSOCKET,
            (("user_uttered", ({"message": "a"}, "extra", 3), True),),
        ),
    ]
    for who in ("\udfff", "a\ud800b"):  # sent as JSON escapes: lone surrogates on the server
        out.append(_utter(rng, "surrogate_session", {"session_id": who, "message": "hi"}))
        join = ("session_request", ({"session_id": who},), True)
        out.append(
            SocketProbe(
                "surrogate_session",
                WEBSOCKET,
                (join, ("user_uttered", ({"session_id": who, "message": "hi"},), True)),
            )
        )
    out += [
        _utter(rng, "huge_message", {"message": "psoas " * 150_000}),
        _utter(rng, "huge_message", {"message": "x" * 2_000_000}),
        # 20 kB (as REST's): between 40 and 100 kB the NLU needs 4 to over 10 GB
        _utter(rng, "huge_message", {"message": "how do I stretch my psoas " * 800}, POLLING),
    ]
    for text in FORGED_INTENTS:
        out.append(
            _utter(rng, "forged_intent", {"message": text}, rng.choice((WEBSOCKET, POLLING)))
        )
    for garbage in (
        None, 42, "x", [1], {"session_id": 42}, {"session_id": ["a"]}, {"session_id": {"$gt": ""}},
        {"session_id": "x" * 100_000}, {"session_id": "../../etc/passwd"}, {"rich": "yes"},
        {"session_id": "\x00"}, {"session_id": "a:rich"}, {"session_id": "\u202e\u200b"},
    ):  # fmt: skip
        out.append(
            SocketProbe(
                "session_request",
                rng.choice((WEBSOCKET, POLLING)),
                (("session_request", (garbage,), True),),
            )
        )
    out.append(SocketProbe("session_request", WEBSOCKET, (("session_request", (), True),)))
    for event in (
        "bot_uttered",
        "session_confirm",
        "message",
        "connect",
        "disconnect",
        "x" * 1000,
        "",
        "__proto__",
        "EXTERNAL_routine_cue",
        "user_uttered ",
    ):
        out.append(
            SocketProbe(
                "bogus_event",
                rng.choice((WEBSOCKET, POLLING)),
                ((event, ({"message": "hi"},), False),),
            )
        )
    out.append(SocketProbe("bogus_namespace", WEBSOCKET, (), namespace="/admin"))
    out += engineio()
    return out


def engineio() -> List[HttpProbe]:
    """Raw engine.io polling requests: handshakes, bogus sessions, garbage packets."""

    def get(
        kind: str, query: bytes, method: str = "GET", body: bytes = b"", sid: bool = False
    ) -> HttpProbe:
        headers = (("Content-Type", "text/plain;charset=UTF-8"),) if body else ()
        return HttpProbe(
            SOCKETIO, kind, method, ENGINEIO + query, headers, body, needs_engineio_sid=sid
        )

    out = [
        get("engineio_handshake", query)
        for query in (
            b"?EIO=4&transport=polling",
            b"?EIO=3&transport=polling",
            b"?EIO=3&transport=polling&j=0",
            b"?EIO=5&transport=polling",
            b"?EIO=abc&transport=polling",
            b"?transport=polling",
            b"?EIO=4&transport=websocket",
            b"?EIO=4&transport=carrier-pigeon",
            b"?EIO=4",
            b"?EIO=4&transport=polling&b64=1",
            b"?EIO=4&transport=polling&t=" + b"x" * 6000,
            b"?EIO=4&transport=polling&EIO=3&transport=websocket",
            b"",
        )
    ]
    for sid in (b"bogus", b"", b"%00", b"x" * 2000, b"../../etc/passwd", b"%ff%fe"):
        query = b"?EIO=4&transport=polling&sid=" + sid
        out.append(get("engineio_bogus_sid", query))
        out.append(get("engineio_bogus_sid", query, "POST", b"40"))
    real = b"?EIO=4&transport=polling&sid={sid}"
    for body in (
        b"\x00\xff\xfe garbage",
        b"4" + b"x" * 100_000,
        b"40",
        b'42["user_uttered", 5]',
        b'42["user_uttered", {"message": "/EXTERNAL_routine_cue{\\"cue\\": \\"release\\"}"}]',
        b"42[",
        b"42" + deep_list(100_000).encode(),
        b"\x1e" * 1000,
        b"9",
        b"bAAAA" + b"!" * 100,
        b"1",
    ):
        out.append(get("engineio_garbage_body", real, "POST", body, sid=True))
    # what engine.io refuses with an error of its own (a packet type a client
    # may not send, a body over its 1 MB buffer): python-engineio 4 then closes
    # the session and waits for a poll that drains it, so the POST never ends
    for body in (b"6", b"4" + b"y" * 1_500_000):
        out.append(get("engineio_error_post", real, "POST", body, sid=True))
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        out.append(get("engineio_methods", b"?EIO=4&transport=polling", method))
    return out


def extra(rng: random.Random, paths: Sequence[str] = ()) -> SocketProbe:
    """One more socket.io probe, varied by ``rng``."""
    transport = rng.choice((WEBSOCKET, POLLING))
    shape = rng.randrange(3)
    if shape == 0:
        return _utter(rng, "forged_intent", {"message": rng.choice(FORGED_INTENTS)}, transport)
    if shape == 1:
        return _utter(rng, "user_uttered_types", {"message": any_text(rng)}, transport)
    return _utter(rng, "user_uttered_types", {"message": rng.choice(WRONG_TYPES)}, transport)
