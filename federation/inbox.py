"""The inbox (PROTOCOL.md §12.4): envelopes a peer pushes, or that we pull from it,
verified and stored each on its own; a bad one is rejected with its code, the others
stand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import structlog

from federation.client import AT_PATTERN
from federation.limits import MAX_BATCH
from federation.state import FederationState
from node.store import OrderMark
from protocol import ErrorCode, RemoteProtocolError, parse_envelope
from protocol.bodies import Int, decode_batch

log = structlog.get_logger("nst.federation")

CONTACT_EVERY = 30.0


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


_INBOX = msgspec.json.Decoder(_InboxBody)


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


class Inbox(FederationState):
    async def on_inbox(self, sender: str, body: bytes) -> dict[str, Any]:
        raws, order = read_inbox(body)
        results = await self.ingest(sender, raws, order)
        await self._contact(sender)
        return {"results": [r.to_json() for r in results]}

    async def _contact(self, peer: str) -> None:
        """Note a working exchange, at most every CONTACT_EVERY seconds per peer (a
        write per request would queue behind the envelopes)."""
        now = time.monotonic()
        if now - self._contacted.get(peer, -CONTACT_EVERY) >= CONTACT_EVERY:
            self._contacted[peer] = now
            await self.peers.contact(peer)

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
            if any(env.kind in ("membership", "decision", "selection") for _, env, _ in valid):
                await self._confirm_delegations()
            if any(env.kind == "decision" for _, env, _ in valid):
                await self._raise_referrals()
            if any(env.kind == "home.vote" for _, env, _ in valid):
                await self._complete_home_moves()
            self.node.notify_governance()
        return [r for r in results if r is not None]

    async def _complete_home_moves(self) -> None:
        """The new home writes the charter moving a silent home once the last vote it
        needs arrives (§13.15)."""
        try:
            if await self.node.gov.complete_home_moves():
                self.wake.set()
        except Exception as exc:  # a failure here must not fail the ingest
            log.warning("home moves", error=str(exc))

    async def _raise_referrals(self) -> None:
        """A child circle's referral lands on the backlog of a parent homed here (§13.8)."""
        try:
            if await self.node.gov.raise_referrals():
                self.wake.set()
        except Exception as exc:  # a failure here must not fail the ingest
            log.warning("referrals", error=str(exc))

    async def _confirm_delegations(self) -> None:
        """The home answers delegation requests as soon as they are ordered and carries
        out adopted structural changes (§13.14) and a parent's choice of a leader (§13.16),
        and a child circle here drops a link role its parent's home took away (§13.9)."""
        try:
            if await self.node.gov.confirm_delegations():
                self.wake.set()
            if await self.node.gov.carry_out_structure():
                self.wake.set()
            if await self.node.gov.carry_out_leaders():
                self.wake.set()
            await self.node.gov.keep_double_links()
        except Exception as exc:  # a failure here must not fail the ingest
            log.warning("delegations", error=str(exc))
