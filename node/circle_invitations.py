"""Joining other organizations' federated circles: the invitations this node received,
and its admin's answers to them (PROTOCOL.md §13.10).

A home node names this node in a circle's membership: an invitation. Nothing of that
circle reaches this node's members until its admin accepts; accepting signs this node's
own ``membership`` naming itself (the acceptance, naming the invitation in ``refs``),
which the home and every member node hold, and the circle then comes from its home.
Declining signs the same with status ``removed``, which tells the home. A node leaves a
circle it joined the same way, whenever it wants.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from node.domain.errors import DomainError
from node.store import LocalDraft
from node.store.homes import current_home
from node.store.invitations import joined
from node.store.log import append_local
from protocol import RemoteProtocolError, format_ts

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class CircleInvitation:
    """An invitation to a circle of another node, waiting for this node's answer."""

    circle_id: str
    home: str
    home_name: str  # the inviting organization, as its link names it
    name: str
    aim: str
    received_at: str
    invitation: str  # the home's membership envelope naming this node

    def to_json(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "home": self.home,
            "home_name": self.home_name,
            "name": self.name,
            "aim": self.aim,
            "received_at": self.received_at,
            "invitation": self.invitation,
        }


class CircleInvitations:
    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def pending(self) -> list[CircleInvitation]:
        """Invitations waiting for an answer, newest first."""
        names = await self.node.load_org_names()
        rows = await self.node.store.fetchall(
            "SELECT scope, home, name, aim, received_at, invitation FROM circle_invitations"
            " WHERE status = 'pending' AND name IS NOT NULL AND invitation IS NOT NULL"
            " ORDER BY received_at DESC, scope"
        )
        return [
            CircleInvitation(scope, home, names.get(home, home), name, aim, at, invitation)
            for scope, home, name, aim, at, invitation in rows
        ]

    async def accept(self, circle_id: str, by: str) -> CircleInvitation:
        """Join the circle: sign this node's acceptance, sent to the home; the circle then
        comes from the home. ``by`` is who decided (an admin's handle, or ``cli``)."""
        return await self._answer(circle_id, by, accept=True)

    async def decline(self, circle_id: str, by: str) -> CircleInvitation:
        """Refuse the invitation, and tell the home so; the circle never shows here."""
        return await self._answer(circle_id, by, accept=False)

    async def _answer(self, circle_id: str, by: str, *, accept: bool) -> CircleInvitation:
        invitation = next((i for i in await self.pending() if i.circle_id == circle_id), None)
        if invitation is None:
            raise DomainError(
                "circle.no_invitation",
                "there is no open invitation to this circle: it was answered already, or its"
                " home withdrew it",
            )
        node = self.node
        now = node.clock.now()

        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT invitation FROM circle_invitations WHERE scope = ? AND status = 'pending'",
                (circle_id,),
            ).fetchone()
            if row is None or row[0] != invitation.invitation:
                raise DomainError(
                    "circle.no_invitation", "the invitation changed meanwhile: look at it again"
                )
            body = _own_membership(conn, circle_id, node.node_id, active=accept)
            _sign(conn, node, LocalDraft("membership", circle_id, body, None, (row[0],)), now)
            conn.execute(
                "UPDATE circle_invitations SET status = ?, decided_at = ?, decided_by = ?"
                " WHERE scope = ?",
                ("accepted" if accept else "declined", format_ts(now), by, circle_id),
            )

        await node.store.write(run)
        node.notify()
        return invitation

    async def leave(self, circle_id: str, by: str) -> None:
        """Leave a federated circle of another node that this node is a member node of:
        its own removal, sent to the home; it writes nothing there afterwards."""
        node = self.node
        now = node.clock.now()

        def run(conn: sqlite3.Connection) -> None:
            if current_home(conn, circle_id) == node.node_id:
                raise DomainError("circle.is_home", "this node is the circle's home: it stays")
            if not joined(conn, circle_id, node.node_id):
                raise DomainError(
                    "circle.not_member", f"this node is no member node of {circle_id}"
                )
            body = _own_membership(conn, circle_id, node.node_id, active=False)
            _sign(conn, node, LocalDraft("membership", circle_id, body), now)
            conn.execute(
                "UPDATE circle_invitations SET status = 'left', decided_at = ?, decided_by = ?"
                " WHERE scope = ? AND status = 'accepted'",
                (format_ts(now), by, circle_id),
            )

        await node.store.write(run)
        node.notify()

    async def name_of(self, circle_id: str) -> str:
        """The circle's name, as held here or as its invitation says."""
        circle = await self.node.circle(circle_id)
        if circle is not None:
            return circle.name
        row = await self.node.store.fetchone(
            "SELECT name FROM circle_invitations WHERE scope = ?", (circle_id,)
        )
        return str(row[0]) if row and row[0] else circle_id


def _own_membership(
    conn: sqlite3.Connection, circle_id: str, self_id: str, *, active: bool
) -> dict[str, Any]:
    """This node's membership naming itself: its acceptance, or its removal, which names
    its own seq as the last of its feed there (final_seq)."""
    if active:
        return {"member": self_id, "status": "active", "roles": []}
    head = conn.execute(
        "SELECT head_seq FROM feeds WHERE author = ? AND scope = ?", (self_id, circle_id)
    ).fetchone()
    return {
        "member": self_id,
        "status": "removed",
        "roles": [],
        "final_seq": (head[0] if head else 0) + 1,
    }


def _sign(conn: sqlite3.Connection, node: NodeCore, draft: LocalDraft, now: dt.datetime) -> None:
    try:
        append_local(conn, draft, node.key, now)
    except RemoteProtocolError as exc:
        raise DomainError(str(exc.code), exc.message) from None
