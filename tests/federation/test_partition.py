"""Partitions: nodes offline while the others keep writing converge once back (by pull
and by the outbox), and the outbox backs off from an unreachable peer with exponential,
jittered delays without ever dropping what it holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import pytest
from harness import ClusterNode

from federation.limits import MAX_BACKOFF, backoff
from protocol import format_ts

pytestmark = pytest.mark.timeout(90)

N = 1000


async def scope_ids(node: ClusterNode, scope: str) -> set[str]:
    rows = await node.store.fetchall("SELECT id FROM envelopes WHERE scope = ?", (scope,))
    return {r[0] for r in rows}


async def derived(node: ClusterNode, scope: str) -> tuple[Any, ...]:
    """What a member node derives from a scope: the circle, its members, the heads."""
    return (
        await node.store.circle_rows(scope),
        await node.store.circle_member_rows(scope),
        await node.store.heads(scope),
    )


async def drain(step: Any) -> int:
    """Run one worker step until it moves nothing; the total it moved."""
    total = 0
    while moved := await step():
        total += moved
    return total


async def test_offline_nodes_converge_after_the_partition_heals(cluster) -> None:
    async with cluster(5) as c:
        a, b, cc, d, e = c.nodes
        for member in (b, cc, d, e):
            await c.link(a, member)  # a star: only the home is linked with everyone
        gen = await c.federated_circle(a, [b, cc, d, e])
        await c.settle()
        before = await scope_ids(a, gen.id)
        assert all([await scope_ids(n, gen.id) == before for n in c.nodes])

        await c.stop(d)
        await c.stop(e)
        online = [a, b, cc]
        for chunk in range(10):
            c.clock.advance(dt.timedelta(seconds=30))
            await asyncio.gather(
                *(
                    online[i % 3].node.author("message", gen.id, {"text": f"m{i}"})
                    for i in range(chunk * N // 10, (chunk + 1) * N // 10)
                )
            )
            await c.settle()

        everything = await scope_ids(a, gen.id)
        assert len(everything) == len(before) + N
        assert await scope_ids(b, gen.id) == await scope_ids(cc, gen.id) == everything
        # A kept trying D and E, backing off, and kept all of it queued.
        for gone in (d, e):
            peer = await a.peers.get(gone.node_id)
            assert peer is not None
            assert peer.failures >= 3
            assert peer.queued == N
            assert peer.next_attempt is not None
            assert peer.next_attempt > format_ts(c.clock.now())

        await c.start(d)
        await c.start(e)
        # E catches up by pull alone (heads, then feed pages), A's backoff not yet over.
        assert await drain(e.fed.sync_once) == N
        assert await scope_ids(e, gen.id) == everything
        # D by the outbox alone, once A's backoff for it has passed.
        assert await a.fed.deliver_once() == 0
        c.clock.advance(dt.timedelta(seconds=MAX_BACKOFF + 1))
        assert await drain(a.fed.deliver_once) == 2 * N  # to D, and the rest again to E
        assert await scope_ids(d, gen.id) == everything

        await c.settle()
        state = await derived(a, gen.id)
        for node in c.nodes:
            assert await scope_ids(node, gen.id) == everything
            assert await derived(node, gen.id) == state
            # Four invitations and four acceptances.
            assert await node.store.counts() == {"circle": 1, "membership": 8, "message": N}
            assert await node.store.equivocations() == []
        for peer in await a.peers.all():
            assert (peer.queued, peer.failures, peer.next_attempt) == (0, 0, None)
        heads = state[2]
        assert sum(heads.values()) == len(everything)
        # Every member's acceptance; messages from the three that stayed online.
        assert set(heads) == {a.node_id, b.node_id, cc.node_id, d.node_id, e.node_id}


async def test_the_outbox_backs_off_with_jitter_and_resumes(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        gen = await c.federated_circle(a, [b])
        await c.settle()
        await c.stop(b)
        sent = await a.node.author("message", gen.id, {"text": "while B is away"})

        # A's Federation draws its jitter from Random(a.index): replay it.
        rng = random.Random(a.index)
        delays = []
        for failures in range(1, 8):
            attempts = len(a.transport.sent)
            assert await a.fed.deliver_once() == 0
            assert len(a.transport.sent) == attempts + 1
            peer = await a.peers.get(b.node_id)
            assert peer is not None
            assert peer.failures == failures
            assert peer.queued == 1
            assert peer.last_error is not None
            assert b.url in peer.last_error
            delay = backoff(failures, rng)
            assert 2 ** (failures - 1) <= delay <= 2**failures
            # next_attempt holds whole seconds (RFC 3339 without fractions).
            due = c.clock.now() + dt.timedelta(seconds=int(delay))
            assert peer.next_attempt == format_ts(due)
            delays.append(delay)
            # Not due yet: nothing is attempted.
            assert await a.fed.deliver_once() == 0
            assert len(a.transport.sent) == attempts + 1
            if failures < 7:
                c.clock.advance(due - c.clock.now())
        # Exponential, and jittered: no two runs of doubling land on exact powers of two.
        assert delays == sorted(delays)
        assert all(d != 2**i for i, d in enumerate(delays, start=1))
        assert [e["failures"] for e in a.fed.last_errors] == list(range(1, 8))

        # B comes back and writes to A: inbound traffic does not reset the failure count.
        # (A restarts too: it notes a peer's contact at most every 30 s, and B's
        # acceptance of the circle was a contact a moment ago.)
        await c.stop(a)
        await c.start(a)
        await c.start(b)
        from_b = await b.node.author("message", gen.id, {"text": "back"})
        assert await b.fed.deliver_once() == 1
        assert await a.store.get_envelope(from_b.id or "") is not None
        peer = await a.peers.get(b.node_id)
        assert peer is not None
        assert peer.failures == 7
        assert peer.last_contact == format_ts(c.clock.now())
        assert await a.fed.deliver_once() == 0  # still backing off

        c.clock.advance(due - c.clock.now())
        assert await a.fed.deliver_once() == 1
        assert await b.store.get_envelope(sent.id or "") is not None
        peer = await a.peers.get(b.node_id)
        assert peer is not None
        assert (peer.failures, peer.next_attempt, peer.last_error, peer.queued) == (
            0,
            None,
            None,
            0,
        )
