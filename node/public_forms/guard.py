"""The rules of a public form that hold whatever a flood sends: at most one mail to an
address a day (whatever form asked, however often), and a bound on the sign-ups that
wait for their confirmation. The per-client rate limit and the honeypot are the web's
(``web_ui/public_forms.py``): they need the request."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import sqlite3
from typing import TYPE_CHECKING, Final

from node.domain.errors import DomainError
from node.mail.message import Message
from protocol import ErrorCode

if TYPE_CHECKING:
    from node.mail.service import Mail

#: How many sign-ups may wait for their confirmation at once (all public forms).
PENDING_BOUND: Final = 1000


def address_hash(secret: bytes, address: str) -> str:
    """A keyed hash of an address (lower case): equal for equal addresses, and no
    dictionary of addresses finds it without the node's secret."""
    key = address.strip().lower().encode()
    return hmac.new(secret, key, hashlib.sha256).hexdigest()


def daily_key(secret: bytes, address: str, day: dt.date) -> str:
    """The outbox key of the one public-form mail an address may get on ``day``."""
    return f"public:{address_hash(secret, address)[:32]}:{day.isoformat()}"


def mail_once_a_day(
    mail: Mail, conn: sqlite3.Connection, message: Message, secret: bytes, day: dt.date
) -> bool:
    """Queue ``message`` in the caller's transaction unless the address had a public-form
    mail on ``day`` already; whether it was queued. The outbox's unique key is the
    record, so two floods at once still queue one."""
    keyed = dataclasses.replace(message, key=daily_key(secret, message.to, day))
    return mail.queue(conn, keyed)


def require_room(pending: int, bound: int = PENDING_BOUND) -> None:
    """Refuse a new sign-up while ``bound`` of them wait for their confirmation."""
    if pending >= bound:
        raise DomainError(
            ErrorCode.PUBLIC_TOO_MANY_PENDING,
            "Too many sign-ups are waiting for their confirmation right now. Try again"
            " in an hour or two.",
        )


__all__ = ["PENDING_BOUND", "address_hash", "daily_key", "mail_once_a_day", "require_room"]
