"""``node.brief``: the public's sign-up for the Coalition Brief with double opt-in (a
confirmation mail whose signed link, valid 48 hours, opens a page with a Confirm
button), unsubscribing in one click, the consent records, the admins' count, export and
erasure, and the issues (``issues``). Mail goes through the outbox only, queued in the
transaction of what causes it, and a public form sends an address at most one mail a
day (``node.public_forms.guard``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from functools import cached_property
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

import orjson

from node.brief import subscribers
from node.brief.issues import Issues
from node.brief.records import FORMS, MAX_NAME, MAX_TOWN, WORDING, WORDING_VERSION, ExportRow
from node.domain.errors import DomainError
from node.mail import render
from node.mail.message import Message, valid_address
from node.public_forms import guard, tokens
from node.store import brief as table
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.service import Node

CONFIRM_FOR: Final = dt.timedelta(hours=48)


class Brief:
    """The Coalition Brief over the node: sign-ups, subscribers and issues."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.issues = Issues(node, self)
        #: How many sign-ups may wait for their confirmation at once.
        self.pending_bound = guard.PENDING_BOUND
        node.mail.worker.before_round.append(self.issues.queue_pending)

    @cached_property
    def secret(self) -> bytes:
        return tokens.load_secret(self.node.config.data_dir)

    @property
    def open(self) -> bool:
        """Whether sign-ups are taken: the node sends mail."""
        return self.node.mail.enabled

    def require_mail(self) -> None:
        if not self.open:
            raise DomainError(
                ErrorCode.BRIEF_CLOSED,
                "The Coalition Brief cannot be sent yet: this node sends no mail until its"
                " admin sets it up.",
            )

    async def campaign_names(self) -> dict[str, str]:
        """The public campaigns a person may say they are interested in: id -> name."""
        return {c.id: c.name for c in await self.node.campaigns.public_campaigns()}

    # --- links ------------------------------------------------------------------------

    def _url(self, path: str, query: dict[str, str]) -> str:
        return f"{self.node.config.url.rstrip('/')}{path}?{urlencode(query)}"

    def confirm_link(self, subscriber_id: int, address: str, expires: int) -> str:
        sig = tokens.sign(self.secret, "confirm", str(subscriber_id), address, expires)
        return self._url("/brief/confirm", {"s": str(subscriber_id), "e": str(expires), "t": sig})

    def unsubscribe_link(self, subscriber_id: int, address: str) -> str:
        sig = tokens.sign(self.secret, "unsubscribe", str(subscriber_id), address, tokens.NEVER)
        return self._url("/brief/unsubscribe", {"s": str(subscriber_id), "t": sig})

    def _now(self) -> int:
        return int(self.node.clock.now().timestamp())

    # --- signing up -------------------------------------------------------------------

    async def sign_up(
        self, address: str, name: str, town: str, interests: list[str], form: str
    ) -> None:
        """Take a sign-up: a confirmation mail to a new (or still waiting) address; to
        one already subscribed, a note saying so. Whatever the case, the stranger is
        told the same, and the address gets at most one mail a day."""
        address, name, town = address.strip().lower(), name.strip(), town.strip()
        if not valid_address(address):
            raise DomainError("mail.bad_address", f"{address!r} is not an e-mail address")
        if len(name) > MAX_NAME or len(town) > MAX_TOWN:
            raise DomainError(
                ErrorCode.BRIEF_INVALID,
                f"Keep the name and the town under {MAX_NAME} characters each.",
            )
        names = await self.campaign_names()
        if any(i not in names for i in interests) or form not in FORMS:
            raise DomainError(ErrorCode.BRIEF_INVALID, "Choose the campaigns from the list.")
        self.require_mail()
        now = self.node.clock.now()
        stamp, expires = format_ts(now), int((now + CONFIRM_FOR).timestamp())
        site = (await self.node.site.home()).name
        chosen = orjson.dumps(sorted(set(interests))).decode()

        def run(conn: sqlite3.Connection) -> None:
            table.forget_unconfirmed(conn, format_ts(now - CONFIRM_FOR))
            guard.require_room(table.pending(conn), self.pending_bound)
            found = table.by_address(conn, address)
            if found is not None and found[1] is not None:
                message = self._again(site, address, found[0])
            else:
                subscriber_id = table.sign_up(
                    conn,
                    None if found is None else found[0],
                    address,
                    (name, town, chosen),
                    (form, WORDING, WORDING_VERSION),
                    stamp,
                )
                message = self._confirm(site, address, subscriber_id, expires)
            guard.mail_once_a_day(self.node.mail, conn, message, self.secret, now.date())

        await self.node.store.write(run)

    def _confirm(self, site: str, address: str, subscriber_id: int, expires: int) -> Message:
        link = self.confirm_link(subscriber_id, address, expires)
        text, html = render.body("brief_confirm", site=site, link=link, hours=48, wording=WORDING)
        return Message(
            kind="brief_confirm",
            to=address,
            subject=f"Confirm your sign-up for the Coalition Brief of {site}",
            text=text,
            html=html,
            reason=f"You receive this because this address was given to sign up for the"
            f" Coalition Brief on {site}. If it was not you, ignore it: you will not be"
            " subscribed, and the address is forgotten in 48 hours.",
            key="",
        )

    def _again(self, site: str, address: str, subscriber_id: int) -> Message:
        link = self.unsubscribe_link(subscriber_id, address)
        text, html = render.body("brief_again", site=site, link=link)
        return Message(
            kind="brief_confirm",
            to=address,
            subject=f"You are already subscribed to the Coalition Brief of {site}",
            text=text,
            html=html,
            reason=f"You receive this because this address was given again to sign up for"
            f" the Coalition Brief on {site}.",
            key="",
        )

    # --- confirming and unsubscribing -------------------------------------------------

    async def _address(self, subject: str) -> str | None:
        if not subject.isdigit():
            return None
        row = await self.node.store.fetchone(table.SUBSCRIBER, (int(subject),))
        return None if row is None else str(row[0])

    async def check_confirm(self, subject: str, expires: str, signature: str) -> None:
        """Refuse (``public.bad_link``, ``public.link_expired``) a confirmation link
        this node did not sign for a waiting sign-up, or one past its time."""
        address = await self._address(subject)
        tokens.check(self.secret, "confirm", subject, address, expires, signature, self._now())

    async def confirm(self, subject: str, expires: str, signature: str) -> None:
        """Subscribe the sign-up of a valid confirmation link (again: nothing changes)."""
        await self.check_confirm(subject, expires, signature)
        stamp = format_ts(self.node.clock.now())
        await self.node.store.write(lambda conn: table.confirm(conn, int(subject), stamp))

    async def check_unsubscribe(self, subject: str, signature: str) -> None:
        """Refuse an unsubscribe link this node did not sign (one of a person who has
        unsubscribed already is valid: unsubscribing again changes nothing)."""
        address = await self._address(subject)
        if address is None and subject.isdigit():
            row = await self.node.store.fetchone(table.WITHDRAWN, (int(subject),))
            address = None if row is None else str(row[0])
        tokens.check(self.secret, "unsubscribe", subject, address, "0", signature, self._now())

    async def unsubscribe(self, subject: str, signature: str) -> None:
        """Unsubscribe the person of a valid link; the withdrawal goes in their consent
        record, their brief mail still waiting is dropped."""
        await self.check_unsubscribe(subject, signature)
        stamp = format_ts(self.node.clock.now())
        await self.node.store.write(lambda conn: table.unsubscribe(conn, int(subject), stamp))

    # --- the admins' -------------------------------------------------------------------

    async def counts(self) -> tuple[int, int]:
        """(subscribed, waiting for their confirmation)."""
        row = await self.node.store.fetchone(table.COUNTS)
        return int(row[0]), int(row[1])

    async def export_rows(self) -> list[ExportRow]:
        return await subscribers.export_rows(self.node.store, await self.campaign_names())

    async def erase(self, address: str) -> int:
        """Forget one person (``subscribers.erase``); how many records were touched."""
        when = self.node.clock.now()
        touched: int = await self.node.store.write(
            lambda conn: subscribers.erase(conn, address, when)
        )
        return touched
