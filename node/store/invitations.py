"""Invitations to other nodes' federated circles, held aside until this node's admin
answers them (PROTOCOL.md §13.10), inside the writer transaction (synchronous sqlite3).

A circle of another node enters this node's event log only once this node is one of its
member nodes, or has accepted an invitation to it and catches up. Before that, of what
its home sends, only the home's charter and the home's membership naming this node are
read: they make the invitation an admin sees (who invites, the circle's name and aim).
Everything else of the circle is refused with ``authority.not_joined``; nothing of it
reaches the node's members, and after an acceptance the node pulls the whole circle.
"""

from __future__ import annotations

import sqlite3

from protocol import Envelope, scope_owner


def joined(conn: sqlite3.Connection, scope: str, self_id: str) -> bool:
    """Whether this node takes a circle of another home into its log: it is an active
    member node there, or it accepted an invitation whose envelope it does not hold yet
    (the pull after the acceptance brings it, and with it the membership)."""
    row = conn.execute(
        "SELECT status FROM circle_members WHERE circle_id = ? AND member = ?", (scope, self_id)
    ).fetchone()
    if row is not None and row[0] == "active":
        return True
    accepted = conn.execute(
        "SELECT invitation FROM circle_invitations WHERE scope = ? AND status = 'accepted'",
        (scope,),
    ).fetchone()
    if accepted is None:
        return False
    held = conn.execute("SELECT 1 FROM envelopes WHERE id = ?", (accepted[0],)).fetchone()
    return held is None


def hold(conn: sqlite3.Connection, env: Envelope, env_id: str, self_id: str, now: str) -> bool:
    """Keep what an envelope of a circle this node has not joined says of an invitation to
    it: True if it is such a part (held), False if the envelope is to be refused."""
    body = env.body
    if env.author != scope_owner(env.scope) or body is None:
        return False
    if env.kind == "circle" and body.get("federated"):
        _keep_charter(conn, env, now)
        return True
    if env.kind == "membership" and body.get("member") == self_id:
        _keep_invitation(conn, env, env_id, now)
        return True
    return False


def _row(conn: sqlite3.Connection, env: Envelope, now: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO circle_invitations (scope, home, received_at) VALUES (?, ?, ?)",
        (env.scope, env.author, now),
    )


def _keep_charter(conn: sqlite3.Connection, env: Envelope, now: str) -> None:
    """The circle's name and aim, from the latest charter of its home held aside."""
    assert env.body is not None
    _row(conn, env, now)
    conn.execute(
        "UPDATE circle_invitations SET name = ?, aim = ?, charter_seq = ?"
        " WHERE scope = ? AND (charter_seq IS NULL OR charter_seq < ?)",
        (env.body["name"], env.body["aim"], env.seq, env.scope, env.seq),
    )


def _keep_invitation(conn: sqlite3.Connection, env: Envelope, env_id: str, now: str) -> None:
    """The home's latest membership naming this node: a new invitation (pending until the
    admin answers), or the withdrawal of the one held."""
    assert env.body is not None
    _row(conn, env, now)
    row = conn.execute(
        "SELECT invitation, invitation_seq, status FROM circle_invitations WHERE scope = ?",
        (env.scope,),
    ).fetchone()
    if row[1] is not None and row[1] >= env.seq:
        return  # an older word of the home, or this one again
    if env.body["status"] == "active" and row[0] is not None and row[2] == "pending":
        # The home naming this node again while it is invited invites it not anew (§13.10):
        # the acceptance names the first invitation, as the home and its members hold it.
        conn.execute(
            "UPDATE circle_invitations SET invitation_seq = ? WHERE scope = ?",
            (env.seq, env.scope),
        )
    elif env.body["status"] == "active":
        conn.execute(
            "UPDATE circle_invitations SET invitation = ?, invitation_seq = ?,"
            " status = 'pending', received_at = ?, decided_at = NULL, decided_by = NULL"
            " WHERE scope = ?",
            (env_id, env.seq, now, env.scope),
        )
    else:
        conn.execute(
            "UPDATE circle_invitations SET invitation_seq = ?,"
            " status = CASE status WHEN 'pending' THEN 'withdrawn' ELSE status END"
            " WHERE scope = ?",
            (env.seq, env.scope),
        )
