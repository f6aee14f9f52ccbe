"""Read tables derived from the event log. ``project`` applies one envelope; replaying
the log in arrival order through it rebuilds every table exactly."""

from __future__ import annotations

import sqlite3

import orjson

from protocol import Envelope, scope_owner

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
    if env.kind == "circle" and env.author == scope_owner(env.scope):
        conn.execute(
            "INSERT INTO circles (id, home, name, aim, domain, parent, federated, silence,"
            " round_hours, envelope_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, aim = excluded.aim,"
            " domain = excluded.domain, parent = excluded.parent,"
            " federated = excluded.federated, silence = excluded.silence,"
            " round_hours = excluded.round_hours, envelope_id = excluded.envelope_id",
            (
                env.scope,
                env.author,
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
    elif env.kind == "membership" and env.author == scope_owner(env.scope):
        conn.execute(
            "INSERT INTO circle_members (circle_id, member, status, roles, term_end,"
            " envelope_id, final_seq) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (circle_id, member) DO UPDATE SET status = excluded.status,"
            " roles = excluded.roles, term_end = excluded.term_end,"
            " envelope_id = excluded.envelope_id, final_seq = excluded.final_seq",
            (
                env.scope,
                body["member"],
                body["status"],
                orjson.dumps(body.get("roles", [])).decode(),
                body.get("term_end"),
                env_id,
                body.get("final_seq"),
            ),
        )
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
