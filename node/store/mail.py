"""The mail outbox and bouncing addresses (migration 0018), run inside the writer
transaction (synchronous sqlite3): a message is queued in the transaction of what caused
it, claimed (``sending``) in one transaction before its SMTP transaction and marked in
another after it, so a crash between the two leaves it ``sending``, to be queued again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson

#: How many messages wait in each state, for ``nst mail status`` and the admin page.
COUNTS = "SELECT state, count(*) FROM mail_outbox GROUP BY state"
#: Every bouncing address with when and why, newest first.
BOUNCES = "SELECT address, at, reason FROM mail_bounces ORDER BY at DESC, address"
#: The messages that failed for good, newest first (bounded).
FAILED = (
    "SELECT id, kind, recipient, subject, attempts, last_error FROM mail_outbox"
    " WHERE state = 'failed' ORDER BY id DESC LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """One message as queued: its parts already rendered, its Message-ID fixed."""

    dedupe: str
    kind: str
    recipient: str
    subject: str
    text_part: str
    html_part: str
    headers: dict[str, str]
    message_id: str


@dataclass(frozen=True, slots=True)
class ClaimedMail:
    """A message the worker is sending now (``attempts`` counts this one)."""

    id: int
    mail: QueuedMail
    attempts: int


def bouncing(conn: sqlite3.Connection, address: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM mail_bounces WHERE address = ?", (address.lower(),)
    ).fetchone()
    return row is not None


def insert(conn: sqlite3.Connection, mail: QueuedMail, now: str) -> bool:
    """Queue ``mail`` unless its key was queued before or its address bounces; whether
    it was queued."""
    if bouncing(conn, mail.recipient):
        return False
    cursor = conn.execute(
        "INSERT INTO mail_outbox (dedupe, kind, recipient, subject, text_part, html_part,"
        " headers, message_id, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (dedupe) DO NOTHING",
        (
            mail.dedupe,
            mail.kind,
            mail.recipient,
            mail.subject,
            mail.text_part,
            mail.html_part,
            orjson.dumps(mail.headers).decode(),
            mail.message_id,
            now,
            now,
        ),
    )
    return cursor.rowcount == 1


def requeue_interrupted(conn: sqlite3.Connection) -> int:
    """Queue again what a crash cut off while it was being sent; how many."""
    return conn.execute("UPDATE mail_outbox SET state = 'queued' WHERE state = 'sending'").rowcount


def claim_due(conn: sqlite3.Connection, now: str, limit: int) -> list[ClaimedMail]:
    """Mark up to ``limit`` messages due by ``now`` as being sent, oldest first, and
    return them; one whose address began to bounce meanwhile is dropped instead."""
    claimed: list[ClaimedMail] = []
    while len(claimed) < limit:
        row = conn.execute(
            "SELECT id, dedupe, kind, recipient, subject, text_part, html_part, headers,"
            " message_id, attempts FROM mail_outbox WHERE state = 'queued' AND next_at <= ?"
            " ORDER BY next_at, id LIMIT 1",
            (now,),
        ).fetchone()
        if row is None:
            break
        dedupe, kind, recipient, subject, text_part, html_part = row[1:7]
        mail = QueuedMail(
            dedupe, kind, recipient, subject, text_part, html_part, orjson.loads(row[7]), row[8]
        )
        if bouncing(conn, mail.recipient):
            conn.execute(
                "UPDATE mail_outbox SET state = 'dropped', last_error = ? WHERE id = ?",
                ("the address bounces", row[0]),
            )
            continue
        conn.execute(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?",
            (row[0],),
        )
        claimed.append(ClaimedMail(row[0], mail, row[9] + 1))
    return claimed


def mark_sent(conn: sqlite3.Connection, mail_id: int, now: str) -> None:
    conn.execute(
        "UPDATE mail_outbox SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
        (now, mail_id),
    )


def mark_retry(conn: sqlite3.Connection, mail_id: int, next_at: str, error: str) -> None:
    conn.execute(
        "UPDATE mail_outbox SET state = 'queued', next_at = ?, last_error = ? WHERE id = ?",
        (next_at, error, mail_id),
    )


def mark_failed(conn: sqlite3.Connection, mail_id: int, error: str) -> None:
    conn.execute(
        "UPDATE mail_outbox SET state = 'failed', last_error = ? WHERE id = ?", (error, mail_id)
    )


def add_bounce(conn: sqlite3.Connection, address: str, reason: str, now: str) -> None:
    """Stop mail to ``address``: what waits for it is dropped when its turn comes."""
    conn.execute(
        "INSERT INTO mail_bounces (address, at, reason) VALUES (?, ?, ?)"
        " ON CONFLICT (address) DO UPDATE SET at = excluded.at, reason = excluded.reason",
        (address.lower(), now, reason),
    )


def clear_bounce(conn: sqlite3.Connection, address: str) -> bool:
    """Allow mail to ``address`` again; whether it was bouncing."""
    cursor = conn.execute("DELETE FROM mail_bounces WHERE address = ?", (address.lower(),))
    return cursor.rowcount == 1


def forget_recipient(conn: sqlite3.Connection, address: str) -> int:
    """Delete every message to ``address`` (any state) and its bounce record, for the
    erasure of a person; how many rows held the address."""
    gone = conn.execute(
        "DELETE FROM mail_outbox WHERE lower(recipient) = ?", (address.lower(),)
    ).rowcount
    return (
        gone
        + conn.execute("DELETE FROM mail_bounces WHERE address = ?", (address.lower(),)).rowcount
    )
