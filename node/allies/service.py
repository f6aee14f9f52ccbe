"""``node.allies``: signing up as an ally (one entry per address: signing up again
updates it), the admins' list, inviting an ally to become a member (mailed through the
outbox when mail is on), the export and erasure. Every write records what it must in the
same transaction: the consent with the entry, the invitation with its mail."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from node.accounts import INVITE_DAYS, create_invite
from node.allies import personal
from node.allies.records import (
    CAN,
    CONSENT_VERSION,
    MAX_ADDRESS,
    MAX_NAME,
    MAX_NOTE,
    MAX_TOWN,
    Ally,
    AllyRefused,
    Invited,
    consent_words,
)
from node.mail import render
from node.mail.message import Message, valid_address
from node.store import allies as table
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.core import NodeCore
    from node.mail.service import Mail


def _ally(row: Any) -> Ally:
    can = tuple(c for c, held in zip(CAN, row[4:8], strict=True) if held)
    return Ally(row[0], row[1], row[2], row[3], can, *row[8:])


class Allies:
    """Allies over the node's core and its outbox."""

    def __init__(self, node: NodeCore, mail: Mail) -> None:
        self.node = node
        self.mail = mail

    def consent(self, org: str) -> tuple[str, str]:
        """(version, words) of the consent the form shows now, for the organization
        named ``org`` on the public site."""
        return CONSENT_VERSION, consent_words(org)

    async def sign_up(
        self,
        *,
        name: str,
        address: str,
        town: str,
        can: Collection[str],
        note: str,
        consent_version: str,
        org: str,
    ) -> None:
        """Keep the person's entry, or update the one of their address, and record the
        consent they were shown (``consent_version``: the version of the words they
        agreed to, "" when they did not; ``org``: the organization's name they read).
        Refused whole, with every problem found, or kept whole. Says nothing of whether
        the address was known (no enumeration)."""
        name, town, note = name.strip(), town.strip(), note.strip()
        address = address.strip().lower()
        version, words = self.consent(org)
        problems = _problems(name, address, town, can, note)
        if consent_version != version:
            words_now = (
                "The words about what we keep changed while the page was open: read them"
                " again and tick the box."
                if consent_version
                else "Tick the box to agree to how we keep what you give us; without it we"
                " keep nothing."
            )
            problems.append(AllyRefused(ErrorCode.ALLY_CONSENT, words_now, "consent"))
        if problems:
            raise problems[0] if len(problems) == 1 else _Many(problems)
        now = format_ts(self.node.clock.now())
        chosen = {c: c in can for c in CAN}

        def run(conn: sqlite3.Connection) -> None:
            table.upsert(conn, address, name, town, chosen, note, now)
            table.record_consent(conn, address, version, words, now)

        await self.node.store.write(run)

    async def all(self, can: str | None = None) -> list[Ally]:
        """Every ally, the newest sign-up first; with ``can``, those who can do it."""
        found = [_ally(r) for r in await self.node.store.fetchall(table.ALL)]
        return [a for a in found if can is None or can in a.can]

    async def get(self, ally_id: int) -> Ally | None:
        row = await self.node.store.fetchone(table.BY_ID, (ally_id,))
        return None if row is None else _ally(row)

    async def invite(self, ally_id: int, by: str, handle: str) -> Invited:
        """Invite the ally to become a member under ``handle`` (the member invitation
        admins make) and record it on their entry; mailed to them through the outbox
        when mail is on and their address does not bounce, else handed to the admin."""
        ally = await self.get(ally_id)
        if ally is None:
            raise AllyRefused(ErrorCode.ALLY_UNKNOWN, "There is no such ally any more.")
        now = self.node.clock.now()
        cfg = self.node.config

        def run(conn: sqlite3.Connection) -> Invited:
            token = create_invite(conn, handle, ally.name, "member", now)
            if not table.mark_invited(conn, ally.id, by, handle, format_ts(now)):
                raise AllyRefused(ErrorCode.ALLY_UNKNOWN, "There is no such ally any more.")
            link = f"{cfg.url.rstrip('/')}/join/{token}"
            text, html = render.body(
                "ally_invite", org=cfg.name, name=ally.name, handle=handle, link=link,
                days=INVITE_DAYS,
            )  # fmt: skip
            message = Message(
                kind=personal.INVITE_MAIL,
                to=ally.address,
                subject=f"{cfg.name} invites you to become a member",
                text=text,
                html=html,
                reason=f"You receive this because you signed up as an ally of {cfg.name}"
                " on its site, and one of its admins invited you to become a member.",
                key=f"ally_invite:{hashlib.sha256(token.encode()).hexdigest()}",
            )
            mailed = self.mail.queue(conn, message)
            return Invited(handle, mailed, None if mailed else token)

        invited: Invited = await self.node.store.write(run)
        return invited

    async def export(self) -> list[dict[str, str]]:
        """Every ally's entry as the CSV's rows (``personal.COLUMNS``)."""
        rows = await self.node.store.fetchall_long(personal.EXPORT, (None,))
        return [personal.row_of(r) for r in rows]

    async def erase(self, address: str) -> int:
        """Forget the person of ``address`` (``personal.erase``); refused when no
        record holds it."""
        now = format_ts(self.node.clock.now())
        gone: int = await self.node.store.write(lambda c: personal.erase(c, address, now))
        if not gone:
            raise AllyRefused(ErrorCode.ALLY_UNKNOWN, f"No ally has the address {address}.")
        return gone


class _Many(AllyRefused):
    """Several problems at once, each with its field."""

    def __init__(self, problems: list[AllyRefused]) -> None:
        super().__init__(problems[0].code, problems[0].message, problems[0].field)
        self.problems = problems


def problems_of(error: AllyRefused) -> list[AllyRefused]:
    """Every problem a refusal holds (one, or several for a form)."""
    return list(error.problems) if isinstance(error, _Many) else [error]


def _problems(
    name: str, address: str, town: str, can: Collection[str], note: str
) -> list[AllyRefused]:
    invalid = ErrorCode.ALLY_INVALID
    found = []
    if not name or len(name) > MAX_NAME:
        found.append(AllyRefused(invalid, f"Give your name: 1 to {MAX_NAME} characters.", "name"))
    if len(address) > MAX_ADDRESS or not valid_address(address):
        found.append(
            AllyRefused(invalid, "Give your e-mail address, such as name@example.org.", "address")
        )
    if not town or len(town) > MAX_TOWN:
        found.append(AllyRefused(invalid, f"Give your town: 1 to {MAX_TOWN} characters.", "town"))
    if not can or any(c not in CAN for c in can):
        found.append(AllyRefused(invalid, "Tick at least one thing you can do.", "can"))
    if len(note) > MAX_NOTE:
        found.append(AllyRefused(invalid, f"Keep the note under {MAX_NOTE:,} characters.", "note"))
    return found


__all__ = ["Allies", "problems_of"]
