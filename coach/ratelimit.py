"""Per-client limits on the expensive routes (voice: decoding, recognition and
synthesis), so that one client cannot take the CPU from everyone else.

A token bucket per client (``requests`` per ``seconds``, as a burst and as a
rate) and a cap on its requests in progress at once. A client is its network
address as the server sees it (behind a balancer, the address the balancer
forwards, when the server is told to trust it): people behind one address (a
clinic's network) share its limits, so the defaults leave room for several.
Slots in progress expire after ``slot_seconds``, so a request that never came
back (a client gone mid-upload) cannot hold one for ever. Memory is bounded:
only the ``max_clients`` most recent clients are kept.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, List

TOO_MANY = "too_many_requests"
TOO_MANY_AT_ONCE = "too_many_at_once"


@dataclass
class _Client:
    tokens: float
    updated: float
    in_progress: List[float] = field(default_factory=list)  # when each began


@dataclass(frozen=True)
class Admission:
    allowed: bool
    reason: str = ""
    retry_after: int = 0  # whole seconds, for the Retry-After header


class RateLimiter:
    def __init__(
        self,
        requests: int,
        seconds: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        slot_seconds: float = 60.0,
        max_clients: int = 10_000,
    ) -> None:
        self.capacity = float(requests)
        self.rate = requests / seconds
        self.concurrency = concurrency
        self.clock = clock
        self.slot_seconds = slot_seconds
        self.max_clients = max_clients
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def _client(self, key: str, now: float) -> _Client:
        client = self._clients.pop(key, None) or _Client(self.capacity, now)
        self._clients[key] = client  # most recent last
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        client.tokens = min(self.capacity, client.tokens + (now - client.updated) * self.rate)
        client.updated = now
        client.in_progress = [t for t in client.in_progress if now - t < self.slot_seconds]
        return client

    def acquire(self, key: str) -> Admission:
        """Admits a request of ``key`` (and takes a slot) or says why not."""
        with self._lock:
            now = self.clock()
            client = self._client(key, now)
            if len(client.in_progress) >= self.concurrency:
                return Admission(False, TOO_MANY_AT_ONCE, 1)
            if client.tokens < 1:
                wait = (1 - client.tokens) / self.rate
                return Admission(False, TOO_MANY, max(1, math.ceil(wait)))
            client.tokens -= 1
            client.in_progress.append(now)
            return Admission(True)

    def release(self, key: str) -> None:
        """Gives back the oldest slot of ``key`` (a request that finished)."""
        with self._lock:
            client = self._clients.get(key)
            if client and client.in_progress:
                client.in_progress.pop(0)
