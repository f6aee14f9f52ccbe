"""Catch-up, both ways: answering the heads, feed and circle-order pulls of peers for
scopes they may read (PROTOCOL.md §12.10, §13), and pulling from peers what is missing
here (heads, then feed pages, then the circle order from its home).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from federation.inbox import Inbox
from federation.limits import FEED_PAGE_BYTES, MAX_FEED_PAGE, MAX_ORDER_PAGE
from node.peers import Peer
from protocol import ErrorCode, RemoteProtocolError

log = structlog.get_logger("nst.federation")


class Sync(Inbox):
    """What is pulled is stored through the inbox's ``ingest``, as if it had been pushed."""

    # --- inbound ------------------------------------------------------------------------

    async def on_heads(self, sender: str, scope: str) -> dict[str, Any]:
        await self._may_read(sender, scope)
        return {"scope": scope, "heads": await self.node.store.heads(scope)}

    async def on_feed(self, sender: str, scope: str, author: str, after: int, limit: int) -> bytes:
        await self._may_read(sender, scope)
        limit = max(1, min(limit, MAX_FEED_PAGE))
        page = await self.node.store.feed_bytes(scope, author, after, limit)
        kept: list[bytes] = []
        size = 0
        for raw in page:  # a page stays well under a client's answer limit
            if kept and size + len(raw) > FEED_PAGE_BYTES:
                break
            kept.append(raw)
            size += len(raw) + 1
        return b'{"envelopes":[' + b",".join(kept) + b"]}"

    async def on_order(self, sender: str, scope: str, after: int, limit: int) -> dict[str, Any]:
        """A page of the circle order (§13) as this node holds it."""
        await self._may_read(sender, scope)
        limit = max(1, min(limit, MAX_ORDER_PAGE))
        rows = await self.node.store.fetchall(
            "SELECT pos, envelope_id, at FROM circle_order WHERE scope = ? AND pos > ?"
            " ORDER BY pos LIMIT ?",
            (scope, after, limit),
        )
        return {"order": [{"pos": p, "id": i, "at": a} for p, i, a in rows]}

    async def _may_read(self, sender: str, scope: str) -> None:
        if not await self.peers.may_read(scope, sender):
            raise RemoteProtocolError(ErrorCode.NOT_MEMBER, f"{sender} may not read {scope}")

    # --- outbound -----------------------------------------------------------------------

    async def sync_once(self) -> int:
        """Compare heads with every member peer of every shared scope and pull what is
        missing; how many envelopes were stored."""
        stored = 0
        for scope, node_id in await self.peers.sync_plan():
            peer = await self.peers.linked(node_id)
            if peer is None:
                continue
            try:
                stored += await self._sync(scope, peer)
            except Exception as exc:  # one peer's failure or bad answer stops no other
                self._error("sync", node_id, exc, scope=scope)
        return stored + await self.catch_up_moves()

    async def catch_up_moves(self) -> int:
        """A node named new home by votes to move a silent home pulls, from the voter whose
        vote holds the highest position, the positions up to it and their envelopes, then
        moves the home (PROTOCOL.md §13.15); how many envelopes were stored."""
        stored = 0
        for scope, voter, top in await self.node.gov.home_move_sources():
            peer = await self.peers.linked(voter)
            if peer is None:
                continue
            try:
                row = await self.node.store.fetchone(
                    "SELECT coalesce(max(pos), 0) FROM circle_order WHERE scope = ?", (scope,)
                )
                page = await self.client.order(peer.node_id, peer.url, scope, int(row[0]))
                await self.node.store.record_order(scope, [e for e in page if e[0] <= top])
                stored += await self._pull_feeds(scope, peer)
            except Exception as exc:  # one voter's failure stops no other
                self._error("sync", voter, exc, scope=scope)
        if stored:
            await self.node.gov.complete_home_moves()
        return stored

    async def _sync(self, scope: str, peer: Peer) -> int:
        stored = await self._pull_feeds(scope, peer)
        if (
            scope.startswith("circle:")
            and await self.node.store.order_source(scope) == peer.node_id
        ):
            stored += await self._sync_order(scope, peer)
        return stored

    async def _pull_feeds(self, scope: str, peer: Peer) -> int:
        """Pull from ``peer`` every feed of ``scope`` it holds further than we hold it."""
        theirs = await self.client.heads(peer.node_id, peer.url, scope)
        ours = await self.node.store.heads(scope)
        stored = 0
        owner = await self.node.store.current_home(scope)
        # The home's feed first: its charter and memberships say who else may write there.
        for author, head in sorted(theirs.items(), key=lambda item: (item[0] != owner, item[0])):
            after = ours.get(author, 0)
            while after < head:
                raws = await self.client.feed_raw(peer.node_id, peer.url, scope, author, after)
                if not raws:
                    break
                results = await self.ingest(peer.node_id, raws)
                stored += sum(r.status == "accepted" for r in results)
                # Progress is what our copy of the feed gained, not what the page claims:
                # a peer answering with envelopes we hold cannot keep us pulling.
                held = (await self.node.store.heads(scope)).get(author, 0)
                if held <= after:
                    break
                after = held
        return stored

    async def _sync_order(self, scope: str, peer: Peer) -> int:
        """Pull the circle order from its home past the last position we hold (§13)."""
        moved = 0
        while True:
            row = await self.node.store.fetchone(
                "SELECT coalesce(max(pos), 0) FROM circle_order WHERE scope = ?", (scope,)
            )
            after = int(row[0])
            page = await self.client.order(peer.node_id, peer.url, scope, after)
            if not page:
                return moved
            await self.node.store.record_order(scope, page)
            self.node.notify_governance()
            moved += len(page)

    async def run_sync(self, every: float = 30.0) -> None:
        """Pull what is missing every ``every`` seconds, and at once after a gap."""
        while True:
            self.sync_wake.clear()
            try:
                await self.sync_once()
            except Exception as exc:  # our own bug: say so, keep the worker alive
                log.exception("sync.worker", error=str(exc))
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for may swallow the
                # cancellation that stops this worker when its timeout falls at the same moment.
                async with asyncio.timeout(every):
                    await self.sync_wake.wait()
