"""Allies and their consent records (migration 0021). The writes run inside the writer
transaction (synchronous sqlite3); the reads are the SQL the service runs on the read
connection. Addresses are kept lower case."""

from __future__ import annotations

import hashlib
import sqlite3

_COLUMNS = (
    "id, address, name, town, can_call, can_march, can_testify, can_host, note,"
    " signed_up_at, updated_at, invited_at, invited_by, invited_as"
)
#: Every entry, the newest sign-up first.
ALL = f"SELECT {_COLUMNS} FROM allies ORDER BY signed_up_at DESC, id DESC"  # noqa: S608 - fixed names
#: One entry by id.
BY_ID = f"SELECT {_COLUMNS} FROM allies WHERE id = ?"  # noqa: S608 - fixed names
#: How many entries there are.
COUNT = "SELECT count(*) FROM allies"


def salt(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT salt FROM ally_salt").fetchone()
    return str(row[0])


def address_hash(salt_hex: str, address: str) -> str:
    """The salted SHA-256 of an address: what stays of it after an erasure."""
    return hashlib.sha256(f"{salt_hex}:{address}".encode()).hexdigest()


def upsert(
    conn: sqlite3.Connection,
    address: str,
    name: str,
    town: str,
    can: dict[str, bool],
    note: str,
    now: str,
) -> None:
    """Add the person's entry, or update the one of their address (the first sign-up's
    time and any invitation stay)."""
    conn.execute(
        "INSERT INTO allies (address, name, town, can_call, can_march, can_testify, can_host,"
        " note, signed_up_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (address) DO UPDATE SET name = excluded.name, town = excluded.town,"
        " can_call = excluded.can_call, can_march = excluded.can_march,"
        " can_testify = excluded.can_testify, can_host = excluded.can_host,"
        " note = excluded.note, updated_at = excluded.updated_at",
        (
            address,
            name,
            town,
            int(can["call"]),
            int(can["march"]),
            int(can["testify"]),
            int(can["host"]),
            note,
            now,
            now,
        ),
    )


def record_consent(
    conn: sqlite3.Connection, address: str, version: str, words: str, now: str
) -> None:
    conn.execute(
        "INSERT INTO ally_consents (address, address_hash, version, words, given_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (address, address_hash(salt(conn), address), version, words, now),
    )


def mark_invited(conn: sqlite3.Connection, ally_id: int, by: str, handle: str, now: str) -> int:
    cursor = conn.execute(
        "UPDATE allies SET invited_at = ?, invited_by = ?, invited_as = ? WHERE id = ?",
        (now, by, handle, ally_id),
    )
    return cursor.rowcount


def erase(conn: sqlite3.Connection, address: str, now: str, mail_kind: str) -> int:
    """Delete the entry of ``address`` and the unused member invitation made for it,
    blank the address of its consent records (their salted hash and dates stay) and drop
    the mails of ``mail_kind`` sent to it; how many records held the address."""
    gone = 0
    entry = conn.execute(
        "SELECT name, invited_as FROM allies WHERE address = ?", (address,)
    ).fetchone()
    if entry is not None and entry[1] is not None:
        gone += conn.execute(
            "DELETE FROM member_invites WHERE handle = ? AND display_name = ? AND used_at IS NULL",
            (entry[1], entry[0]),
        ).rowcount
    gone += conn.execute("DELETE FROM allies WHERE address = ?", (address,)).rowcount
    gone += conn.execute(
        "UPDATE ally_consents SET address = NULL, erased_at = ? WHERE address = ?",
        (now, address),
    ).rowcount
    gone += conn.execute(
        "DELETE FROM mail_outbox WHERE lower(recipient) = ? AND kind = ?", (address, mail_kind)
    ).rowcount
    return gone
