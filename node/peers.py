"""Linked nodes, invites, the allow/deny policy and the outbox, as a service over the store.

Federation code calls this; it never touches the tables itself. Every check-and-change
(using an invite, linking, unlinking) is one atomic write.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from node.clock import Clock
from node.domain.authority import may_read
from node.store import OrderMark, Store
from node.store.codec import envelope_json_from_row
from node.store.deliveries import resume_deliveries
from node.store.state import read_circle
from protocol import ErrorCode, RemoteProtocolError, format_ts, scope_owner
from protocol.ids import is_direct

PeerState = Literal["linked", "unlinked"]


@dataclass(frozen=True, slots=True)
class Peer:
    node_id: str
    url: str
    name: str
    state: PeerState
    linked_at: str
    last_contact: str | None = None
    failures: int = 0
    next_attempt: str | None = None
    last_error: str | None = None
    queued: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "url": self.url,
            "name": self.name,
            "state": self.state,
            "linked_at": self.linked_at,
            "last_contact": self.last_contact,
            "failures": self.failures,
            "next_attempt": self.next_attempt,
            "last_error": self.last_error,
            "queued": self.queued,
        }


_PEER_COLUMNS = (
    "p.node_id, p.url, p.name, p.state, p.linked_at, p.last_contact, p.failures,"
    " p.next_attempt, p.last_error,"
    " (SELECT COUNT(*) FROM outbox o WHERE o.peer = p.node_id)"
)


def _peer(row: Any) -> Peer:
    return Peer(*row)


class Peers:
    def __init__(self, store: Store, clock: Clock, self_id: str) -> None:
        self.store = store
        self.clock = clock
        self.self_id = self_id

    def _now(self) -> str:
        return format_ts(self.clock.now())

    # --- invites ------------------------------------------------------------------------

    async def add_invite(self, token_hash: str, expires: dt.datetime, note: str) -> None:
        now = self._now()

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO invites (token_hash, note, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, note, now, format_ts(expires)),
            )

        await self.store.write(run)

    async def invites(self) -> list[dict[str, Any]]:
        rows = await self.store.fetchall(
            "SELECT token_hash, note, created_at, expires_at, used_by, used_at, revoked"
            " FROM invites ORDER BY created_at DESC"
        )
        keys = ("token_hash", "note", "created_at", "expires_at", "used_by", "used_at")
        return [{**dict(zip(keys, r[:6], strict=True)), "revoked": bool(r[6])} for r in rows]

    async def revoke_invite(self, token_hash: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE invites SET revoked = 1 WHERE token_hash = ? AND used_by IS NULL",
                (token_hash,),
            )
            return cur.rowcount == 1

        return await self.store.write(run)

    async def check_invite(self, token_hash: str, node_id: str) -> bool:
        """Whether an invite would link ``node_id`` anew (True) or answer a repeat of its
        handshake (False); refuses as ``accept_invite`` would, and changes nothing."""
        row = await self.store.fetchone(_INVITE_SQL, (token_hash,))
        used = None if row is None or row[1] is None else await self.get(node_id)
        return _judge_invite(row, used, node_id, self.clock.now())

    async def accept_invite(self, token_hash: str, node_id: str, url: str, name: str) -> Peer:
        """Use an invite for ``node_id`` and link it, or refuse (link.*, auth.denied).

        Using the same invite again from the same node answers as before, so a handshake
        whose answer was lost can be repeated.
        """
        now = self.clock.now()

        def run(conn: sqlite3.Connection) -> Peer:
            _check_policy(conn, node_id)
            row = conn.execute(_INVITE_SQL, (token_hash,)).fetchone()
            peer = _get(conn, node_id)
            if not _judge_invite(row, peer, node_id, now):
                assert peer is not None
                return peer
            conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ?",
                (node_id, format_ts(now), token_hash),
            )
            return _link(conn, node_id, url, name, format_ts(now), self.self_id)

        return await self.store.write(run)

    # --- peers --------------------------------------------------------------------------

    async def link(self, node_id: str, url: str, name: str) -> Peer:
        now = self._now()

        def run(conn: sqlite3.Connection) -> Peer:
            _check_policy(conn, node_id)
            return _link(conn, node_id, url, name, now, self.self_id)

        return await self.store.write(run)

    async def unlink(self, node_id: str) -> Peer | None:
        """Mark a peer unlinked and drop what was queued for it."""
        now = self._now()

        def run(conn: sqlite3.Connection) -> Peer | None:
            conn.execute(
                "UPDATE peers SET state = 'unlinked', changed_at = ? WHERE node_id = ?",
                (now, node_id),
            )
            conn.execute("DELETE FROM outbox WHERE peer = ?", (node_id,))
            return _get(conn, node_id)

        return await self.store.write(run)

    async def get(self, node_id: str) -> Peer | None:
        row = await self.store.fetchone(
            f"SELECT {_PEER_COLUMNS} FROM peers p WHERE p.node_id = ?",  # noqa: S608
            (node_id,),
        )
        return _peer(row) if row else None

    async def all(self) -> list[Peer]:
        rows = await self.store.fetchall(
            f"SELECT {_PEER_COLUMNS} FROM peers p ORDER BY p.name, p.node_id"  # noqa: S608
        )
        return [_peer(r) for r in rows]

    async def linked(self, node_id: str) -> Peer | None:
        peer = await self.get(node_id)
        return peer if peer is not None and peer.state == "linked" else None

    async def set_policy(self, node_id: str, policy: Literal["allow", "deny"] | None) -> None:
        def run(conn: sqlite3.Connection) -> None:
            if policy is None:
                conn.execute("DELETE FROM peer_policy WHERE node_id = ?", (node_id,))
            else:
                conn.execute(
                    "INSERT INTO peer_policy (node_id, policy) VALUES (?, ?)"
                    " ON CONFLICT (node_id) DO UPDATE SET policy = excluded.policy",
                    (node_id, policy),
                )
                if policy == "deny":
                    conn.execute(
                        "UPDATE peers SET state = 'unlinked' WHERE node_id = ?", (node_id,)
                    )
                    conn.execute("DELETE FROM outbox WHERE peer = ?", (node_id,))

        await self.store.write(run)

    async def policies(self) -> dict[str, str]:
        rows = await self.store.fetchall("SELECT node_id, policy FROM peer_policy")
        return {n: p for n, p in rows}

    async def allowed(self, node_id: str) -> bool:
        rows = await self.store.fetchall("SELECT node_id, policy FROM peer_policy")
        return _allowed_by(dict(rows), node_id)

    async def contact(self, node_id: str) -> None:
        """Note an exchange with the peer that worked (does not reset delivery failures)."""
        now = self._now()
        await self.store.write(
            lambda conn: conn.execute(
                "UPDATE peers SET last_contact = ? WHERE node_id = ?", (now, node_id)
            )
        )

    # --- outbox -------------------------------------------------------------------------

    async def due_peers(self) -> list[Peer]:
        """Linked peers with something queued whose backoff has passed."""
        now = self._now()
        rows = await self.store.fetchall(
            f"SELECT {_PEER_COLUMNS} FROM peers p WHERE p.state = 'linked'"  # noqa: S608
            " AND (p.next_attempt IS NULL OR p.next_attempt <= ?)"
            " AND EXISTS (SELECT 1 FROM outbox o WHERE o.peer = p.node_id)",
            (now,),
        )
        return [_peer(r) for r in rows]

    async def outbox_batch(
        self, node_id: str, limit: int
    ) -> list[tuple[int, bytes, OrderMark | None]]:
        """The oldest queued envelopes for a peer: (outbox row, canonical envelope, its
        position in the order of a circle we are home of, or founded)."""
        rows = await self.store.fetchall(
            "SELECT o.rowid, e.header, e.body, c.pos, c.at FROM outbox o JOIN envelopes e"
            " ON e.id = o.envelope_id LEFT JOIN circle_order c ON c.scope = e.scope"
            " AND c.envelope_id = e.id AND (e.scope GLOB ? OR EXISTS (SELECT 1 FROM circles h"
            " WHERE h.id = e.scope AND h.home = ?))"
            " WHERE o.peer = ? ORDER BY o.rowid LIMIT ?",
            (f"circle:*@{self.self_id}", self.self_id, node_id, limit),
        )
        return [
            (r, envelope_json_from_row(h, b), None if pos is None else OrderMark(pos, at))
            for r, h, b, pos, at in rows
        ]

    async def delivered(self, node_id: str, rowids: list[int]) -> None:
        now = self._now()

        def run(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM outbox WHERE rowid = ?", [(r,) for r in rowids])
            conn.execute(
                "UPDATE peers SET failures = 0, next_attempt = NULL, last_error = NULL,"
                " last_contact = ? WHERE node_id = ?",
                (now, node_id),
            )

        await self.store.write(run)

    async def delivery_failed(self, node_id: str, error: str, retry_at: dt.datetime) -> int:
        """Count a failed delivery; returns the number of consecutive failures."""

        def run(conn: sqlite3.Connection) -> int:
            conn.execute(
                "UPDATE peers SET failures = failures + 1, next_attempt = ?, last_error = ?"
                " WHERE node_id = ?",
                (format_ts(retry_at), error[:500], node_id),
            )
            row = conn.execute(
                "SELECT failures FROM peers WHERE node_id = ?", (node_id,)
            ).fetchone()
            return int(row[0]) if row else 0

        return await self.store.write(run)

    # --- scopes -------------------------------------------------------------------------

    async def may_read(self, scope: str, requester: str) -> bool:
        circle = None if is_direct(scope) else await read_circle(self.store, scope)
        return may_read(scope, circle, requester, self.self_id)

    async def sync_plan(self) -> list[tuple[str, str]]:
        """(scope, peer) pairs to compare heads with: each federated circle's member
        nodes (for the circles we are a member of, or accepted an invitation to and are
        catching up with), and each linked peer's direct scope to us."""
        rows = await self.store.fetchall("SELECT c.id, c.home FROM circles c WHERE c.federated = 1")
        linked = {p.node_id for p in await self.all() if p.state == "linked"}
        plan: list[tuple[str, str]] = []
        for scope, home in rows:
            members = await self.store.fetchall(
                "SELECT member FROM circle_members WHERE circle_id = ? AND status = 'active'"
                " AND member LIKE 'ed25519:%'",
                (scope,),
            )
            # The node that founded the circle stays a member node once the home moved.
            nodes = {home, scope_owner(scope), *(m for (m,) in members)}
            if self.self_id not in nodes:
                continue  # not (or no longer) a member: its members would refuse our pulls
            if home != self.self_id:
                nodes = {home}  # members hear a circle from its home alone
            for peer in sorted(nodes):
                if peer in linked and peer != self.self_id:
                    plan.append((scope, peer))
        # An accepted invitation: its circle comes from its home, by pull, until the order
        # applied the invitation here (then the circle is ours as above).
        for scope, home in await self.store.fetchall(
            "SELECT i.scope, i.home FROM circle_invitations i WHERE i.status = 'accepted'"
            " AND NOT EXISTS (SELECT 1 FROM gov_effects g WHERE g.envelope_id = i.invitation)"
            " ORDER BY i.scope"
        ):
            if home in linked and (scope, home) not in plan:
                plan.append((scope, home))
        plan.extend((f"direct:{self.self_id}", peer) for peer in sorted(linked))
        return plan


_INVITE_SQL = "SELECT expires_at, used_by, revoked FROM invites WHERE token_hash = ?"


def _judge_invite(row: Any, peer: Peer | None, node_id: str, now: dt.datetime) -> bool:
    """An invite's row (``_INVITE_SQL``) for ``node_id``: True if it links the node anew,
    False if it repeats the node's handshake; else refused with its link.* code."""
    if row is None or row[2]:
        raise RemoteProtocolError(ErrorCode.INVITE_INVALID, "no such invite")
    expires_at, used_by, _ = row
    if used_by is not None:
        # A repeat by the same node, still linked, is a handshake whose answer was lost:
        # answer it again. Anyone else, or a node unlinked since, needs a new invite.
        if used_by != node_id or peer is None or peer.state != "linked":
            raise RemoteProtocolError(ErrorCode.INVITE_USED, "this invite was used already")
        return False
    if dt.datetime.fromisoformat(expires_at) < now:
        raise RemoteProtocolError(ErrorCode.INVITE_EXPIRED, "this invite expired")
    return True


def _allowed(conn: sqlite3.Connection, node_id: str) -> bool:
    return _allowed_by(dict(conn.execute("SELECT node_id, policy FROM peer_policy")), node_id)


def _allowed_by(rows: dict[str, str], node_id: str) -> bool:
    if rows.get(node_id) == "deny":
        return False
    allows = [n for n, p in rows.items() if p == "allow"]
    return not allows or node_id in allows


def _check_policy(conn: sqlite3.Connection, node_id: str) -> None:
    if not _allowed(conn, node_id):
        raise RemoteProtocolError(ErrorCode.AUTH_DENIED, f"{node_id} may not link with this node")


def _link(
    conn: sqlite3.Connection, node_id: str, url: str, name: str, now: str, self_id: str
) -> Peer:
    """Record ``node_id`` as linked; linked anew (or again), it gets what it should hold
    from us queued, as what was queued while it was unlinked was dropped."""
    was = _get(conn, node_id)
    conn.execute(
        "INSERT INTO peers (node_id, url, name, state, linked_at, changed_at, last_contact)"
        " VALUES (?, ?, ?, 'linked', ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET"
        " url = excluded.url, name = excluded.name, state = 'linked',"
        " changed_at = excluded.changed_at, last_contact = excluded.last_contact",
        (node_id, url, name, now, now, now),
    )
    if was is None or was.state != "linked":
        resume_deliveries(conn, node_id, self_id)
    peer = _get(conn, node_id)
    assert peer is not None
    return peer


def _get(conn: sqlite3.Connection, node_id: str) -> Peer | None:
    row = conn.execute(
        f"SELECT {_PEER_COLUMNS} FROM peers p WHERE p.node_id = ?",  # noqa: S608
        (node_id,),
    ).fetchone()
    return _peer(row) if row else None
