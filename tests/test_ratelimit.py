"""Per-client limits on the voice channel (coach/ratelimit.py), on a fake clock."""

from __future__ import annotations

from typing import List

from coach.ratelimit import TOO_MANY, TOO_MANY_AT_ONCE, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def finished(limiter: RateLimiter, key: str, times: int) -> List[bool]:
    """``times`` requests of ``key``, each finished before the next."""
    allowed = []
    for _ in range(times):
        admission = limiter.acquire(key)
        allowed.append(admission.allowed)
        if admission.allowed:
            limiter.release(key)
    return allowed


def test_a_burst_up_to_the_rate_passes_then_it_waits_for_tokens():
    clock = Clock()
    limiter = RateLimiter(5, 10.0, concurrency=10, clock=clock)
    assert finished(limiter, "a", 5) == [True] * 5
    refused = limiter.acquire("a")
    assert not refused.allowed and refused.reason == TOO_MANY and refused.retry_after == 2
    clock.now = 2.0  # one token back (5 per 10 s)
    assert finished(limiter, "a", 2) == [True, False]


def test_clients_are_limited_apart():
    limiter = RateLimiter(1, 60.0, concurrency=1, clock=Clock())
    assert finished(limiter, "a", 2) == [True, False]
    assert finished(limiter, "b", 1) == [True]


def test_requests_in_progress_are_capped_and_slots_come_back():
    clock = Clock()
    limiter = RateLimiter(100, 1.0, concurrency=2, clock=clock, slot_seconds=30)
    assert limiter.acquire("a").allowed and limiter.acquire("a").allowed
    at_once = limiter.acquire("a")
    assert not at_once.allowed and at_once.reason == TOO_MANY_AT_ONCE
    limiter.release("a")
    assert limiter.acquire("a").allowed
    # a request that never came back frees its slot after slot_seconds
    clock.now = 31.0
    assert limiter.acquire("a").allowed and limiter.acquire("a").allowed


def test_memory_is_bounded_by_the_most_recent_clients():
    limiter = RateLimiter(1, 60.0, concurrency=1, clock=Clock(), max_clients=100)
    for n in range(1000):
        limiter.acquire(f"client-{n}")
    assert len(limiter._clients) == 100
