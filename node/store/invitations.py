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

from node.domain.homes import named_home
from protocol import Envelope, scope_owner


def joined(conn: sqlite3.Connection, scope: str, self_id: str) -> bool:
    """Whether this node takes a circle of another home into its log: it is an active
    member node there, or it accepted an invitation it is still catching up to (the pull
    after the acceptance brings it, and with it the membership)."""
    row = conn.execute(
        "SELECT status FROM circle_members WHERE circle_id = ? AND member = ?", (scope, self_id)
    ).fetchone()
    if row is not None and row[0] == "active":
        return True
    return _catching_up(conn, scope, ("accepted",)) is not None


def inviting_home(conn: sqlite3.Connection, scope: str) -> str | None:
    """The home an invitation to ``scope`` comes from, while this node has not answered it
    or catches up after accepting it (until the order applied the invitation here): the
    node the charter it came with names (§13.15), which it takes the circle from."""
    return _catching_up(conn, scope, ("pending", "accepted"))


def _catching_up(conn: sqlite3.Connection, scope: str, statuses: tuple[str, ...]) -> str | None:
    row = conn.execute(
        "SELECT i.home, i.status FROM circle_invitations i WHERE i.scope = ?"
        " AND NOT EXISTS (SELECT 1 FROM gov_effects g WHERE g.envelope_id = i.invitation)",
        (scope,),
    ).fetchone()
    return str(row[0]) if row is not None and row[1] in statuses else None


def hold(
    conn: sqlite3.Connection,
    env: Envelope,
    env_id: str,
    self_id: str,
    now: str,
    sender: str | None = None,
) -> bool:
    """Keep what an envelope of a circle this node has not joined says of an invitation to
    it: True if it is such a part (held), False if the envelope is to be refused. The
    charter comes from the home it names (the id's node, or the node the circle moved its
    home to, §13.15), whoever signed it; the invitation is that home's own."""
    body = env.body
    if body is None:
        return False
    home = named_home(env.scope, body) if env.kind == "circle" else None
    if home is not None and body.get("federated") and home == (sender or env.author):
        _keep_charter(conn, env, home, now)
        return True
    row = conn.execute(
        "SELECT home FROM circle_invitations WHERE scope = ?", (env.scope,)
    ).fetchone()
    home = scope_owner(env.scope) if row is None else str(row[0])
    if env.kind == "membership" and body.get("member") == self_id and env.author == home:
        _keep_invitation(conn, env, env_id, now)
        return True
    return False


def _row(conn: sqlite3.Connection, env: Envelope, now: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO circle_invitations (scope, home, received_at) VALUES (?, ?, ?)",
        (env.scope, env.author, now),
    )


def _keep_charter(conn: sqlite3.Connection, env: Envelope, home: str, now: str) -> None:
    """The circle's name and aim, from the latest charter held aside; the home it names
    is the home the invitation comes from."""
    assert env.body is not None
    conn.execute(
        "INSERT OR IGNORE INTO circle_invitations (scope, home, received_at) VALUES (?, ?, ?)",
        (env.scope, home, now),
    )
    conn.execute(
        "UPDATE circle_invitations SET name = ?, aim = ?, charter_seq = ?, home = ?"
        " WHERE scope = ? AND (charter_seq IS NULL OR charter_seq < ? OR home != ?)",
        (env.body["name"], env.body["aim"], env.seq, home, env.scope, env.seq, home),
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
