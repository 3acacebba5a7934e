"""The plan of a hostile-input run (made from a seed) and its execution.

The plan is every kind of probe of every route once, then more probes of each
route, varied by the seed, until there are ``count``, shuffled so the few
bodies of several MB are spread over the run. It is sent by a few threads at
once (a run of 1000 against one local server takes about half a minute, most
of it requests that must wait out their time limit); every outcome lands in a
:class:`HostileReport`.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Collection, List, Sequence, Tuple

from coach.tools.hostile import paths, rest, sockets, voice
from coach.tools.hostile.payloads import PASSWD_MARK, REST
from coach.tools.hostile.report import (
    CANARY_SEEN,
    FOLLOWED_REFERENCE,
    NO_ACK,
    PASSWD_SEEN,
    SILENT,
    HostileReport,
)
from coach.tools.hostile.sockets import SocketProbe, run_socket_probe
from coach.tools.hostile.wire import (
    DROPPED,
    UNPARSED,
    HttpAnswer,
    HttpProbe,
    Server,
    exchange,
    valid_target,
)

Probe = HttpProbe | SocketProbe
Extra = Callable[[random.Random, Sequence[str]], Probe]
# how often each route's extra probes come up when the plan is filled
EXTRAS: Tuple[Tuple[Extra, int], ...] = (
    (lambda rng, _: rest.extra(rng), 3),
    (voice.extra, 3),
    (paths.extra, 2),
    (sockets.extra, 2),
)
WORKERS = 8
TIMEOUT = 20.0  # seconds for one request, upload and answer
ACK_TIMEOUT = 5.0  # seconds for a socket.io handler to finish


def plan(
    count: int, seed: int = 0, canary_paths: Sequence[str] = (), exclude: Collection[str] = ()
) -> List[Probe]:
    """At least ``count`` probes, the same for the same arguments; ``exclude``:
    ``route/kind`` names left out (to look at the rest while one is being fixed)."""
    rng = random.Random(seed)
    targets = tuple(str(p) for p in canary_paths)

    def wanted(probe: Probe) -> bool:
        return f"{probe.route}/{probe.kind}" not in exclude

    fixed = [
        *rest.fixed(rng),
        *voice.fixed(rng, targets),
        *paths.fixed(rng, targets),
        *sockets.fixed(rng),
    ]
    probes: List[Probe] = [probe for probe in fixed if wanted(probe)]
    makers = [maker for maker, _ in EXTRAS]
    weights = [weight for _, weight in EXTRAS]
    for _ in range(100 * count):  # bounded: every kind of a route may be excluded
        if len(probes) >= count:
            break
        probe = rng.choices(makers, weights)[0](rng, targets)
        if wanted(probe):
            probes.append(probe)
    rng.shuffle(probes)
    return probes


@dataclass
class Outcome:
    status: str
    seconds: float
    flags: List[str]
    example: str


@dataclass(frozen=True)
class Run:
    """What every probe of a run needs: where to send, what must never come back."""

    server: Server
    canary: bytes | None
    timeout: float = TIMEOUT
    ack_timeout: float = ACK_TIMEOUT

    def send(self, probe: Probe) -> Outcome:
        if isinstance(probe, SocketProbe):
            return self._socket(probe)
        return self._http(probe)

    def leaked(self, data: bytes) -> List[str]:
        flags = []
        if self.canary and self.canary in data:
            flags.append(CANARY_SEEN)
        if PASSWD_MARK in data:
            flags.append(PASSWD_SEEN)
        return flags

    def _http(self, probe: HttpProbe) -> Outcome:
        target = probe.target
        if probe.needs_engineio_sid:
            target = target.replace(b"{sid}", self._engineio_sid())
        answer = exchange(self.server, probe, self.timeout, target)
        if answer.status == DROPPED and not valid_target(target):
            answer.status = UNPARSED
        headers = "\n".join(f"{k}: {v}" for k, v in answer.headers).encode("utf-8", "replace")
        flags = self.leaked(answer.body + headers)
        if probe.references_files and answer.status == "200":
            flags.append(FOLLOWED_REFERENCE)  # it decoded audio from the files it named
        if probe.route == REST and answer.status == "200" and _no_messages(answer):
            flags.append(SILENT)
        example = probe.describe(target) + f" -> {answer.status} {answer.body[:200]!r}"
        if answer.error:
            example += f" ({answer.error})"
        return Outcome(answer.status, answer.seconds, flags, example)

    def _engineio_sid(self) -> bytes:
        """A fresh engine.io session's id (``b"none"`` when the handshake fails)."""
        handshake = HttpProbe("", "", "GET", sockets.ENGINEIO + b"?EIO=4&transport=polling")
        answer = exchange(self.server, handshake, self.timeout)
        try:
            return str(json.loads(answer.body[1:])["sid"]).encode()
        except (ValueError, KeyError, TypeError):
            return b"none"

    def _socket(self, probe: SocketProbe) -> Outcome:
        answer = run_socket_probe(self.server.url, probe, self.timeout, self.ack_timeout)
        flags = self.leaked(answer.received.encode("utf-8", "replace"))
        flags += [NO_ACK] * bool(answer.unanswered)
        example = probe.describe() + f" -> {answer.status}"
        if answer.unanswered:
            example += f", no ack for {answer.unanswered}"
        return Outcome(answer.status, answer.seconds, flags, example)


def _no_messages(answer: HttpAnswer) -> bool:
    try:
        return json.loads(answer.body) == []
    except ValueError:
        return False


def run_hostile(
    base_url: str,
    count: int = 1000,
    seed: int = 0,
    canary: str | None = None,
    canary_paths: Sequence[str] = (),
    workers: int = WORKERS,
    timeout: float = TIMEOUT,
    exclude: Collection[str] = (),
) -> HostileReport:
    """Sends at least ``count`` malformed and hostile requests to the coach at
    ``base_url`` (loopback only) and reports what came back, per route and kind.

    ``canary``: a secret written in files outside the served folders
    (``canary_paths``, which the probes also try to reach by traversal, by
    playlists and by concat files); seen in any response, it means such a file
    was read."""
    run = Run(Server.of(base_url), canary.encode() if canary else None, timeout)
    probes = plan(count, seed, canary_paths, exclude)
    report = HostileReport()
    began = time.monotonic()
    with ThreadPoolExecutor(workers, thread_name_prefix="hostile") as pool:
        for probe, outcome in zip(probes, pool.map(run.send, probes), strict=True):
            report.record(
                probe.route,
                probe.kind,
                outcome.status,
                outcome.seconds,
                outcome.flags,
                outcome.example,
            )
    report.seconds = time.monotonic() - began
    return report
