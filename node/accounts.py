"""Web sessions and member invitations, the account side of the web UI (the web UI calls
these; it touches no storage itself).

A session is a random token the member's browser holds in a cookie; the database keeps
its SHA-256 only, with the member it belongs to, its CSRF token and its expiry. Logging
out ends it; changing the password ends every session of the member. An invitation is
a one-time link with which a new member chooses their password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.domain.errors import DomainError
from node.domain.members import Member
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

SESSION_DAYS = 14
INVITE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    member: Member
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    conn: sqlite3.Connection, handle: str, display_name: str, role: str, now: dt.datetime
) -> str:
    """Make a member invitation inside the caller's write transaction (a feature that
    invites someone records it in the same one); the one-time token."""
    from node.domain.members import new_member
    from node.store.state import load_member

    new_member(load_member(conn, handle), handle, display_name, role)
    taken = conn.execute(
        "SELECT 1 FROM member_invites WHERE handle = ? AND used_at IS NULL AND expires_at > ?",
        (handle, format_ts(now)),
    ).fetchone()
    if taken:
        raise DomainError("member.invited", f"{handle} has an open invitation already")
    token = secrets.token_urlsafe(24)
    conn.execute(
        "INSERT INTO member_invites (token_hash, handle, display_name, role,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            _hash(token),
            handle,
            display_name,
            role,
            format_ts(now),
            format_ts(now + dt.timedelta(days=INVITE_DAYS)),
        ),
    )
    return token


class Accounts:
    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def start_session(self, handle: str) -> tuple[str, str]:
        """A new session for ``handle``: (cookie token, csrf token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.node.clock.now()

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

        await self.node.store.write(run)
        return token, csrf

    async def session(self, token: str | None) -> Session | None:
        if not token or len(token) > 100:
            return None
        row = await self.node.store.fetchone(
            "SELECT s.token_hash, s.csrf, s.expires_at, m.handle, m.display_name, m.role,"
            " m.disabled FROM web_sessions s JOIN members m ON m.handle = s.handle"
            " WHERE s.token_hash = ?",
            (_hash(token),),
        )
        if row is None or row[2] < format_ts(self.node.clock.now()) or row[6]:
            return None
        return Session(row[0], Member(row[3], row[4], row[5], bool(row[6])), row[1])

    async def end_session(self, token_hash: str) -> None:
        await self.node.store.write(
            lambda conn: conn.execute(
                "DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,)
            )
        )

    async def end_sessions(self, handle: str) -> None:
        await self.node.store.write(
            lambda conn: conn.execute("DELETE FROM web_sessions WHERE handle = ?", (handle,))
        )

    async def change_password(self, handle: str, current: str, new: str) -> None:
        """Check the current password, set the new one, end every session."""
        if await self.node.check_login(handle, current) is None:
            raise DomainError("auth.wrong_password", "The current password is wrong.")
        await self.node.set_password(handle, new)
        await self.end_sessions(handle)

    # --- invitations ---------------------------------------------------------------------

    async def invite(self, handle: str, display_name: str, role: str = "member") -> str:
        """A one-time token for a new member; the admin passes on the link."""
        now = self.node.clock.now()
        token: str = await self.node.store.write(
            lambda conn: create_invite(conn, handle, display_name, role, now)
        )
        return token

    async def invitation(self, token: str) -> dict[str, str] | None:
        if not token or len(token) > 100:
            return None
        row = await self.node.store.fetchone(
            "SELECT handle, display_name, role FROM member_invites WHERE token_hash = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (_hash(token), format_ts(self.node.clock.now())),
        )
        return None if row is None else {"handle": row[0], "display_name": row[1], "role": row[2]}

    async def invitations(self) -> list[dict[str, str | None]]:
        rows = await self.node.store.fetchall(
            "SELECT token_hash, handle, display_name, role, created_at, expires_at, used_at"
            " FROM member_invites ORDER BY created_at DESC"
        )
        keys = ("id", "handle", "display_name", "role", "created_at", "expires_at", "used_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    async def revoke_invitation(self, token_hash: str) -> None:
        await self.node.store.write(
            lambda conn: conn.execute(
                "DELETE FROM member_invites WHERE token_hash = ? AND used_at IS NULL",
                (token_hash,),
            )
        )

    async def accept(self, token: str, password: str) -> Member:
        """Create the invited member with their chosen password; the link is used up."""
        invite = await self.invitation(token)
        if invite is None:
            raise DomainError("member.invite_invalid", "This link is unknown, used or expired.")
        member = await self.node.add_member(
            invite["handle"], invite["display_name"], invite["role"], password
        )
        now = format_ts(self.node.clock.now())
        await self.node.store.write(
            lambda conn: conn.execute(
                "UPDATE member_invites SET used_at = ? WHERE token_hash = ?", (now, _hash(token))
            )
        )
        return member
