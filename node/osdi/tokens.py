"""API tokens of the OSDI read API (docs/developers.md, "OSDI"): the node's admin makes
one per campaign tool, shown once, and revokes it when the tool no longer needs it.

A token is a random secret; the database keeps its SHA-256 only. A request's token is
checked against every live token in constant time (no early exit, ``hmac``), so how
long a refusal takes says nothing of how close a guess came.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.domain.errors import DomainError
from node.store import osdi_tokens as table
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

PREFIX = "osdi_"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
# A token's last use is recorded at most this often: a busy tool costs no write per request.
USE_GRANULARITY = dt.timedelta(minutes=1)
_LONGEST = 200


@dataclass(frozen=True, slots=True)
class OsdiToken:
    """A token as its admin sees it: never the secret, which was shown once."""

    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class OsdiTokens:
    """Make, list, revoke and check the OSDI API's tokens."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def create(self, name: str) -> str:
        """A new token named ``name``; returns its secret, which is not kept."""
        if not NAME.fullmatch(name):
            raise DomainError(
                ErrorCode.OSDI_TOKEN_NAME,
                "A token's name is 1 to 60 letters, digits, dots, dashes or underscores,"
                " starting with a letter or digit (for example action-network).",
            )
        secret = PREFIX + secrets.token_urlsafe(32)
        now = format_ts(self.node.clock.now())

        def run(conn: sqlite3.Connection) -> None:
            if table.live_named(conn, name):
                raise DomainError(
                    ErrorCode.OSDI_TOKEN_EXISTS,
                    f"A token named {name} exists already; revoke it or choose another name.",
                )
            table.insert(conn, name, _hash(secret), now)

        await self.node.store.write(run)
        return secret

    async def tokens(self) -> list[OsdiToken]:
        """Every token, live or revoked, newest first."""
        rows = await self.node.store.fetchall(table.ALL)
        return [OsdiToken(*row) for row in rows]

    async def revoke(self, name: str) -> None:
        """Revoke the live token of this name: it opens nothing from now on."""
        now = format_ts(self.node.clock.now())
        revoked = await self.node.store.write(lambda conn: table.revoke(conn, name, now))
        if not revoked:
            raise DomainError(ErrorCode.OSDI_TOKEN_UNKNOWN, f"No live token is named {name}.")

    async def check(self, secret: str | None) -> str | None:
        """The name of the live token ``secret`` is, or None."""
        if not secret or len(secret) > _LONGEST:
            return None
        given = _hash(secret)
        found: tuple[int, str, str | None] | None = None
        for token_id, name, token_hash, last_used in await self.node.store.fetchall(table.LIVE):
            if hmac.compare_digest(given, token_hash):
                found = (token_id, name, last_used)
        if found is None:
            return None
        token_id, name, last_used = found
        now = self.node.clock.now()
        if last_used is None or last_used < format_ts(now - USE_GRANULARITY):
            stamp = format_ts(now)
            await self.node.store.write(lambda conn: table.mark_used(conn, token_id, stamp))
        return name
