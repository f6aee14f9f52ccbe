"""The OSDI API's tokens (migration 0017): only each token's SHA-256 is stored, with its
name and when it was made, last used and revoked. Run inside the writer transaction
(synchronous sqlite3), but for ``LIVE``, the short read every API request makes."""

from __future__ import annotations

import sqlite3

#: The live tokens (id, name, hash, last use): few, so a request compares them all.
LIVE = "SELECT id, name, token_hash, last_used_at FROM osdi_tokens WHERE revoked_at IS NULL"
#: Every token, live or revoked, newest first.
ALL = (
    "SELECT name, created_at, last_used_at, revoked_at FROM osdi_tokens"
    " ORDER BY created_at DESC, id DESC"
)


def live_named(conn: sqlite3.Connection, name: str) -> bool:
    """Whether a live token has this name."""
    row = conn.execute(
        "SELECT 1 FROM osdi_tokens WHERE name = ? AND revoked_at IS NULL", (name,)
    ).fetchone()
    return row is not None


def insert(conn: sqlite3.Connection, name: str, token_hash: str, now: str) -> None:
    conn.execute(
        "INSERT INTO osdi_tokens (name, token_hash, created_at) VALUES (?, ?, ?)",
        (name, token_hash, now),
    )


def revoke(conn: sqlite3.Connection, name: str, now: str) -> int:
    """Revoke the live token of this name; the number of tokens revoked (0 or 1)."""
    cursor = conn.execute(
        "UPDATE osdi_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        (now, name),
    )
    return cursor.rowcount


def mark_used(conn: sqlite3.Connection, token_id: int, now: str) -> None:
    conn.execute("UPDATE osdi_tokens SET last_used_at = ? WHERE id = ?", (now, token_id))
