"""Delivery and sync survive peers that answer nonsense, and stay within size limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from federation.limits import MAX_REQUEST_BYTES
from federation.service import Federation
from protocol.requests import MAX_SKEW


async def held_for(node: Any, peer: str) -> int:
    return int(
        (await node.store.fetchone("SELECT COUNT(*) FROM outbox WHERE peer = ?", (peer,)))[0]
    )


async def test_a_signed_answer_without_results_is_a_failed_delivery_not_a_dead_worker(
    cluster: Any, hostile: Any
) -> None:
    async def answer(request: web.Request) -> tuple[int, bytes]:
        if request.path.endswith("/heads"):
            return 200, b'{"no heads": true}'
        return 200, b'{"nothing": "useful"}'

    await hostile.serve(answer)
    async with cluster(1) as c:
        a = c.nodes[0]
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        queued = await held_for(a, hostile.node_id)
        assert queued > 0

        assert await a.fed.deliver_once() == 0
        assert await a.fed.sync_once() == 0  # the heads answer is nonsense too

        peer = await a.fed.peers.get(hostile.node_id)
        assert peer is not None
        assert peer.failures == 1
        assert "request.malformed" in (peer.last_error or "")
        assert await held_for(a, hostile.node_id) == queued  # nothing dropped
        assert {e["what"] for e in a.fed.last_errors} >= {"delivery", "sync"}


async def test_a_delivery_batch_stays_under_the_byte_cap(cluster: Any, hostile: Any) -> None:
    sizes: list[int] = []

    async def answer(request: web.Request) -> tuple[int, bytes]:
        body = await request.content.read()  # past the 1 MiB of request.read()
        sizes.append(len(body))
        n = body.count(b'"body_hash"')
        return 200, b'{"results":[' + b",".join([b'{"status":"accepted","id":null}'] * n) + b"]}"

    await hostile.serve(answer)
    async with cluster(1) as c:
        a = c.nodes[0]
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        await hostile.join(a, gen.id)
        for i in range(250):  # 250 × 60 KB (€ is 3 bytes): 200 of them would be 12 MB
            await a.node.author("message", gen.id, {"text": f"{i} " + "€" * 19_900})
        while await a.fed.deliver_once():
            pass

        assert await held_for(a, hostile.node_id) == 0
        assert len(sizes) >= 2
        assert max(sizes) < MAX_REQUEST_BYTES  # what a receiver takes


def test_the_replay_cache_forgets_in_arrival_order() -> None:
    fed = Federation.__new__(Federation)
    fed._seen = {}
    from collections import deque

    fed._seen_order = deque()
    now = 1_000_000
    for i in range(100):
        fed._remember(f"n{i}", now, now)
    later = now + 2 * MAX_SKEW + 1
    fed._remember("fresh", later, later)
    assert set(fed._seen) == {"fresh"}
    assert len(fed._seen_order) == 1
    assert dt.timedelta(seconds=2 * MAX_SKEW) < dt.timedelta(seconds=later - now)


async def test_a_feed_page_stays_under_what_a_client_takes(cluster: Any) -> None:
    from federation.transport import MAX_RESPONSE_BYTES

    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        gen = await c.federated_circle(a, [b])
        for i in range(300):  # 300 × 60 KB = 18 MB: over a client's 16 MiB answer limit
            await a.node.author("message", gen.id, {"text": f"{i} " + "€" * 19_900})

        page = await b.fed.client.feed_raw(a.node_id, a.url, gen.id, a.node_id, 0, 1000)

        assert 0 < len(page) < 300
        assert sum(len(raw) for raw in page) < MAX_RESPONSE_BYTES


async def test_a_verifier_process_judges_a_batch_as_inline_verification_does() -> None:
    from nacl.signing import SigningKey

    from federation.verifier import Verifier, verify_raws
    from protocol import Draft, envelope_id, node_id_of, sign

    key = SigningKey(bytes([5]) * 32)
    scope = "direct:" + node_id_of(SigningKey(bytes([6]) * 32))
    target = envelope_id(
        sign(
            Draft(
                "retract", scope, 1, None, {"target": "sha256:" + "A" * 43}, "2026-11-22T10:00:00Z"
            ),
            key,
        )
    )
    raws, prev = [], None
    for seq in range(1, 81):
        draft = Draft("retract", scope, seq, prev, {"target": target}, "2026-11-22T10:00:00Z")
        env = sign(draft, key)
        raws.append(env.to_bytes())
        prev = envelope_id(env)
    raws[7] = raws[7].replace(b'"ts":"2026', b'"ts":"2027')  # signature no longer covers it
    raws[9] = raws[9][:-10] + b"broken"
    verifier = Verifier(workers=2, min_batch=10)
    try:
        checked = await verifier.verify(raws)
    finally:
        verifier.close()

    pooled = [verdict for verdict, _ in checked]
    assert pooled == verify_raws(raws)
    # Those verified here come with their envelope, those verified in a worker (or
    # rejected) without.
    assert [env is not None for _, env in checked] == [
        i < 27 and i not in (7, 9) for i in range(80)
    ]
    assert pooled[7] == (None, "sig.invalid", pooled[7][2])
    assert pooled[9][0] is None
    assert sum(v[0] is not None for v in pooled) == 78


async def test_a_connection_lost_before_any_answer_is_tried_once_more(cluster: Any) -> None:
    from federation.client import PeerClient
    from federation.transport import ConnectionLostError, HttpTransport, Response

    class LosesFirst:
        """A peer restarted behind a kept-alive connection: the first request dies."""

        def __init__(self, losses: int) -> None:
            self.inner = HttpTransport(dev_mode=True)
            self.losses = losses
            self.nonces: list[str] = []

        async def request(
            self, method: str, url: str, headers: dict[str, str], body: bytes
        ) -> Response:
            self.nonces.append(headers["NST-Nonce"])
            if self.losses:
                self.losses -= 1
                raise ConnectionLostError("server disconnected")
            return await self.inner.request(method, url, headers, body)

        async def close(self) -> None:
            await self.inner.close()

    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        once = LosesFirst(1)
        twice = LosesFirst(2)
        try:
            heads = await PeerClient(b.node.key, once).heads(
                a.node_id, a.url, f"direct:{b.node_id}"
            )
            assert heads == {}
            assert len(once.nonces) == 2
            assert once.nonces[0] != once.nonces[1]  # signed afresh, so no replay
            try:
                await PeerClient(b.node.key, twice).heads(a.node_id, a.url, f"direct:{b.node_id}")
            except ConnectionLostError:
                pass
            else:
                raise AssertionError("a second loss is the caller's to handle")
        finally:
            await once.close()
            await twice.close()
