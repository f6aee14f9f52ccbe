"""Members' mail: the address each member proves is theirs (a confirmation mail with a
link), and what they chose to receive: reminders before a consent round they have not
answered closes, proposals and elections opened in their circles, the daily digest,
their campaigns' actions of the week (docs/members.md, "Mail")."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.domain.errors import DomainError
from node.domain.members import require
from node.mail import render
from node.mail.message import Message, valid_address
from node.store.state import load_member
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore
    from node.mail.service import Mail

CONFIRM_FOR = dt.timedelta(hours=48)
CHOICES = ("reminders", "openings", "digest", "campaigns")
_SELECT = (
    "SELECT m.address, m.pending, m.reminders, m.openings, m.digest, m.campaigns,"
    " b.address IS NOT NULL FROM member_mail m LEFT JOIN mail_bounces b"
    " ON b.address = lower(m.address) WHERE m.handle = ?"
)


@dataclass(frozen=True, slots=True)
class MailChoices:
    """A member's address (confirmed, or waiting for its confirmation) and choices."""

    address: str | None = None
    pending: str | None = None
    reminders: bool = True
    openings: bool = False
    digest: bool = False
    campaigns: bool = False
    bouncing: bool = False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MemberMail:
    """Members' addresses and choices, over the node's core and its outbox."""

    def __init__(self, node: NodeCore, mail: Mail) -> None:
        self.node = node
        self.mail = mail

    async def choices(self, handle: str) -> MailChoices:
        row = await self.node.store.fetchone(_SELECT, (handle,))
        if row is None:
            return MailChoices()
        return MailChoices(row[0], row[1], *(bool(v) for v in row[2:]))

    async def choose(self, handle: str, chosen: set[str]) -> None:
        """Receive by mail exactly the kinds in ``chosen`` (of ``CHOICES``)."""
        unknown = chosen - set(CHOICES)
        if unknown:
            raise DomainError("mail.bad_choice", f"no such mail: {', '.join(sorted(unknown))}")
        values = tuple(int(c in chosen) for c in CHOICES)

        def run(conn: sqlite3.Connection) -> None:
            require(load_member(conn, handle), handle)
            conn.execute(
                "INSERT INTO member_mail (handle, reminders, openings, digest, campaigns)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (handle) DO UPDATE SET"
                " reminders = excluded.reminders, openings = excluded.openings,"
                " digest = excluded.digest, campaigns = excluded.campaigns",
                (handle, *values),
            )

        await self.node.store.write(run)

    async def set_address(self, handle: str, address: str) -> None:
        """Send a confirmation link to ``address``; it becomes the member's once they
        follow it (the address they had stays until then)."""
        address = address.strip()
        if not valid_address(address):
            raise DomainError("mail.bad_address", f"{address!r} is not an e-mail address")
        if not self.mail.enabled:
            raise DomainError("mail.off", "This node sends no mail: its admin has not set it up.")
        token = secrets.token_urlsafe(24)
        now = self.node.clock.now()
        cfg = self.node.config
        link = f"{cfg.url}/account/mail/confirm/{token}"
        text, html = render.body("confirm", org=cfg.name, link=link, hours=48)
        message = Message(
            kind="confirm",
            to=address,
            subject=f"Confirm your e-mail address for {cfg.name}",
            text=text,
            html=html,
            reason=f"You receive this because someone gave this address for the account"
            f" {handle} at {cfg.name}. If it was not you, ignore it: nothing is sent again.",
            key=f"confirm:{_hash(token)}",
        )

        def run(conn: sqlite3.Connection) -> None:
            require(load_member(conn, handle), handle)
            conn.execute(
                "INSERT INTO member_mail (handle, pending, pending_hash, pending_until)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (handle) DO UPDATE SET"
                " pending = excluded.pending, pending_hash = excluded.pending_hash,"
                " pending_until = excluded.pending_until",
                (handle, address, _hash(token), format_ts(now + CONFIRM_FOR)),
            )
            if not self.mail.queue(conn, message):
                raise DomainError(
                    "mail.bouncing", f"Mail to {address} bounces: give another address."
                )

        await self.node.store.write(run)

    async def vouch(self, handle: str, address: str) -> None:
        """Make ``address`` the member's without a confirmation mail: only for an address
        the node's admins already know is theirs (the demo's people)."""
        address = address.strip()
        if not valid_address(address):
            raise DomainError("mail.bad_address", f"{address!r} is not an e-mail address")

        def run(conn: sqlite3.Connection) -> None:
            require(load_member(conn, handle), handle)
            conn.execute(
                "INSERT INTO member_mail (handle, address) VALUES (?, ?)"
                " ON CONFLICT (handle) DO UPDATE SET address = excluded.address,"
                " pending = NULL, pending_hash = NULL, pending_until = NULL",
                (handle, address),
            )

        await self.node.store.write(run)

    async def confirm(self, token: str) -> str:
        """Make the pending address whose link this is the member's; their handle."""
        now = format_ts(self.node.clock.now())

        def run(conn: sqlite3.Connection) -> str:
            row = conn.execute(
                "SELECT handle, pending_until FROM member_mail WHERE pending_hash = ?",
                (_hash(token),),
            ).fetchone()
            if row is None or row[1] < now:
                raise DomainError(
                    "mail.bad_link",
                    "This confirmation link is not valid any more: give the address again.",
                )
            conn.execute(
                "UPDATE member_mail SET address = pending, pending = NULL, pending_hash = NULL,"
                " pending_until = NULL WHERE handle = ?",
                (row[0],),
            )
            return str(row[0])

        handle: str = await self.node.store.write(run)
        return handle

    async def remove_address(self, handle: str) -> None:
        """Send the member nothing more: their address is forgotten."""
        await self.node.store.write(
            lambda conn: conn.execute(
                "UPDATE member_mail SET address = NULL, pending = NULL, pending_hash = NULL,"
                " pending_until = NULL WHERE handle = ?",
                (handle,),
            )
        )
