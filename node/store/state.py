"""Domain state read inside a write transaction, so a command's check and its write
are one atomic step (synchronous sqlite3, used on the writer thread)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import orjson

from node.domain.circles import CircleMember, CircleState
from node.domain.members import Member
from node.domain.roles import register

if TYPE_CHECKING:
    from node.store.base import Store


def load_member(conn: sqlite3.Connection, handle: str) -> Member | None:
    row = conn.execute(
        "SELECT handle, display_name, role, disabled FROM members WHERE handle = ?", (handle,)
    ).fetchone()
    return Member(row[0], row[1], row[2], bool(row[3])) if row else None


def declared_roles(charter: bytes | str | None) -> list[dict[str, object]]:
    """The ``roles`` of a charter's canonical body (none if its body is gone)."""
    if charter is None:
        return []
    roles = orjson.loads(charter).get("roles", [])
    return roles if isinstance(roles, list) else []


def load_circle(conn: sqlite3.Connection, circle_id: str) -> CircleState | None:
    row = conn.execute(
        "SELECT id, home, name, aim, domain, parent, federated,"
        " (SELECT body FROM envelopes WHERE id = circles.envelope_id) FROM circles"
        " WHERE id = ?",
        (circle_id,),
    ).fetchone()
    if row is None:
        return None
    members = {
        m: CircleMember(m, s, tuple(orjson.loads(r)), f, i)
        for m, s, r, f, i in conn.execute(
            "SELECT member, status, roles, final_seq, invitation FROM circle_members"
            " WHERE circle_id = ?",
            (circle_id,),
        )
    }
    seats = register(declared_roles(row[7]))
    return CircleState(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), members, seats)


def load_children(conn: sqlite3.Connection, circle_id: str) -> list[CircleState]:
    ids = [r[0] for r in conn.execute("SELECT id FROM circles WHERE parent = ?", (circle_id,))]
    return [c for c in (load_circle(conn, i) for i in ids) if c is not None]


async def read_circle(store: Store, circle_id: str) -> CircleState | None:
    """The same state as ``load_circle``, read through the store's read connection (it
    never waits for the writer)."""
    rows = await store.circle_rows(circle_id)
    if not rows:
        return None
    row = rows[0]
    members = {
        m["member"]: CircleMember(
            m["member"], m["status"], tuple(m["roles"]), m["final_seq"], m["invitation"]
        )
        for m in await store.circle_member_rows(circle_id)
    }
    return CircleState(
        row["id"],
        row["home"],
        row["name"],
        row["aim"],
        row["domain"],
        row["parent"],
        row["federated"],
        members,
        register(row["roles"]),
    )
