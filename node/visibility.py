"""Who may read a circle: what happens in a circle (its members, proposals, elections,
meetings, logbook and messages) is read by its active members. A circle this node is
home of and that is not federated may also be opened to everyone with an account on
this node (``organization``), a setting of this node kept outside the signed charter; a
federated circle is read by its members only. Being the node's admin opens nothing:
names and aims of circles are for everyone, their content for their readers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from protocol import format_ts

if TYPE_CHECKING:
    from node.service import Node

VISIBILITIES = ("members", "organization")


def may_open(circle: CircleState, node_id: str) -> bool:
    """Whether the circle's content may be opened beyond its members on this node."""
    return circle.home == node_id and not circle.federated


async def visibility(node: Node, circle: CircleState) -> str:
    """``members`` or ``organization``: who on this node reads the circle."""
    if not may_open(circle, node.node_id):
        return "members"
    row = await node.store.fetchone(
        "SELECT visibility FROM circle_visibility WHERE circle_id = ?", (circle.id,)
    )
    return str(row[0]) if row else "members"


async def may_read(node: Node, circle: CircleState, handle: str) -> bool:
    """Whether the member ``handle`` of this node may read what happens in ``circle``."""
    if circle.is_active(node.actor_of(handle)):
        return True
    return await visibility(node, circle) == "organization"


async def readable(node: Node, handle: str, circles: Iterable[dict[str, Any]]) -> set[str]:
    """Of ``circles`` (rows of ``Node.circles``), the ids ``handle`` may read."""
    member_of = await node.store.fetchall(
        "SELECT circle_id FROM circle_members WHERE member = ? AND status = 'active'",
        (node.actor_of(handle),),
    )
    opened = await node.store.fetchall(
        "SELECT circle_id FROM circle_visibility WHERE visibility = 'organization'"
    )
    mine, open_ = {r[0] for r in member_of}, {r[0] for r in opened}
    return {
        str(c["id"])
        for c in circles
        if c["id"] in mine
        or (c["id"] in open_ and c["home"] == node.node_id and not c["federated"])
    }


async def scope_of(node: Node, envelope_id: str, handle: str) -> str | None:
    """The circle whose readers may see an envelope this node holds (a proposal, an
    election, a meeting…), or None: unknown here, or ``handle``'s own proposal that the
    circle did not take in (they may always learn what became of what they proposed)."""
    if len(envelope_id) > 100:
        return None
    row = await node.store.fetchone(
        "SELECT e.scope, e.kind = 'proposal' AND e.actor = ? AND NOT EXISTS"
        " (SELECT 1 FROM proposals p WHERE p.root = e.id) FROM envelopes e WHERE e.id = ?",
        (node.actor_of(handle), envelope_id),
    )
    return None if row is None or row[1] else str(row[0])


async def set_visibility(node: Node, circle_id: str, value: str, by: str | None = None) -> str:
    """Open a local circle to everyone on this node, or close it to its members again.
    ``by``: the member doing it, who must be the circle's facilitator or a node admin
    (None: the node's operator, on the command line)."""
    if value not in VISIBILITIES:
        raise DomainError("circle.bad_visibility", "a circle is read by its members or by all")
    circle = await node.circle(circle_id)
    if circle is None:
        raise DomainError("circle.unknown", f"no circle {circle_id}")
    if circle.home != node.node_id:
        raise DomainError("circle.not_home", "only the circle's home node changes it")
    if circle.federated:
        raise DomainError(
            "circle.visibility_fixed", "a federated circle is read by its members only"
        )
    if by is not None:
        member = await node.member(by)
        facilitator = node.actor_of(by) in circle.holders("facilitator")
        if member is None or member.disabled or not (facilitator or member.role == "admin"):
            raise DomainError(
                "circle.not_facilitator",
                "only the circle's facilitator or a node admin says who reads it",
            )
    now = format_ts(node.clock.now())

    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO circle_visibility (circle_id, visibility, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (circle_id) DO UPDATE SET visibility = excluded.visibility,"
            " changed_at = excluded.changed_at",
            (circle_id, value, now),
        )

    await node.store.write(run)
    node.notify_governance()
    return value
