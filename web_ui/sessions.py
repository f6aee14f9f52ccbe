"""Web sessions and login throttling.

A session is a random token in an HttpOnly, SameSite=Lax cookie; the database keeps its
SHA-256 only, with the member it belongs to, its CSRF token and its expiry. Logging out
ends it; changing the password ends every session of the member.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import time
from collections import deque
from dataclasses import dataclass

from node.domain.members import Member
from node.service import Node
from protocol import format_ts

SESSION_DAYS = 14


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    member: Member
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(node: Node, handle: str) -> tuple[str, str]:
    """A new session for ``handle``: (cookie token, csrf token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = node.clock.now()

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (format_ts(now),))
        conn.execute(
            "INSERT INTO web_sessions (token_hash, handle, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                _hash(token),
                handle,
                csrf,
                format_ts(now),
                format_ts(now + dt.timedelta(days=SESSION_DAYS)),
            ),
        )

    await node.store.write(run)
    return token, csrf


async def load(node: Node, token: str | None) -> Session | None:
    if not token or len(token) > 100:
        return None
    row = await node.store.fetchone(
        "SELECT s.token_hash, s.csrf, s.expires_at, m.handle, m.display_name, m.role,"
        " m.disabled FROM web_sessions s JOIN members m ON m.handle = s.handle"
        " WHERE s.token_hash = ?",
        (_hash(token),),
    )
    if row is None or row[2] < format_ts(node.clock.now()) or row[6]:
        return None
    return Session(row[0], Member(row[3], row[4], row[5], bool(row[6])), row[1])


async def end(node: Node, token_hash: str) -> None:
    await node.store.write(
        lambda conn: conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))
    )


async def end_all(node: Node, handle: str) -> None:
    await node.store.write(
        lambda conn: conn.execute("DELETE FROM web_sessions WHERE handle = ?", (handle,))
    )


class LoginThrottle:
    """At most ``attempts`` failed logins per handle and per client address in
    ``window`` seconds; a success clears the handle's count."""

    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, handle: str, address: str) -> bool:
        now = time.monotonic()
        return any(
            len(self._recent(k, now)) >= self.attempts for k in (f"h:{handle}", f"a:{address}")
        )

    def failed(self, handle: str, address: str) -> None:
        now = time.monotonic()
        for key in (f"h:{handle}", f"a:{address}"):
            self._recent(key, now).append(now)

    def succeeded(self, handle: str) -> None:
        self._failures.pop(f"h:{handle}", None)
