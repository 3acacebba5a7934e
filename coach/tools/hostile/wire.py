"""Raw HTTP for the hostile-input harness: requests exactly as written, byte for byte.

``urllib`` and ``http.client`` refuse what an attacker sends (raw non-ASCII or
control bytes in the path, bodies that are not what their type says), and
they tidy paths; this writes the request itself over a socket, so the server
sees exactly the bytes of the probe. The response is read with
``http.client.HTTPResponse`` (status, headers, a body by length or in chunks).

A body is sent in slices: when the server answers before the upload is done
(a 413 for a body over a cap), the rest is not sent and that answer is read,
as curl does, so an early refusal is not mistaken for a dropped connection.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import select
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence, Tuple
from urllib.parse import urlsplit

SLICE = 64 * 1024
MAX_BODY_READ = 4 * 1024 * 1024  # what is kept of a response (canary checks read it)

# outcomes that are not an HTTP status
REFUSED = "refused"  # nothing listened: the server is down
TIMEOUT = "timeout"  # no answer within the probe's time
DROPPED = "dropped"  # the connection closed without a whole answer
CONNECTION_FAILURES = frozenset({REFUSED, TIMEOUT, DROPPED})
# a request line that is no HTTP (raw bytes outside printable ASCII in its
# target, a target that is no path): a server may close the connection on it
# instead of answering 400 (Sanic 21.12 does), which is no failure of the server
UNPARSED = "closed_unparsed"

Headers = Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class HttpProbe:
    """One hostile HTTP request: ``target`` is the raw request-target (path and
    query, sent as is); ``body`` is made when sent (big bodies are not kept in
    the plan); ``chunked`` sends it with ``Transfer-Encoding: chunked``."""

    route: str
    kind: str
    method: str
    target: bytes
    headers: Headers = ()
    body: Callable[[], bytes] | bytes = b""
    chunked: bool = False
    # a voice upload that only names other files: decoding it means they were read
    references_files: bool = False
    needs_engineio_sid: bool = False  # ``{sid}`` in the target: a fresh engine.io session's

    def body_bytes(self) -> bytes:
        return self.body() if callable(self.body) else self.body

    def describe(self, target: bytes | None = None) -> str:
        """The request in one line, cut short, for a report."""
        shown = target or self.target
        line = f"{self.method} {shown[:160]!r}"
        if self.headers:
            line += f" {dict(self.headers)!r}"[:200]
        if callable(self.body):
            return line + " (a body of several MB)"
        return line + (f" body={self.body[:160]!r}" if self.body else "")


@dataclass
class HttpAnswer:
    """What came back: ``status`` is the HTTP code as text, or an outcome above."""

    status: str
    body: bytes = b""
    headers: Sequence[Tuple[str, str]] = field(default_factory=tuple)
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Server:
    """Where the probes go: a loopback host and port (nothing else is allowed)."""

    host: str
    port: int

    @classmethod
    def of(cls, base_url: str) -> Server:
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        if parts.scheme != "http" or not is_loopback(host):
            raise ValueError(f"hostile input only goes to a local http server, not {base_url!r}")
        return cls(host, parts.port or 80)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def valid_target(target: bytes) -> bool:
    """Whether ``target`` can be an HTTP request-target at all (RFC 9112 3.2)."""
    printable = all(0x21 <= byte <= 0x7E for byte in target)
    return printable and (target == b"*" or target.startswith((b"/", b"http://", b"https://")))


def request_bytes(server: Server, probe: HttpProbe, body: bytes, target: bytes) -> bytes:
    """The request head as sent: the probe's headers win over the defaults."""
    given = {name.lower() for name, _ in probe.headers}
    lines = [probe.method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    defaults = [("Host", f"{server.host}:{server.port}"), ("Connection", "close")]
    if probe.chunked:
        defaults.append(("Transfer-Encoding", "chunked"))
    elif body or probe.method in ("POST", "PUT"):
        defaults.append(("Content-Length", str(len(body))))
    for name, value in [*(d for d in defaults if d[0].lower() not in given), *probe.headers]:
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def framed(body: bytes, chunked: bool) -> bytes:
    if not chunked:
        return body
    out = bytearray()
    for start in range(0, len(body), SLICE):
        piece = body[start : start + SLICE]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def exchange(
    server: Server, probe: HttpProbe, timeout: float, target: bytes | None = None
) -> HttpAnswer:
    """Sends the probe and reads the answer, within ``timeout`` seconds overall."""
    began = time.monotonic()
    body = probe.body_bytes()
    payload = request_bytes(server, probe, body, target or probe.target) + framed(
        body, probe.chunked
    )
    try:
        sock = socket.create_connection((server.host, server.port), timeout=timeout)
    except ConnectionRefusedError as exc:
        return HttpAnswer(REFUSED, error=str(exc), seconds=time.monotonic() - began)
    except OSError as exc:
        status = TIMEOUT if isinstance(exc, TimeoutError) else REFUSED
        return HttpAnswer(status, error=str(exc), seconds=time.monotonic() - began)
    with sock:
        answer = _talk(sock, payload, began + timeout, probe.method)
    answer.seconds = time.monotonic() - began
    return answer


def _talk(sock: socket.socket, payload: bytes, deadline: float, method: str) -> HttpAnswer:
    # a refusal may have closed the connection mid-upload: read what came
    with contextlib.suppress(OSError):
        _send_until_answered(sock, payload, deadline)
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    response = http.client.HTTPResponse(sock, method=method)  # HEAD: no body to wait for
    try:
        response.begin()
        body = response.read(MAX_BODY_READ)
    except TimeoutError as exc:
        return HttpAnswer(TIMEOUT, error=str(exc))
    except (http.client.HTTPException, OSError) as exc:
        return HttpAnswer(DROPPED, error=f"{type(exc).__name__}: {exc}")
    finally:
        response.close()
    return HttpAnswer(str(response.status), body, tuple(response.getheaders()))


def _send_until_answered(sock: socket.socket, payload: bytes, deadline: float) -> None:
    view = memoryview(payload)
    sent = 0
    while sent < len(view):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        readable, writable, _ = select.select([sock], [sock], [], left)
        if readable:
            return  # the server answered (or closed) before the whole body went
        if writable:
            sock.settimeout(left)
            sent += sock.send(view[sent : sent + SLICE])


def multipart(
    parts: Sequence[Tuple[str, str | None, str | None, bytes]], boundary: str = "hostile-b0undary"
) -> Tuple[Headers, bytes]:
    """A multipart form by hand: ``(name, filename or None, content type or None,
    content)`` parts; returns the Content-Type header and the body."""
    out = bytearray()
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode(
            "utf-8", "surrogateescape"
        )
        if content_type is not None:
            out += f"Content-Type: {content_type}\r\n".encode("utf-8", "surrogateescape")
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return (("Content-Type", f"multipart/form-data; boundary={boundary}"),), bytes(out)
