"""Read tables derived from the event log. ``project`` applies one envelope; replaying
the log in arrival order through it rebuilds every table exactly."""

from __future__ import annotations

import sqlite3

import orjson

from node.domain.homes import named_home
from node.store.homes import current_home
from protocol import Envelope
from protocol.ids import NODE_PREFIX

PROJECTION_TABLES = ("circle_members", "circles", "key_rotations", "kind_counts")


def project(conn: sqlite3.Connection, env: Envelope, env_id: str) -> None:
    conn.execute(
        "INSERT INTO kind_counts (kind, n) VALUES (?, 1)"
        " ON CONFLICT (kind) DO UPDATE SET n = n + 1",
        (env.kind,),
    )
    body = env.body
    if body is None:
        return
    home = current_home(conn, env.scope)
    if env.kind == "circle" and env.author == home:
        # The charter founds the circle here on receipt (authority needs it, §6.1); its
        # content takes effect at its position in the circle order (``put_charter``).
        put_charter(conn, env, env_id, founding=True)
    elif env.kind == "membership" and env.author == home:
        member = body["member"]
        if not member.startswith(NODE_PREFIX):
            return  # a person's membership takes effect at its position (§13.1)
        if _waits_for_position(conn, env):
            return  # a node's removal by the home, judged by decision at its position
        status = body["status"]
        invitation = None
        if status == "active":
            # A node the home names joins by its own acceptance (§13.10): until then it
            # is invited, by this envelope.
            held = _member_row(conn, env.scope, member)
            if held is not None and held[0] in ("active", "invited"):
                status, invitation = held
            else:
                status, invitation = "invited", env_id
                if _accepted(conn, env.scope, member, env_id):
                    status = "active"
        put_member(conn, env, env_id, status, invitation)
    elif env.kind == "membership" and body["member"] == env.author:
        _answer(conn, env, env_id)
    elif env.kind == "key.rotate":
        # The first rotation of a key stands; a retired key signs no second one.
        conn.execute(
            "INSERT OR IGNORE INTO key_rotations (old_id, new_id, envelope_id, ts)"
            " VALUES (?, ?, ?, ?)",
            (env.author, body["new_key"], env_id, env.ts),
        )
    elif env.kind == "retract":
        # Charters, memberships and key rotations are state every projection is rebuilt
        # from; dropping them would break rebuild (and the foreign keys).
        conn.execute(
            "UPDATE envelopes SET body = NULL WHERE id = ? AND author = ?"
            " AND kind NOT IN ('circle', 'membership', 'key.rotate')",
            (body["target"], env.author),
        )


def put_charter(conn: sqlite3.Connection, env: Envelope, env_id: str, *, founding: bool) -> None:
    """The home's charter as the circle's row: only where none is held yet when
    ``founding`` (on receipt), else replacing it (at its position)."""
    body = env.body or {}
    keep = (
        " ON CONFLICT (id) DO NOTHING"
        if founding
        else (
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, aim = excluded.aim,"
            " domain = excluded.domain, parent = excluded.parent,"
            " federated = excluded.federated, silence = excluded.silence,"
            " round_hours = excluded.round_hours, envelope_id = excluded.envelope_id,"
            " home = excluded.home"
        )
    )
    conn.execute(
        "INSERT INTO circles (id, home, name, aim, domain, parent, federated, silence,"  # noqa: S608 - fixed clauses
        " round_hours, envelope_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" + keep,
        (
            env.scope,
            named_home(env.scope, body),
            body["name"],
            body["aim"],
            body.get("domain", ""),
            body.get("parent"),
            int(body.get("federated", False)),
            body.get("silence", "absent"),
            body.get("round_hours", 72),
            env_id,
        ),
    )


def put_member(
    conn: sqlite3.Connection,
    env: Envelope,
    env_id: str,
    status: str,
    invitation: str | None = None,
) -> None:
    """The home's membership as the member's row, with the status it gives."""
    body = env.body or {}
    conn.execute(
        "INSERT INTO circle_members (circle_id, member, status, roles, term_end,"
        " envelope_id, final_seq, invitation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (circle_id, member) DO UPDATE SET status = excluded.status,"
        " roles = excluded.roles, term_end = excluded.term_end,"
        " envelope_id = excluded.envelope_id,"
        " final_seq = coalesce(excluded.final_seq, circle_members.final_seq),"
        " invitation = excluded.invitation",
        (
            env.scope,
            body["member"],
            status,
            orjson.dumps(body.get("roles", [])).decode(),
            body.get("term_end"),
            env_id,
            body.get("final_seq"),
            invitation,
        ),
    )


def project_node_membership(conn: sqlite3.Connection, env: Envelope, env_id: str) -> None:
    """The home's membership naming a node, at its position (a removal that waited for
    the circle's decision, §13.14): the same effect as on receipt."""
    body = env.body or {}
    member = str(body["member"])
    status, invitation = str(body["status"]), None
    if status == "active":
        held = _member_row(conn, env.scope, member)
        if held is not None and held[0] in ("active", "invited"):
            status, invitation = held
        else:
            status, invitation = "invited", env_id
            if _accepted(conn, env.scope, member, env_id):
                status = "active"
    put_member(conn, env, env_id, status, invitation)


def holds_newer(conn: sqlite3.Connection, env: Envelope) -> bool:
    """Whether what the home's charter or membership sets is held already from it or a
    later envelope of the home (taken when it arrived): applying it again at its position
    would set back a newer state."""
    body = env.body or {}
    if env.kind == "circle":
        row = conn.execute("SELECT envelope_id FROM circles WHERE id = ?", (env.scope,)).fetchone()
    else:
        row = conn.execute(
            "SELECT envelope_id FROM circle_members WHERE circle_id = ? AND member = ?",
            (env.scope, body.get("member")),
        ).fetchone()
    if row is None or row[0] is None:
        return False
    held = conn.execute(
        "SELECT seq FROM envelopes WHERE id = ? AND author = ? AND scope = ?",
        (row[0], env.author, env.scope),
    ).fetchone()
    return held is not None and held[0] >= env.seq


def _waits_for_position(conn: sqlite3.Connection, env: Envelope) -> bool:
    """Whether a home's charter or membership takes effect at its position only: in a
    federated circle another node is a member node of, it stands only if the circle
    decided it (§13.14). An invitation of a node is taken at once (the invited node needs
    it to join), and withdrawn at its position if refused."""
    body = env.body or {}
    member = str(body.get("member", ""))
    if (
        env.kind == "membership"
        and body.get("status") == "active"
        and member.startswith(NODE_PREFIX)
    ):
        return False
    row = conn.execute(
        "SELECT 1 FROM circles c JOIN circle_members m ON m.circle_id = c.id"
        " WHERE c.id = ? AND c.federated = 1 AND m.status = 'active'"
        " AND m.member != c.home AND m.member GLOB 'ed25519:*' LIMIT 1",
        (env.scope,),
    ).fetchone()
    return row is not None


def _member_row(conn: sqlite3.Connection, scope: str, member: str) -> tuple[str, str | None] | None:
    row = conn.execute(
        "SELECT status, invitation FROM circle_members WHERE circle_id = ? AND member = ?",
        (scope, member),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _accepted(conn: sqlite3.Connection, scope: str, node: str, invitation: str) -> bool:
    """Whether ``node``'s acceptance of ``invitation`` is held already: on the invited node
    itself, its own acceptance is stored before the home's invitation arrives by pull. A
    node made a member before acceptances existed counts as having accepted."""
    from node.store.codec import envelope_from_row

    if conn.execute(
        "SELECT 1 FROM memberships_before_acceptance WHERE envelope_id = ?", (invitation,)
    ).fetchone():
        return True

    for header, raw in conn.execute(
        "SELECT header, body FROM envelopes WHERE scope = ? AND author = ? AND kind = 'membership'",
        (scope, node),
    ):
        env = envelope_from_row(header, raw)
        body = env.body or {}
        if body.get("member") == node and body.get("status") == "active" and invitation in env.refs:
            return True
    return False


def _answer(conn: sqlite3.Connection, env: Envelope, env_id: str) -> None:
    """A node's answer to its invitation, or its leaving (§13.10); the authority check
    (or, for our own, the command) made sure it may stand."""
    held = _member_row(conn, env.scope, env.author)
    if held is None:
        return  # on the invited node, before the circle's history arrives
    status, invitation = held
    body = env.body or {}
    if body.get("status") == "active":
        if status == "invited" and invitation in env.refs:
            conn.execute(
                "UPDATE circle_members SET status = 'active', envelope_id = ?"
                " WHERE circle_id = ? AND member = ?",
                (env_id, env.scope, env.author),
            )
    elif status in ("invited", "active"):
        conn.execute(
            "UPDATE circle_members SET status = 'removed', envelope_id = ?, final_seq = ?"
            " WHERE circle_id = ? AND member = ?",
            (env_id, env.seq, env.scope, env.author),
        )


def rebuild(conn: sqlite3.Connection) -> int:
    """Recompute every projection from the log (inside the caller's transaction)."""
    from node.store.codec import envelope_from_row

    for table in PROJECTION_TABLES:
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    n = 0
    for row in conn.execute("SELECT id, header, body FROM envelopes ORDER BY rowid"):
        env = envelope_from_row(row[1], row[2])
        project(conn, env, row[0])
        n += 1
    return n
