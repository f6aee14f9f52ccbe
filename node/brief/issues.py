"""Issues of the brief: editors (``node.articles.may_write``) write one in Markdown,
send a test to their own confirmed address, then Send. Send only marks the issue; the
mail worker's round (``queue_pending``) queues it to every confirmed subscriber in
batches, one transaction each, with the outbox key ``brief:ISSUE:SUBSCRIBER``, so a
second Send or a crash mid-queue mails no one twice and the rest are queued after a
restart."""

from __future__ import annotations

import secrets
import sqlite3
from typing import TYPE_CHECKING, Any, Final

from node.brief.records import MAX_BODY, MAX_SUBJECT, Issue, Progress
from node.domain.errors import DomainError
from node.mail.message import Message
from node.store import brief as table
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.brief.service import Brief
    from node.service import Node

#: Subscribers queued per transaction.
BATCH: Final = 200


class Issues:
    """Write, test and send the brief's issues; what was sent and how it stands."""

    def __init__(self, node: Node, brief: Brief) -> None:
        self.node = node
        self.brief = brief

    async def _require_editor(self, handle: str) -> None:
        if not await self.node.articles.may_write(handle):
            raise DomainError(
                ErrorCode.ARTICLE_NOT_EDITOR,
                "Only the node's editors send the Coalition Brief; an admin can make you one.",
            )

    async def all(self, limit: int = 100) -> list[Issue]:
        """The issues, newest first."""
        return [Issue(*r) for r in await self.node.store.fetchall(table.ISSUES, (limit,))]

    async def get(self, issue_id: int) -> Issue | None:
        row = await self.node.store.fetchone(table.ISSUE, (issue_id,))
        return None if row is None else Issue(*row)

    async def _known(self, issue_id: int) -> Issue:
        found = await self.get(issue_id)
        if found is None:
            raise DomainError(ErrorCode.BRIEF_UNKNOWN_ISSUE, "There is no such issue.")
        return found

    async def save(self, handle: str, issue_id: int | None, subject: str, body: str) -> Issue:
        """Write a new issue (``issue_id`` None) or change a draft; refused whole."""
        await self._require_editor(handle)
        subject = subject.strip()
        if not subject or len(subject) > MAX_SUBJECT or "\n" in subject:
            raise DomainError(
                ErrorCode.BRIEF_INVALID,
                f"Give the issue a subject of 1 to {MAX_SUBJECT} characters on one line.",
            )
        if not body.strip() or len(body) > MAX_BODY:
            raise DomainError(
                ErrorCode.BRIEF_INVALID, f"Write the issue: 1 to {MAX_BODY:,} characters."
            )
        now = format_ts(self.node.clock.now())
        saved = await self.node.store.write(
            lambda conn: table.save_issue(conn, issue_id, subject, body, handle, now)
        )
        if saved is None:
            raise DomainError(
                ErrorCode.BRIEF_ISSUE_SENT, "This issue was sent already: it cannot change."
            )
        return await self._known(saved)

    def message(
        self, issue: Issue, site: str, to: str, key: str, reason: str, unsubscribe: str | None
    ) -> Message:
        return Message(
            kind="brief" if unsubscribe else "brief_test",
            to=to,
            subject=issue.subject,
            text=issue.body,
            html=self.node.articles.render(issue.body),
            reason=reason,
            key=key,
            unsubscribe=unsubscribe,
        )

    async def test_send(self, handle: str, issue_id: int) -> str:
        """Queue the issue to the editor's own confirmed address; that address."""
        await self._require_editor(handle)
        issue = await self._known(issue_id)
        self.brief.require_mail()
        address = (await self.node.mail.members.choices(handle)).address
        if address is None:
            raise DomainError(
                ErrorCode.BRIEF_NO_ADDRESS,
                "A test goes to your own confirmed address: give one on your account page"
                " (Mail) and confirm it first.",
            )
        site = (await self.node.site.home()).name
        message = self.message(
            issue,
            site,
            address,
            f"brief-test:{issue.id}:{secrets.token_hex(8)}",
            f"You receive this test because you pressed “Send me a test” for this issue"
            f" of the Coalition Brief of {site}.",
            None,
        )
        await self.node.store.write(lambda conn: self.node.mail.queue(conn, message))
        return address

    async def send(self, handle: str, issue_id: int) -> Issue:
        """Send the issue to every confirmed subscriber (once, however often pressed)."""
        await self._require_editor(handle)
        await self._known(issue_id)
        self.brief.require_mail()
        now = format_ts(self.node.clock.now())
        await self.node.store.write(lambda conn: table.mark_sent(conn, issue_id, handle, now))
        self.node.mail.wake()
        return await self._known(issue_id)

    async def queue_pending(self) -> int:
        """Queue the next batches of every issue sent but not yet queued to all (the
        mail worker calls it before each round); how many messages were queued."""
        queued = 0
        if not self.node.mail.enabled:
            return 0
        for (issue_id,) in await self.node.store.fetchall(table.UNFINISHED):
            issue = await self._known(issue_id)
            site = (await self.node.site.home()).name
            done = False
            while not done:

                def batch(
                    conn: sqlite3.Connection, i: Issue = issue, s: str = site
                ) -> tuple[int, bool]:
                    return self._batch(conn, i, s)

                n, done = await self.node.store.write(batch)
                queued += n
        return queued

    def _batch(self, conn: sqlite3.Connection, issue: Issue, site: str) -> tuple[int, bool]:
        rows: list[Any] = table.next_batch(conn, issue.id, BATCH)
        queued = 0
        for subscriber_id, address, confirmed_at in rows:
            reason = (
                f"You receive this because you signed up for the Coalition Brief on {site}"
                f" on {confirmed_at[:10]}."
            )
            message = self.message(
                issue,
                site,
                address,
                f"brief:{issue.id}:{subscriber_id}",
                reason,
                self.brief.unsubscribe_link(subscriber_id, address),
            )
            queued += int(self.node.mail.queue(conn, message))
        done = len(rows) < BATCH
        last = rows[-1][0] if rows else None
        table.queued_through(
            conn, issue.id, last, format_ts(self.node.clock.now()) if done else None
        )
        return queued, done

    async def progress(self, issue_id: int) -> Progress:
        """How the issue's mails stand in the outbox: queued, sending, sent, failed …"""
        issue = await self._known(issue_id)
        rows = await self.node.store.fetchall(table.PROGRESS, table.issue_keys(issue_id))
        return Progress({s: n for s, n in rows}, issue.finished_at is not None)
