"""What a hostile-input run found: per route and per kind of probe, what came back.

A probe's outcome is an HTTP status (``"200"``, ``"404"``...), a socket.io
outcome (``"acked"``, ``"no_ack"``, ``"rejected"``), or a connection failure
(``refused``, ``timeout``, ``dropped``: ``coach.tools.hostile.wire``). Flags
mark what must never happen whatever the status: the canary or ``/etc/passwd``
in a response (a file outside the served folders was read), a voice upload
that only referenced other files decoded as speech (ffmpeg followed a playlist
or a concat file), a socket.io event whose handler never finished (it raised
on the server).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Tuple

from coach.tools.hostile.wire import CONNECTION_FAILURES

# flags: each one is a finding
CANARY_SEEN = "canary_seen"
PASSWD_SEEN = "passwd_seen"
FOLLOWED_REFERENCE = "followed_reference"
NO_ACK = "no_ack"  # a socket.io handler that never finished
FINDINGS = (CANARY_SEEN, PASSWD_SEEN, FOLLOWED_REFERENCE, NO_ACK)
# noted, not findings
SILENT = "no_reply"  # a REST 200 with no message at all
EXAMPLES_KEPT = 3


@dataclass
class Tally:
    """The outcomes of the probes of one route and kind."""

    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    # a few probes behind each status that is a finding, said plainly
    examples: Dict[str, List[str]] = field(default_factory=dict)

    def add(self, status: str, seconds: float, flags: Iterable[str], example: str) -> None:
        self.requests += 1
        self.statuses[status] += 1
        self.slowest = max(self.slowest, seconds)
        for flag in flags:
            self.flags[flag] += 1
            self._keep(flag, example)
        if is_server_error(status) or status in CONNECTION_FAILURES:
            self._keep(status, example)

    def _keep(self, key: str, example: str) -> None:
        kept = self.examples.setdefault(key, [])
        if len(kept) < EXAMPLES_KEPT:
            kept.append(example)

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.flags.update(other.flags)
        self.slowest = max(self.slowest, other.slowest)
        for key, examples in other.examples.items():
            for example in examples:
                self._keep(key, example)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if is_server_error(status))

    @property
    def connection_failures(self) -> int:
        return sum(self.statuses[status] for status in CONNECTION_FAILURES)


def is_server_error(status: str) -> bool:
    return len(status) == 3 and status.startswith("5") and status.isdigit()


@dataclass
class HostileReport:
    """Every probe's outcome, by ``(route, kind)``, and how long the run took."""

    tallies: Dict[Tuple[str, str], Tally] = field(default_factory=dict)
    seconds: float = 0.0

    def record(
        self,
        route: str,
        kind: str,
        status: str,
        seconds: float = 0.0,
        flags: Iterable[str] = (),
        example: str = "",
    ) -> None:
        self.tallies.setdefault((route, kind), Tally()).add(status, seconds, flags, example)

    def routes(self) -> Dict[str, Tally]:
        """The tallies summed per route."""
        out: Dict[str, Tally] = {}
        for (route, _), tally in sorted(self.tallies.items()):
            out.setdefault(route, Tally()).merge(tally)
        return out

    def total(self) -> Tally:
        out = Tally()
        for tally in self.tallies.values():
            out.merge(tally)
        return out

    @property
    def requests(self) -> int:
        return self.total().requests

    @property
    def server_errors(self) -> int:
        return self.total().server_errors

    @property
    def connection_failures(self) -> int:
        return self.total().connection_failures

    def flagged(self, flag: str) -> int:
        return self.total().flags[flag]

    @property
    def canary_seen(self) -> bool:
        return self.flagged(CANARY_SEEN) > 0 or self.flagged(PASSWD_SEEN) > 0

    def findings(self) -> List[str]:
        """Every 5xx, connection failure and flag, with the probes behind it."""
        lines = []
        for (route, kind), tally in sorted(self.tallies.items()):
            for key, examples in sorted(tally.examples.items()):
                count = tally.flags[key] or tally.statuses[key]
                lines.append(f"{route}/{kind}: {key} x{count}, e.g. {examples[0]}")
        return lines

    def summary(self) -> str:
        """A table per route, then per kind, then the findings."""
        lines = [
            f"{self.requests} hostile requests in {self.seconds:.1f} s: "
            f"{self.server_errors} 5xx, {self.connection_failures} connection failures, "
            f"canary {'SEEN' if self.canary_seen else 'never seen'}"
        ]
        lines.append(f"{'route':<12} {'requests':>8} {'5xx':>4} {'fail':>4}  statuses / flags")
        for route, tally in self.routes().items():
            lines.append(_row(route, tally))
        lines.append("")
        lines.append(f"{'route/kind':<40} {'n':>4} {'slowest':>7}  statuses / flags")
        for (route, kind), tally in sorted(self.tallies.items()):
            lines.append(
                f"{route + '/' + kind:<40} {tally.requests:>4} {tally.slowest:>6.2f}s  "
                f"{_counts(tally.statuses)}{_flags(tally)}"
            )
        findings = self.findings()
        if findings:
            lines += ["", "findings:", *findings]
        return "\n".join(lines)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "server_errors": self.server_errors,
            "connection_failures": self.connection_failures,
            "canary_seen": self.canary_seen,
            "routes": {
                route: {
                    "requests": t.requests,
                    "statuses": dict(t.statuses),
                    "flags": dict(t.flags),
                }
                for route, t in self.routes().items()
            },
            "kinds": {
                f"{route}/{kind}": {
                    "requests": t.requests,
                    "statuses": dict(t.statuses),
                    "flags": dict(t.flags),
                    "slowest": round(t.slowest, 3),
                }
                for (route, kind), t in sorted(self.tallies.items())
            },
            "findings": self.findings(),
        }


def _row(route: str, tally: Tally) -> str:
    return (
        f"{route:<12} {tally.requests:>8} {tally.server_errors:>4} "
        f"{tally.connection_failures:>4}  {_counts(tally.statuses)}{_flags(tally)}"
    )


def _counts(counter: Counter[str]) -> str:
    return " ".join(f"{key}:{n}" for key, n in sorted(counter.items()))


def _flags(tally: Tally) -> str:
    return f"  [{_counts(tally.flags)}]" if tally.flags else ""
