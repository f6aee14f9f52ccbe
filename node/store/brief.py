"""The Coalition Brief's tables (migration 0020): subscribers, their consent records and
the issues, run inside the writer transaction (synchronous sqlite3) or as reads."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from typing import Any

#: How many subscribers are confirmed, and how many wait for their confirmation.
COUNTS = "SELECT count(confirmed_at), count(*) - count(confirmed_at) FROM brief_subscribers"
#: Every subscriber with the version of the words they agreed to, for the CSV export.
EXPORT = (
    "SELECT s.address, s.name, s.town, s.interests, s.confirmed_at, c.version"
    " FROM brief_subscribers s LEFT JOIN brief_consents c ON c.id = ("
    "   SELECT max(id) FROM brief_consents WHERE subscriber_id = s.id)"
    " ORDER BY s.id"
)
#: The address of a subscriber who unsubscribed (their consent record keeps it), by id.
WITHDRAWN = (
    "SELECT address FROM brief_consents WHERE subscriber_id = ? AND withdrawn_at IS NOT NULL"
    " AND address IS NOT NULL ORDER BY id DESC LIMIT 1"
)
#: A subscriber's address and when they confirmed (None: waiting), by id.
SUBSCRIBER = "SELECT address, confirmed_at, signed_up_at FROM brief_subscribers WHERE id = ?"
ISSUES = (
    "SELECT id, subject, body, created_by, created_at, updated_at, sent_by, sent_at,"
    " finished_at FROM brief_issues ORDER BY id DESC LIMIT ?"
)
ISSUE = (
    "SELECT id, subject, body, created_by, created_at, updated_at, sent_by, sent_at,"
    " finished_at FROM brief_issues WHERE id = ?"
)
#: Issues whose queueing was cut off (a crash, a restart): resumed at start.
UNFINISHED = "SELECT id FROM brief_issues WHERE sent_at IS NOT NULL AND finished_at IS NULL"
#: How an issue's mails stand in the outbox, by state (keys brief:ISSUE:SUBSCRIBER).
PROGRESS = "SELECT state, count(*) FROM mail_outbox WHERE dedupe >= ? AND dedupe < ? GROUP BY state"


def issue_keys(issue_id: int) -> tuple[str, str]:
    """The range of outbox keys of an issue's mails (``:`` < ``;``)."""
    return f"brief:{issue_id}:", f"brief:{issue_id};"


def pending(conn: sqlite3.Connection) -> int:
    """How many sign-ups wait for their confirmation."""
    row = conn.execute(
        "SELECT count(*) FROM brief_subscribers WHERE confirmed_at IS NULL"
    ).fetchone()
    return int(row[0])


def forget_unconfirmed(conn: sqlite3.Connection, before: str) -> None:
    """Forget sign-ups not confirmed since ``before``, and their consent records: an
    address nobody confirmed is not kept."""
    conn.execute(
        "DELETE FROM brief_consents WHERE confirmed_at IS NULL AND subscriber_id IN ("
        " SELECT id FROM brief_subscribers WHERE confirmed_at IS NULL AND signed_up_at < ?)",
        (before,),
    )
    conn.execute(
        "DELETE FROM brief_subscribers WHERE confirmed_at IS NULL AND signed_up_at < ?",
        (before,),
    )


def by_address(conn: sqlite3.Connection, address: str) -> tuple[int, str | None] | None:
    """(id, confirmed_at) of the subscriber of ``address`` (lower case)."""
    row = conn.execute(
        "SELECT id, confirmed_at FROM brief_subscribers WHERE address = ?", (address,)
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def sign_up(
    conn: sqlite3.Connection,
    found: int | None,
    address: str,
    details: tuple[str, str, str],
    consent: tuple[str, str, str],
    now: str,
) -> int:
    """Record a sign-up waiting for its confirmation (a new one, or ``found`` again with
    the new details) and its consent record ``(form, wording, version)``; its id."""
    name, town, interests = details
    if found is None:
        cursor = conn.execute(
            "INSERT INTO brief_subscribers (address, name, town, interests, signed_up_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (address, name, town, interests, now),
        )
        assert cursor.lastrowid is not None
        found = cursor.lastrowid
    else:
        conn.execute(
            "UPDATE brief_subscribers SET name = ?, town = ?, interests = ?, signed_up_at = ?"
            " WHERE id = ?",
            (name, town, interests, now, found),
        )
        conn.execute(
            "DELETE FROM brief_consents WHERE subscriber_id = ? AND confirmed_at IS NULL",
            (found,),
        )
    conn.execute(
        "INSERT INTO brief_consents (subscriber_id, address, form, wording, version, shown_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (found, address, *consent, now),
    )
    return found


def confirm(conn: sqlite3.Connection, subscriber_id: int, now: str) -> None:
    conn.execute(
        "UPDATE brief_subscribers SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL",
        (now, subscriber_id),
    )
    conn.execute(
        "UPDATE brief_consents SET confirmed_at = ? WHERE subscriber_id = ?"
        " AND confirmed_at IS NULL AND withdrawn_at IS NULL",
        (now, subscriber_id),
    )


def unsubscribe(conn: sqlite3.Connection, subscriber_id: int, now: str) -> None:
    """Remove the subscriber, record the withdrawal, drop their brief mail still waiting."""
    row = conn.execute(
        "SELECT address FROM brief_subscribers WHERE id = ?", (subscriber_id,)
    ).fetchone()
    if row is None:
        return
    conn.execute(
        "UPDATE brief_consents SET withdrawn_at = ? WHERE subscriber_id = ?"
        " AND withdrawn_at IS NULL",
        (now, subscriber_id),
    )
    conn.execute("DELETE FROM brief_subscribers WHERE id = ?", (subscriber_id,))
    conn.execute(
        "UPDATE mail_outbox SET state = 'dropped', last_error = 'unsubscribed'"
        " WHERE recipient = ? AND kind = 'brief' AND state = 'queued'",
        (row[0],),
    )


def erase(conn: sqlite3.Connection, address: str, now: str) -> int:
    """Forget ``address`` (lower case): its subscriber row and its brief mail go, its
    consent records keep a salted hash of it instead; how many records were touched."""
    touched = 0
    found = by_address(conn, address)
    if found is not None:
        unsubscribe(conn, found[0], now)
        touched += 1
    rows = conn.execute("SELECT id FROM brief_consents WHERE address = ?", (address,)).fetchall()
    for (consent_id,) in rows:
        salt = secrets.token_hex(16)
        digest = hashlib.sha256(f"{salt}:{address}".encode()).hexdigest()
        conn.execute(
            "UPDATE brief_consents SET address = NULL, address_salt = ?, address_hash = ?,"
            " erased_at = ?, withdrawn_at = coalesce(withdrawn_at, ?) WHERE id = ?",
            (salt, digest, now, now, consent_id),
        )
    touched += len(rows)
    cursor = conn.execute(
        "DELETE FROM mail_outbox WHERE recipient = ? AND kind IN ('brief', 'brief_confirm')",
        (address,),
    )
    return touched + max(cursor.rowcount, 0)


def save_issue(
    conn: sqlite3.Connection, issue_id: int | None, subject: str, body: str, by: str, now: str
) -> int | None:
    """Write a new issue or change a draft; None when ``issue_id`` is no draft."""
    if issue_id is None:
        cursor = conn.execute(
            "INSERT INTO brief_issues (subject, body, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (subject, body, by, now, now),
        )
        return cursor.lastrowid
    cursor = conn.execute(
        "UPDATE brief_issues SET subject = ?, body = ?, updated_at = ?"
        " WHERE id = ? AND sent_at IS NULL",
        (subject, body, now, issue_id),
    )
    return issue_id if cursor.rowcount else None


def mark_sent(conn: sqlite3.Connection, issue_id: int, by: str, now: str) -> bool:
    """Mark the issue sent (once); whether this call did."""
    cursor = conn.execute(
        "UPDATE brief_issues SET sent_by = ?, sent_at = ? WHERE id = ? AND sent_at IS NULL",
        (by, now, issue_id),
    )
    return cursor.rowcount > 0


def next_batch(conn: sqlite3.Connection, issue_id: int, size: int) -> list[Any]:
    """The next ``size`` confirmed subscribers the issue was not queued to yet:
    (id, address, confirmed_at), by id."""
    return conn.execute(
        "SELECT s.id, s.address, s.confirmed_at FROM brief_subscribers s, brief_issues i"
        " WHERE i.id = ? AND s.id > i.queued_through AND s.confirmed_at IS NOT NULL"
        " ORDER BY s.id LIMIT ?",
        (issue_id, size),
    ).fetchall()


def queued_through(
    conn: sqlite3.Connection, issue_id: int, last: int | None, now: str | None
) -> None:
    """Note how far the issue was queued, and (``now``) that it was queued to all."""
    if last is not None:
        conn.execute("UPDATE brief_issues SET queued_through = ? WHERE id = ?", (last, issue_id))
    if now is not None:
        conn.execute("UPDATE brief_issues SET finished_at = ? WHERE id = ?", (now, issue_id))
