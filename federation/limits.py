"""The federation's limits: the numbers PROTOCOL.md §12 states (what one request may
carry, what a page holds, how deliveries are batched), the token bucket that holds each
peer to its request rate, and the backoff between failed deliveries.

tests/vectors/test_request_vectors.py checks that §12 states these numbers.
"""

from __future__ import annotations

import random

MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_BATCH = 1000
MAX_FEED_PAGE = 1000
DELIVERY_BATCH = 200
DELIVERY_BYTES = 4 * 1024 * 1024
DELIVERY_PARALLEL = 8
FEED_PAGE_BYTES = 4 * 1024 * 1024
MAX_BACKOFF = 3600.0
MAX_ORDER_PAGE = 1000


class RateLimiter:
    """A token bucket per peer: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True


def backoff(failures: int, rng: random.Random) -> float:
    """Seconds before the next attempt: doubling from 1 s to an hour, with jitter."""
    return min(MAX_BACKOFF, 2.0 ** min(failures, 12)) * rng.uniform(0.5, 1.0)
