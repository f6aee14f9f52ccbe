"""What members receive by mail, queued by the mail worker before each round (at most
once a minute): a reminder a day before a consent round they have not answered closes,
a word when a proposal or election opens in their circles, the daily digest, the week's
campaign actions. Each has a key per member and event, so it is queued once however
often this runs, and the outbox never queues for an unconfirmed or bouncing address.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any

from node.mail import render
from node.mail.message import Message
from node.notifications import clock_time
from protocol import format_ts

if TYPE_CHECKING:
    from node.service import Node

REMIND_BEFORE = dt.timedelta(hours=24)
EVERY = dt.timedelta(minutes=1)
OPENINGS_WITHIN = dt.timedelta(days=2)  # a proposal older than this is old news

# Members of this node with a confirmed address who chose :choice (an enabled account).
_RECIPIENTS = (
    "SELECT m.handle, m.address, u.display_name FROM member_mail m JOIN members u"
    " ON u.handle = m.handle WHERE m.address IS NOT NULL AND u.disabled = 0"
)
_REMINDERS = (
    "SELECT p.root, c.name, p.title, p.deadline, m.handle, m.address FROM proposals p"
    " JOIN circles c ON c.id = p.circle_id JOIN circle_members cm ON cm.circle_id = p.circle_id"
    " AND cm.status = 'active' JOIN member_mail m ON cm.member = m.handle || '@' || :node"
    " JOIN members u ON u.handle = m.handle AND u.disabled = 0"
    " WHERE p.phase = 'consent' AND p.deadline > :now AND p.deadline <= :soon"
    " AND m.address IS NOT NULL AND m.reminders = 1 AND NOT EXISTS (SELECT 1 FROM"
    " current_stances s WHERE s.root = p.root AND s.member = cm.member)"
)
_OPENINGS = (
    "SELECT o.envelope_id, e.kind, c.name, coalesce(p.title, s.role), m.handle, m.address"
    " FROM circle_order o JOIN gov_effects g ON g.envelope_id = o.envelope_id"
    " JOIN envelopes e ON e.id = o.envelope_id JOIN circles c ON c.id = o.scope"
    " LEFT JOIN proposals p ON p.root = o.envelope_id LEFT JOIN selections s"
    " ON s.id = o.envelope_id JOIN circle_members cm ON cm.circle_id = o.scope"
    " AND cm.status = 'active' JOIN member_mail m ON cm.member = m.handle || '@' || :node"
    " JOIN members u ON u.handle = m.handle AND u.disabled = 0"
    " WHERE g.status = 'applied' AND o.at > :since AND (p.root IS NOT NULL OR s.id IS NOT NULL)"
    " AND m.address IS NOT NULL AND m.openings = 1 AND coalesce(e.actor, e.author) != cm.member"
)


class MemberMailSchedule:
    """Queues members' mail from the node's state; ``tick`` is one look."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._last: dt.datetime | None = None

    async def maybe_tick(self) -> int:
        """``tick``, unless one ran less than a minute ago."""
        now = self.node.clock.now()
        if self._last is not None and now - self._last < EVERY:
            return 0
        self._last = now
        return await self.tick()

    async def tick(self) -> int:
        """Queue what is due now; how many messages were queued."""
        if not self.node.mail.enabled:
            return 0
        messages = [
            *await self._reminders(),
            *await self._openings(),
            *await self._digests(),
            *await self._campaigns(),
        ]
        if not messages:
            return 0

        def run(conn: sqlite3.Connection) -> int:
            return sum(self.node.mail.queue(conn, m) for m in messages)

        queued: int = await self.node.store.write(run)
        return queued

    def _link(self, path: str) -> str:
        return self.node.config.url + path

    def _message(self, kind: str, to: str, subject: str, key: str, why: str, **ctx: Any) -> Message:
        org = self.node.config.name
        text, html = render.body(kind, org=org, **ctx)
        reason = (
            f"You receive this because you chose {why} in your account at {org}"
            f" ({self._link('/password#mail')})."
        )
        return Message(kind, to, subject, text, html, reason, key)

    async def _reminders(self) -> list[Message]:
        now = self.node.clock.now()
        rows = await self.node.store.fetchall(
            _REMINDERS,
            {
                "node": self.node.node_id,
                "now": format_ts(now),
                "soon": format_ts(now + REMIND_BEFORE),
            },
        )
        return [
            self._message(
                "reminder",
                address,
                f"Your stance is awaited: {title}",
                f"reminder:{root}:{deadline}:{handle}",
                "reminders before a round closes",
                title=title,
                circle=circle,
                deadline=deadline,
                link=self._link(f"/proposals/{root}"),
            )
            for root, circle, title, deadline, handle, address in rows
        ]

    async def _openings(self) -> list[Message]:
        since = format_ts(self.node.clock.now() - OPENINGS_WITHIN)
        rows = await self.node.store.fetchall(
            _OPENINGS, {"node": self.node.node_id, "since": since}
        )
        out = []
        for env_id, kind, circle, title, handle, address in rows:
            proposal = kind == "proposal"
            what = "A proposal" if proposal else "An election"
            out.append(
                self._message(
                    "opening",
                    address,
                    f"{what} in {circle}: {title}",
                    f"opening:{env_id}:{handle}",
                    "news of proposals and elections in your circles",
                    what=what,
                    title=title if proposal else f"the role of {title}",
                    circle=circle,
                    link=self._link(f"/proposals/{env_id}" if proposal else f"/elections/{env_id}"),
                )
            )
        return out

    async def _recipients(self, choice: str) -> list[tuple[str, str, str]]:
        rows = await self.node.store.fetchall(_RECIPIENTS + f" AND m.{choice} = 1")
        return [tuple(r) for r in rows]

    async def _queued(self, key: str) -> bool:
        row = await self.node.store.fetchone("SELECT 1 FROM mail_outbox WHERE dedupe = ?", (key,))
        return row is not None

    async def _digests(self) -> list[Message]:
        now = self.node.clock.now()
        day = now.date().isoformat()
        out = []
        for handle, address, _name in await self._recipients("digest"):
            key = f"digest:{day}:{handle}"
            if await self._queued(key):
                continue
            since = format_ts(now - dt.timedelta(days=1))
            items = await self.node.notifications.recent(handle, since=since)
            if not items:
                continue
            for item in items:
                item["when"] = clock_time(str(item["at"]))
            out.append(
                self._message(
                    "digest",
                    address,
                    f"{len(items)} things happened in your circles",
                    key,
                    "the daily digest",
                    items=list(reversed(items)),
                    link=self._link("/notifications"),
                )
            )
        return out

    async def _campaigns(self) -> list[Message]:
        today = self.node.clock.now().date()
        year, week, _ = today.isocalendar()
        out = []
        for handle, address, _name in await self._recipients("campaigns"):
            key = f"campaigns:{year}-W{week:02d}:{handle}"
            if await self._queued(key):
                continue
            actions = await self.node.campaigns.week(handle, today)
            if not actions:
                continue
            out.append(
                self._message(
                    "campaigns",
                    address,
                    f"Your campaigns' actions this week ({len(actions)})",
                    key,
                    "your campaigns' actions of the week",
                    actions=actions,
                    base=self.node.config.url,
                    link=self._link("/"),
                )
            )
        return out
