"""A circle's logbook (PROTOCOL.md §13.6): one entry for each applied decision, election
result, meeting's minutes, correction of minutes and charter, each hash-chained to the one
before it."""

from __future__ import annotations

import sqlite3

from protocol import Envelope, canonical
from protocol.ids import sha256_id


def entry_kind(env: Envelope) -> str | None:
    """What an applied envelope records in the circle's logbook, if anything."""
    body = env.body or {}
    if env.kind == "decision":
        return "decision"
    if env.kind == "selection" and body.get("op") == "result":
        return "selection"
    if env.kind == "meeting" and body.get("op") == "minutes":
        return "minutes"
    if env.kind == "meeting" and body.get("op") == "correct":
        return "correction"  # the full corrected minutes, replacing a version
    if env.kind == "circle":
        return "policy"  # the charter: aim, domain, rules of the rounds
    return None


def logbook_hash(prev: str | None, n: int, pos: int, env_id: str, kind: str, at: str) -> str:
    """An entry's hash: over the previous entry's hash and the entry (§13.6)."""
    return sha256_id(
        canonical.encode(
            {"at": at, "envelope": env_id, "kind": kind, "n": n, "pos": pos, "prev": prev}
        )
    )


def append_entry(
    conn: sqlite3.Connection, scope: str, pos: int, env_id: str, kind: str, at: str
) -> None:
    """The next entry of ``scope``'s logbook, chained to the one before it."""
    row = conn.execute(
        "SELECT n, hash FROM logbook WHERE scope = ? ORDER BY n DESC LIMIT 1", (scope,)
    ).fetchone()
    n, prev = (row[0] + 1, row[1]) if row else (1, None)
    conn.execute(
        "INSERT INTO logbook (scope, n, pos, envelope_id, kind, at, hash, prev)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (scope, n, pos, env_id, kind, at, logbook_hash(prev, n, pos, env_id, kind, at), prev),
    )
