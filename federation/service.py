"""The federation service: what a node does with other nodes.

Inbound: authenticate a request (signature, linked sender, destination, freshness,
replay, rate), then link, unlink, ingest an inbox batch, or answer heads and feed
pulls for scopes the requester may read. Outbound: link with an invite, unlink,
deliver the outbox (per peer, batched, exponential backoff with jitter, never
dropped), and pull what is missing (heads, then feed pages).

I/O happens here; every rule it applies lives in protocol/ or node/domain/.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import structlog

from federation.client import AT_PATTERN, PeerClient, PeerError, WrongNodeError
from federation.invites import Invite, new_token, parse_invite, token_hash
from federation.transport import Transport, TransportError, check_url
from federation.verifier import Verifier
from node.peers import Peer, Peers
from node.service import Node
from node.store import OrderMark
from protocol import (
    SUPPORTED,
    ErrorCode,
    RemoteProtocolError,
    parse_envelope,
    scope_owner,
)
from protocol.bodies import Int, decode, decode_batch
from protocol.requests import MAX_SKEW, verify_headers, verify_request

log = structlog.get_logger("nst.federation")

MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_BATCH = 1000
MAX_FEED_PAGE = 1000
DELIVERY_BATCH = 200
DELIVERY_BYTES = 4 * 1024 * 1024
DELIVERY_PARALLEL = 8
FEED_PAGE_BYTES = 4 * 1024 * 1024
CONTACT_EVERY = 30.0
MAX_BACKOFF = 3600.0
MAX_ORDER_PAGE = 1000
URL_CHECK_SECONDS = 5.0  # how long a linking node's URL has to answer (§12.6)


class _Mark(msgspec.Struct, forbid_unknown_fields=True):
    pos: Int
    at: Annotated[str, msgspec.Meta(pattern=AT_PATTERN)]

    def __post_init__(self) -> None:
        if self.pos < 1:
            raise ValueError("a position is 1 or more")


class _InboxBody(msgspec.Struct, forbid_unknown_fields=True):
    envelopes: list[msgspec.Raw]
    # Positions in the circle order (§13), one per envelope, sent by a circle's home.
    order: list[_Mark | None] | None = None


class _LinkBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(max_length=100)]
    url: Annotated[str, msgspec.Meta(max_length=2000)]
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""


_INBOX = msgspec.json.Decoder(_InboxBody)
_LINK = msgspec.json.Decoder(_LinkBody)


def read_inbox(body: bytes) -> tuple[list[bytes], list[OrderMark | None] | None]:
    """An inbox request body (§12.4): its envelopes, each as the bytes it spans, and their
    positions in the circle order when given; or the fault of the whole request."""
    batch, raws = decode_batch(_INBOX, body)
    if len(raws) > MAX_BATCH:
        raise RemoteProtocolError(
            ErrorCode.REQUEST_TOO_LARGE, f"at most {MAX_BATCH} envelopes a request"
        )
    if batch.order is None:
        return raws, None
    if len(batch.order) != len(raws):
        raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, "order has one entry per envelope")
    return raws, [None if m is None else OrderMark(m.pos, m.at) for m in batch.order]


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


def failure_text(error: object) -> str:
    """A failed exchange with a peer as an admin reads it, its code first: no answer is
    peer.unreachable, another node answering is peer.wrong_node (WrongNodeError)."""
    if isinstance(error, TransportError):
        return f"{ErrorCode.PEER_UNREACHABLE}: {error}"
    return str(error)


def backoff(failures: int, rng: random.Random) -> float:
    """Seconds before the next attempt: doubling from 1 s to an hour, with jitter."""
    return min(MAX_BACKOFF, 2.0 ** min(failures, 12)) * rng.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: str
    id: str | None = None
    code: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "id": self.id}
        if self.code:
            out["code"] = self.code
            out["message"] = self.message
        return out


class Federation:
    def __init__(
        self,
        node: Node,
        transport: Transport,
        *,
        rng: random.Random | None = None,
        rate: float = 200.0,
        burst: float = 400.0,
        verifier: Verifier | None = None,
    ) -> None:
        self.node = node
        self.transport = transport
        self.peers = Peers(node.store, node.clock, node.node_id)
        self.client = PeerClient(node.key, transport)
        self.verifier = verifier or Verifier(workers=0)
        self.started = int(time.time())
        self.wake = asyncio.Event()
        self.sync_wake = asyncio.Event()
        self.last_errors: deque[dict[str, Any]] = deque(maxlen=50)
        self._seen: dict[str, int] = {}
        self._seen_order: deque[tuple[int, str]] = deque()
        self._contacted: dict[str, float] = {}
        self._limiter = RateLimiter(rate, burst)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        node.listeners.append(self.wake.set)

    # --- identity -----------------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        return {
            "node_id": self.node.node_id,
            "name": self.node.config.name,
            "url": self.node.config.url,
            "protocol": sorted(SUPPORTED),
        }

    # --- inbound ------------------------------------------------------------------------

    def check_signed(self, headers: Any, method: str, path: str) -> str:
        """The sender of a signed request without a body that only reads public data
        (the identity document): its signature, destination and freshness are checked,
        not whether it is linked, nor replays (a replay reads the same document)."""
        now = int(time.time())
        req = verify_request(
            headers, method, path, b"", self_id=self.node.node_id, now=now, not_before=self.started
        )
        return req.sender

    async def authenticate(
        self, headers: Any, method: str, path: str, *, linking: bool = False
    ) -> str:
        """The sender of a request whose headers are valid (§12.2 steps 3–12), or
        RemoteProtocolError (auth.*): what is checked before its body is read."""
        now = int(time.time())
        req = verify_headers(
            headers, method, path, self_id=self.node.node_id, now=now, not_before=self.started
        )
        if req.nonce in self._seen:
            raise RemoteProtocolError(ErrorCode.AUTH_REPLAY, "this request was seen already")
        self._remember(req.nonce, req.timestamp, now)
        if not await self.peers.allowed(req.sender):
            raise RemoteProtocolError(ErrorCode.AUTH_DENIED, f"{req.sender} is refused here")
        if not linking and await self.peers.linked(req.sender) is None:
            raise RemoteProtocolError(
                ErrorCode.AUTH_NOT_LINKED, f"{req.sender} is not linked with this node"
            )
        if not self._limiter.allow(req.sender, time.monotonic()):
            raise RemoteProtocolError(ErrorCode.AUTH_RATE_LIMITED, "too many requests; slow down")
        return req.sender

    async def _contact(self, peer: str) -> None:
        """Note a working exchange, at most every CONTACT_EVERY seconds per peer (a
        write per request would queue behind the envelopes)."""
        now = time.monotonic()
        if now - self._contacted.get(peer, -CONTACT_EVERY) >= CONTACT_EVERY:
            self._contacted[peer] = now
            await self.peers.contact(peer)

    def _remember(self, nonce: str, timestamp: int, now: int) -> None:
        # Nonces older than the freshness window cannot be replayed (they would be stale),
        # so they are forgotten in arrival order: constant work per request.
        self._seen[nonce] = timestamp
        self._seen_order.append((now, nonce))
        horizon = now - 2 * MAX_SKEW
        while self._seen_order and self._seen_order[0][0] < horizon:
            _, old = self._seen_order.popleft()
            self._seen.pop(old, None)

    async def on_link(self, sender: str, body: bytes) -> dict[str, Any]:
        req = decode(_LINK, body)
        try:
            check_url(req.url, self.node.config.dev_mode)
        except TransportError as exc:
            raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, str(exc)) from None
        digest = token_hash(req.token)
        # The invite first (no request goes out for a node without one), then the URL, so
        # that no link is stored pointing at an address where the node is not.
        if await self.peers.check_invite(digest, sender):
            await self.prove_url(sender, req.url)
        peer = await self.peers.accept_invite(digest, sender, req.url, req.name)
        log.info("linked", peer=peer.node_id, url=peer.url, by="invite")
        self.wake.set()
        return self.identity()

    async def prove_url(self, node_id: str, url: str) -> None:
        """Check that ``node_id`` answers at ``url`` (a signed identity document), or
        refuse with link.url_wrong_node or link.url_unreachable."""
        try:
            async with asyncio.timeout(URL_CHECK_SECONDS):
                await self.client.identity(url, node_id)
        except WrongNodeError as exc:
            raise RemoteProtocolError(
                ErrorCode.LINK_URL_WRONG_NODE,
                f"{exc.message}, the linking node: another node listens at the address it gave",
            ) from None
        except (TimeoutError, TransportError, PeerError, RemoteProtocolError) as exc:
            reason = (
                f"no answer within {URL_CHECK_SECONDS:g} s"
                if isinstance(exc, TimeoutError)
                else failure_text(exc)
            )
            raise RemoteProtocolError(
                ErrorCode.LINK_URL_UNREACHABLE,
                f"the linking node {node_id} does not answer at {url} ({reason}): it must be"
                " running, and reachable at that address (its public_url)",
            ) from None

    async def on_unlink(self, sender: str) -> dict[str, Any]:
        await self.peers.unlink(sender)
        log.info("unlinked", peer=sender, by="peer")
        return {}

    async def on_inbox(self, sender: str, body: bytes) -> dict[str, Any]:
        raws, order = read_inbox(body)
        results = await self.ingest(sender, raws, order)
        await self._contact(sender)
        return {"results": [r.to_json() for r in results]}

    async def ingest(
        self, sender: str, raws: list[bytes], order: list[OrderMark | None] | None = None
    ) -> list[IngestResult]:
        """Verify and store envelopes received from ``sender`` (pushed or pulled).

        Each one is judged on its own: a bad one is rejected with its code, the others
        stand. Gaps wake the sync worker, which fetches what is missing.
        """
        results: list[IngestResult | None] = [None] * len(raws)
        valid = []
        checked = await self.verifier.verify(raws)
        for i, (raw, ((ok_id, code, message), env)) in enumerate(zip(raws, checked, strict=True)):
            if ok_id is None:
                results[i] = IngestResult("rejected", None, code, message)
                continue
            if env is None:
                # Verified in a worker: the same bytes parse to the same envelope here;
                # only the signature check, the costly part, ran there.
                env = parse_envelope(raw)
            valid.append((i, env, ok_id))
        if valid:
            stored = await self.node.store.append_remote(
                [(env, env_id) for _, env, env_id in valid],
                self.node.clock.now(),
                self_id=self.node.node_id,
                sender=sender,
                order=None if order is None else [order[i] for i, _, _ in valid],
            )
            for (i, _, _), r in zip(valid, stored, strict=True):
                results[i] = IngestResult(r.status, r.id, r.code, r.message)
                if r.status == "gap":
                    self.sync_wake.set()
                elif r.status == "equivocation":
                    log.warning("equivocation", envelope=r.id, sender=sender)
            if any(r.status == "accepted" for r in stored):
                self.wake.set()
            if any(env.kind == "membership" for _, env, _ in valid):
                await self._confirm_delegations()
            self.node.notify_governance()
        return [r for r in results if r is not None]

    async def _confirm_delegations(self) -> None:
        """The home answers delegation requests as soon as they are ordered, and a child
        circle here drops a link role its parent's home took away (§13.9)."""
        try:
            if await self.node.gov.confirm_delegations():
                self.wake.set()
            await self.node.gov.keep_double_links()
        except Exception as exc:  # a failure here must not fail the ingest
            log.warning("delegations", error=str(exc))

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

    # --- outbound: links ----------------------------------------------------------------

    async def create_invite(
        self, expires: dt.timedelta = dt.timedelta(days=7), note: str = ""
    ) -> Invite:
        token = new_token()
        await self.peers.add_invite(token_hash(token), self.node.clock.now() + expires, note)
        return Invite(self.node.node_id, self.node.config.url, token)

    async def link(self, invite_text: str) -> Peer:
        """Perform the handshake with the node that made the invite; both sides end up
        linked with each other's id, URL and key."""
        invite = parse_invite(invite_text)
        if invite.node == self.node.node_id:
            raise RemoteProtocolError(ErrorCode.LINK_WRONG_NODE, "this is this node's own invite")
        cfg = self.node.config
        try:
            doc = await self.client.link(invite.url, invite.node, invite.token, cfg.url, cfg.name)
        except WrongNodeError as exc:
            raise RemoteProtocolError(
                ErrorCode.LINK_WRONG_NODE, f"{exc.message}, the node the invite names"
            ) from None
        if doc.get("node_id") != invite.node:
            raise RemoteProtocolError(
                ErrorCode.LINK_WRONG_NODE, f"{invite.url} is not {invite.node}"
            )
        peer = await self.peers.link(invite.node, invite.url, str(doc.get("name", "")))
        log.info("linked", peer=peer.node_id, url=peer.url, by="us")
        self.wake.set()
        return peer

    async def unlink(self, node_id: str) -> Peer | None:
        """Tell the peer (if it answers) and stop exchanging with it either way."""
        peer = await self.peers.get(node_id)
        if peer is None:
            return None
        try:
            await self.client.unlink(peer.url, node_id)
        except (TransportError, PeerError, RemoteProtocolError) as exc:
            self._error("unlink", node_id, exc)
        log.info("unlinked", peer=node_id, by="us")
        return await self.peers.unlink(node_id)

    # --- outbound: delivery -------------------------------------------------------------

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

    # --- outbound: catch-up -------------------------------------------------------------

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
        return stored

    async def _sync(self, scope: str, peer: Peer) -> int:
        theirs = await self.client.heads(peer.node_id, peer.url, scope)
        ours = await self.node.store.heads(scope)
        stored = 0
        owner = scope_owner(scope)
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
        if scope.startswith("circle:") and owner == peer.node_id:
            stored += await self._sync_order(scope, peer)
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

    def _error(self, what: str, peer: str, error: object, **extra: Any) -> None:
        text = failure_text(error)
        entry = {"what": what, "peer": peer, "error": text, **extra}
        entry["at"] = self.node.clock.now().isoformat()
        self.last_errors.append(entry)
        log.warning(what, peer=peer, error=text, **extra)

    # --- workers ------------------------------------------------------------------------

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
                await asyncio.wait_for(self.wake.wait(), idle)

    async def run_sync(self, every: float = 30.0) -> None:
        """Pull what is missing every ``every`` seconds, and at once after a gap."""
        while True:
            self.sync_wake.clear()
            try:
                await self.sync_once()
            except Exception as exc:  # our own bug: say so, keep the worker alive
                log.exception("sync.worker", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sync_wake.wait(), every)
