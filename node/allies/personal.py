"""The allies' personal data as a whole, for whoever must hand it over or erase it: the
CSV export's rows and the erasure of one person, each inside the caller's connection or
transaction, so a command over every feature's personal data (``nst people``) runs them
together with the others'."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from typing import Any, Final

from node.allies.records import CAN
from node.store import allies as table
from protocol import format_ts

#: The CSV's columns, in order.
COLUMNS: Final = (
    "name",
    "email",
    "town",
    *(f"can_{c}" for c in CAN),
    "note",
    "signed_up_at",
    "updated_at",
    "invited_at",
    "invited_by",
    "invited_as",
    "consent_version",
    "consent_given_at",
)
#: The export's rows, oldest sign-up first, each with its latest consent; ``?1`` is an
#: address, or NULL for everyone.
EXPORT: Final = """
SELECT a.name, a.address, a.town, a.can_call, a.can_march, a.can_testify, a.can_host,
       a.note, a.signed_up_at, a.updated_at, coalesce(a.invited_at, ''),
       coalesce(a.invited_by, ''), coalesce(a.invited_as, ''),
       coalesce(c.version, ''), coalesce(c.given_at, '')
FROM allies a
LEFT JOIN ally_consents c ON c.id = (
    SELECT id FROM ally_consents WHERE address = a.address ORDER BY given_at DESC, id DESC
    LIMIT 1)
WHERE ?1 IS NULL OR a.address = ?1
ORDER BY a.signed_up_at, a.id
"""
#: The kind of the mails that invite an ally to become a member (erased with them).
INVITE_MAIL: Final = "ally_invite"


def row_of(values: Any) -> dict[str, str]:
    """One row of ``EXPORT`` as the CSV's columns; what they can do as yes or no."""
    out = [str(v) for v in values]
    for i in range(3, 3 + len(CAN)):
        out[i] = "yes" if values[i] else "no"
    return dict(zip(COLUMNS, out, strict=True))


def csv_text(rows: list[dict[str, str]]) -> str:
    """``rows`` as CSV with its header. A cell a stranger typed that a spreadsheet would
    run as a formula (=, +, -, @ first) is given a leading apostrophe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _inert(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _inert(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_rows(conn: sqlite3.Connection, address: str | None = None) -> list[dict[str, str]]:
    """Every ally's entry (or the one of ``address``) with their latest consent, as
    ``COLUMNS``."""
    key = None if address is None else address.strip().lower()
    return [row_of(r) for r in conn.execute(EXPORT, (key,)).fetchall()]


def erase(conn: sqlite3.Connection, address: str, now: str | None = None) -> int:
    """Forget the person of ``address``: their entry, the address on their consent
    records (a salted hash and the dates stay), the invitation made for them while
    unused and the invitations mailed to them; how many records held it (0: none did)."""
    at = now or format_ts(dt.datetime.now(dt.UTC))
    return table.erase(conn, address.strip().lower(), at, INVITE_MAIL)


__all__ = ["COLUMNS", "EXPORT", "INVITE_MAIL", "csv_text", "erase", "export_rows", "row_of"]
