"""Backoff and rate limits: the pure functions, and a peer over its bucket answered 429."""

from __future__ import annotations

import random
from typing import Any

import pytest

from federation.client import PeerError
from federation.limits import MAX_BACKOFF, RateLimiter, backoff
from protocol import ErrorCode


class Edge:
    """An rng stub that returns one end of the jitter range."""

    def __init__(self, low: bool) -> None:
        self.low = low

    def uniform(self, a: float, b: float) -> float:
        return a if self.low else b


def test_backoff_doubles_to_an_hour_with_jitter_of_up_to_half() -> None:
    for failures in range(25):
        full = min(MAX_BACKOFF, 2.0**failures)
        assert backoff(failures, Edge(low=False)) == full  # type: ignore[arg-type]
        assert backoff(failures, Edge(low=True)) == full / 2  # type: ignore[arg-type]
    assert backoff(1, Edge(low=True)) == 1.0  # type: ignore[arg-type]
    assert backoff(12, Edge(low=False)) == MAX_BACKOFF == 3600.0  # type: ignore[arg-type]
    assert backoff(10_000, Edge(low=False)) == MAX_BACKOFF  # type: ignore[arg-type]


def test_backoff_jitter_spreads_and_is_reproducible() -> None:
    rng = random.Random(7)
    values = [backoff(5, rng) for _ in range(200)]
    assert all(16.0 <= v <= 32.0 for v in values)
    assert len(set(values)) == 200
    assert max(values) - min(values) > 12  # spread over most of the range
    assert values == [backoff(5, r) for r in [random.Random(7)] for _ in range(200)]


def test_rate_limiter_buckets() -> None:
    limiter = RateLimiter(rate=2.0, burst=3.0)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0)  # each peer has its own bucket
    assert not limiter.allow("a", 0.25)  # half a token back: not enough
    assert limiter.allow("a", 0.5)  # refills at `rate` tokens a second
    assert not limiter.allow("a", 0.5)
    # A long pause refills to the burst, never beyond.
    assert [limiter.allow("a", 100.0) for _ in range(4)] == [True, True, True, False]


async def test_a_peer_over_its_bucket_gets_429(cluster: Any) -> None:
    async with cluster(2, rate=0.001, burst=4) as c:
        a, b = c.nodes
        await c.link(a, b)  # the handshake is B's first request to A
        gen = await c.federated_circle(a, [b])  # B's acceptance is its second
        scope = f"direct:{b.node_id}"
        for _ in range(2):
            assert await b.fed.client.heads(a.node_id, a.url, scope) == {}
        with pytest.raises(PeerError) as err:
            await b.fed.client.heads(a.node_id, a.url, scope)
        assert (err.value.status, err.value.code) == (429, ErrorCode.AUTH_RATE_LIMITED)
        resp = await b.fed.client.call_raw("GET", a.url, a.node_id, f"/fed/v1/scopes/{scope}/heads")
        assert (resp.status, resp.headers.get("Retry-After")) == (429, "1")

        # B's deliveries to A are refused too: counted as a failure, kept queued.
        await b.node.author("message", f"direct:{a.node_id}", {"box": "aGk"})
        assert await b.fed.deliver_once() == 0
        peer = await b.peers.get(a.node_id)
        assert peer is not None
        assert (peer.failures, peer.queued) == (1, 1)
        assert peer.last_error is not None
        assert "auth.rate_limited" in peer.last_error
        # A's own bucket at B is separate and full.
        # The circle's history: the charter, B's invitation and its acceptance.
        assert await a.fed.deliver_once() == 3
        assert await b.node.circle(gen.id) is not None
