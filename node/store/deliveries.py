"""The outbox queue: which linked nodes get an envelope we store (our own, or relayed by
the circle's home), and what a node is owed when it links again (PROTOCOL.md §12.7)."""

from __future__ import annotations

import sqlite3

import node.store.governance as governance
from node.domain.authority import member_nodes
from node.domain.circles import CircleState
from node.store.invitations import inviting_home
from node.store.state import load_circle
from protocol import Envelope, scope_owner
from protocol.ids import NODE_PREFIX, is_direct


def enqueue_deliveries(
    conn: sqlite3.Connection,
    env: Envelope,
    env_id: str,
    self_id: str,
    sender: str | None,
    circle: CircleState | None = None,
    before: str | None = None,
) -> None:
    """Queue ``env`` for the linked nodes that should receive it from us.

    Our own envelopes go to every member node of a federated circle (or to the
    recipient of a direct scope); the home node also relays what members send, so
    members that are not linked with each other still hear each other. A node the home
    invites gets the charter and its invitation; once it accepts, the circle's whole
    history; a node removed from it gets the removal (so it stops acting as a member),
    and nothing after. ``before`` is, for a membership naming a node, that node's status
    before this envelope.
    """
    if is_direct(env.scope):
        targets = {scope_owner(env.scope)} if env.author == self_id else set()
    else:
        if circle is None:
            circle = load_circle(conn, env.scope)
        if circle is None:
            # Our answer to an invitation to a circle not held here yet goes to the home
            # the invitation came from (§13.15).
            home = inviting_home(conn, env.scope) or scope_owner(env.scope)
            targets = {home} if env.author == self_id else set()
        elif not circle.federated:
            return
        elif env.kind == "home.vote":
            # A vote to move the home goes to every other member node, the silent home
            # too (it learns of the move when it is back), with what chains it (§13.15).
            targets = member_nodes(circle) - {self_id} if env.author == self_id else set()
            for peer in sorted(targets):
                _queue_unordered(conn, peer, env)
        elif circle.home != self_id:
            # A member sends its own envelopes to the home alone; the home relays them.
            targets = {circle.home} if env.author == self_id else set()
        else:
            targets = member_nodes(circle) - {self_id, env.author, sender}
            if governance.is_ordered(env) and env.author != self_id:
                # The echo: its author learns the envelope's position in the order too.
                targets.add(env.author)
            node = _named_node(env)
            held = circle.members.get(node) if node else None
            if node is not None and held is not None and held.status != before:
                if held.active:
                    _queue_history(conn, node, env.scope)
                elif held.invited:
                    _queue_invitation(conn, node, circle)
                elif env.author == self_id:
                    targets.add(node)
    for peer in sorted(t for t in targets if t is not None):
        _queue(conn, peer, env_id)


def queue_votes(
    conn: sqlite3.Connection, circle: CircleState, self_id: str, votes: list[str]
) -> None:
    """The votes a move charter names, queued for every other member node before the
    charter, so that each holds them when it judges the charter (§13.15)."""
    for peer in sorted(member_nodes(circle) - {self_id}):
        for env_id in votes:
            _queue(conn, peer, env_id)


def resend_unordered(conn: sqlite3.Connection, scope: str, self_id: str, home: str) -> list[str]:
    """Our acts in a circle that hold no position after its home moved without the old
    one (void, or never ordered by it): sent again to the new home, which orders them
    as any act it receives (§13.15); their ids."""
    ids = [
        str(r[0])
        for r in conn.execute(
            "SELECT e.id FROM envelopes e JOIN disputes d ON d.envelope_id = e.id"
            " WHERE e.scope = ? AND e.author = ? AND d.code = 'home.void' ORDER BY e.seq",
            (scope, self_id),
        )
    ]
    if home != self_id:
        for env_id in ids:
            _queue(conn, home, env_id)
    return ids


def _named_node(env: Envelope) -> str | None:
    """The node a membership names, if it names a node."""
    if env.kind != "membership" or env.body is None:
        return None
    member = str(env.body["member"])
    return member if member.startswith(NODE_PREFIX) else None


def _queue(conn: sqlite3.Connection, peer: str, env_id: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO outbox (peer, envelope_id) SELECT ?, ?"
        " WHERE EXISTS (SELECT 1 FROM peers WHERE node_id = ? AND state = 'linked')",
        (peer, env_id, peer),
    )


def _queue_unordered(conn: sqlite3.Connection, peer: str, vote: Envelope) -> None:
    """Our envelopes in the vote's circle that hold no position (the silent home never
    echoed them), before the vote, so that our feed chains on ``peer`` (§13.15)."""
    conn.execute(
        "INSERT OR IGNORE INTO outbox (peer, envelope_id) SELECT ?, e.id FROM envelopes e"
        " WHERE e.author = ? AND e.scope = ? AND e.seq < ? AND e.kind != 'home.vote'"
        " AND NOT EXISTS (SELECT 1 FROM circle_order o WHERE o.envelope_id = e.id)"
        " AND EXISTS (SELECT 1 FROM peers WHERE node_id = ? AND state = 'linked')"
        " ORDER BY e.seq",
        (peer, vote.author, vote.scope, vote.seq, peer),
    )


def _queue_history(conn: sqlite3.Connection, peer: str, scope: str) -> None:
    """Every envelope we hold in a circle, in the order we stored them (the charter
    first): what a node that joins it receives."""
    conn.execute(
        "INSERT OR IGNORE INTO outbox (peer, envelope_id) SELECT ?, id FROM envelopes"
        " WHERE scope = ? AND EXISTS (SELECT 1 FROM peers WHERE node_id = ?"
        " AND state = 'linked') ORDER BY rowid",
        (peer, scope, peer),
    )


def _queue_invitation(conn: sqlite3.Connection, peer: str, circle: CircleState) -> None:
    """What an invited node needs to see its invitation: the charter and the invitation."""
    held = circle.members[peer]
    row = conn.execute("SELECT envelope_id FROM circles WHERE id = ?", (circle.id,)).fetchone()
    for env_id in (row[0], held.invitation):
        if env_id is not None:
            _queue(conn, peer, env_id)


def resume_deliveries(conn: sqlite3.Connection, peer: str, self_id: str) -> None:
    """On linking (again) with ``peer``: queue for it what it should hold from us in every
    scope we share (PROTOCOL.md §12.7), since what was queued when it was unlinked was
    dropped: the history of each circle we are home of where it is a member node (the
    charter and its invitation where it is invited, its removal where it was removed),
    our own envelopes in the circles it is home of, and those to it in ``direct:<peer>``.
    What it holds already, it answers as ``duplicate``."""
    for scope, status, membership in conn.execute(
        "SELECT m.circle_id, m.status, m.envelope_id FROM circle_members m"
        " JOIN circles c ON c.id = m.circle_id WHERE c.home = ? AND c.federated = 1"
        " AND m.member = ? ORDER BY c.rowid",
        (self_id, peer),
    ).fetchall():
        if status == "active":
            _queue_history(conn, peer, scope)
        elif status == "invited":
            circle = load_circle(conn, scope)
            assert circle is not None
            _queue_invitation(conn, peer, circle)
        else:
            _queue(conn, peer, membership)
    conn.execute(
        "INSERT OR IGNORE INTO outbox (peer, envelope_id) SELECT ?, id FROM envelopes"
        " WHERE author = ? AND (scope GLOB ? OR scope = ?) ORDER BY rowid",
        (peer, self_id, f"circle:*@{peer}", f"direct:{peer}"),
    )
