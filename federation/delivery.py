"""Delivery of the outbox (PROTOCOL.md §12.9): per peer, in batches, peers in parallel,
with exponential backoff and jitter after a failure; nothing queued is ever dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import structlog

from federation.client import PeerError
from federation.limits import DELIVERY_BATCH, DELIVERY_BYTES, DELIVERY_PARALLEL, backoff
from federation.state import FederationState, failure_text
from node.peers import Peer
from node.store import OrderMark
from protocol import ErrorCode

log = structlog.get_logger("nst.federation")


class Delivery(FederationState):
    async def deliver_once(self) -> int:
        """One pass over every peer with due deliveries, peers in parallel (a slow or
        silent peer delays no other); how many envelopes went out."""
        peers = await self.peers.due_peers()
        limit = asyncio.Semaphore(DELIVERY_PARALLEL)

        async def one(peer: Peer) -> int:
            async with limit:
                return await self._deliver(peer)

        return sum(await asyncio.gather(*(one(p) for p in peers)))

    async def _deliver(self, peer: Peer) -> int:
        rows = await self.peers.outbox_batch(peer.node_id, DELIVERY_BATCH)
        batch: list[tuple[int, bytes, OrderMark | None]] = []
        size = 0
        for rowid, raw, mark in rows:
            # Stay well under the receiver's request limit, whatever the envelopes weigh.
            if batch and size + len(raw) > DELIVERY_BYTES:
                break
            batch.append((rowid, raw, mark))
            size += len(raw) + 1
        if not batch:
            return 0
        marks = [m for _, _, m in batch]
        try:
            results = await self.client.inbox(
                peer.node_id,
                peer.url,
                [b for _, b, _ in batch],
                order=marks if any(m is not None for m in marks) else None,
            )
            if len(results) != len(batch):
                raise PeerError(200, ErrorCode.REQUEST_MALFORMED, "answer has the wrong length")
        except Exception as exc:  # any failure of the peer: back off, keep everything queued
            retry = self.node.clock.now() + dt.timedelta(
                seconds=backoff(peer.failures + 1, self._rng)
            )
            failures = await self.peers.delivery_failed(peer.node_id, failure_text(exc), retry)
            self._error("delivery", peer.node_id, exc, failures=failures)
            return 0
        for r in results:
            if r["status"] == "rejected":
                self._error("rejected", peer.node_id, r["code"], envelope=r["id"])
        await self.peers.delivered(peer.node_id, [rowid for rowid, _, _ in batch])
        return len(batch)

    async def run_delivery(self, idle: float = 1.0) -> None:
        """Deliver until cancelled: at once when woken, else every ``idle`` seconds."""
        while True:
            self.wake.clear()
            try:
                if await self.deliver_once():
                    continue
            except Exception as exc:  # our own bug: say so, keep the worker alive
                log.exception("delivery.worker", error=str(exc))
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for may swallow the
                # cancellation that stops this worker when its timeout falls at the same moment.
                async with asyncio.timeout(idle):
                    await self.wake.wait()
