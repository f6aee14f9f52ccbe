"""Key rotations in the write path (synchronous sqlite3, inside a writer transaction).

``key_rotations`` is projected from the key.rotate envelopes held (see projection.py).
Here: the state checks a received envelope passes (is its author retired? may this
rotation stand?) and what accepting a peer's rotation changes: the peer is known by its
new id from then on (its row, its queue and its allow/deny entry move to the new id).
"""

from __future__ import annotations

import sqlite3
from typing import Final

from protocol import Envelope, ErrorCode, RemoteProtocolError

#: Every id of a node that rotated into the given one, the given one first.
CHAIN_SQL: Final = (
    "WITH RECURSIVE chain(id) AS (SELECT ? UNION SELECT k.old_id FROM key_rotations k"
    " JOIN chain c ON k.new_id = c.id) SELECT id FROM chain"
)


def successor(conn: sqlite3.Connection, node_id: str) -> str | None:
    row = conn.execute("SELECT new_id FROM key_rotations WHERE old_id = ?", (node_id,)).fetchone()
    return str(row[0]) if row else None


def former_ids(conn: sqlite3.Connection, node_id: str) -> frozenset[str]:
    """The ids ``node_id`` rotated away from, directly or through a chain."""
    return frozenset(r[0] for r in conn.execute(CHAIN_SQL, (node_id,))) - {node_id}


def check_local(conn: sqlite3.Connection, env: Envelope) -> None:
    """A retired key of ours signs nothing more, except its rotation to each peer."""
    new = successor(conn, env.author)
    if new is None:
        return
    if env.kind == "key.rotate" and env.body is not None and env.body["new_key"] == new:
        return
    raise RemoteProtocolError(
        ErrorCode.ROTATED_KEY, f"{env.author} was retired for {new}; it signs nothing more"
    )


def check_retired(conn: sqlite3.Connection, env: Envelope) -> None:
    """Refuse what a retired id signs once we know of its rotation (authority, §6 step
    6); what we held of it before stays valid history."""
    new = successor(conn, env.author)
    if new is not None:
        raise RemoteProtocolError(
            ErrorCode.ROTATED_KEY, f"{env.author} rotated to {new}; its key is retired"
        )


def check_target(conn: sqlite3.Connection, env: Envelope, self_id: str) -> None:
    """A rotation may not name a node already known here (us, a peer, a retired id):
    two identities would merge (kind rule, §6 step 7, after the proof)."""
    if env.kind != "key.rotate" or env.body is None:
        return
    target = env.body["new_key"]
    known = conn.execute(
        "SELECT 1 FROM peers WHERE node_id = ? UNION ALL"
        " SELECT 1 FROM key_rotations WHERE old_id = ?",
        (target, target),
    ).fetchone()
    if target == self_id or known is not None:
        raise RemoteProtocolError(
            ErrorCode.ROTATION_CONFLICT, f"{target} is already a known node; it succeeds no one"
        )


def rekey_peer(conn: sqlite3.Connection, old: str, new: str, now: str) -> None:
    """The peer ``old`` is ``new`` from now on: same URL, name and link state, its queue
    and policy carried over, its delivery backoff reset (failures were likely the key
    change itself: it refused requests addressed to ``old``)."""
    conn.execute(
        "UPDATE peers SET node_id = ?, changed_at = ?, failures = 0, next_attempt = NULL,"
        " last_error = NULL WHERE node_id = ?",
        (new, now, old),
    )
    conn.execute("UPDATE OR IGNORE outbox SET peer = ? WHERE peer = ?", (new, old))
    conn.execute("DELETE FROM outbox WHERE peer = ?", (old,))
    conn.execute("UPDATE OR IGNORE peer_policy SET node_id = ? WHERE node_id = ?", (new, old))
