"""``node.mail``: the outbox's one entry for every feature, the worker's start and stop,
the admin's view of the queue, and a test message sent at once.

Features queue with ``queue(conn, message)`` inside their own write transaction, so a
message exists exactly when what caused it does; the worker is woken after each commit
of the node (``NodeCore.listeners``).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from node.domain.errors import DomainError
from node.mail import render
from node.mail.members import MemberMail
from node.mail.message import Message, list_headers, new_message_id, to_email, valid_address
from node.mail.smtp import send
from node.mail.worker import MailWorker
from node.store import mail as table
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

log = structlog.get_logger("nst.mail")


@dataclass(frozen=True, slots=True)
class MailStatus:
    """What ``nst mail status`` and the admin page show."""

    enabled: bool
    server: str
    counts: dict[str, int] = field(default_factory=dict)
    bouncing: list[tuple[str, str, str]] = field(default_factory=list)
    failed: list[tuple[int, str, str, str, int, str]] = field(default_factory=list)


class Mail:
    """The outbox over the node's core."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node
        self.worker = MailWorker(self)
        self.members = MemberMail(node, self)
        self._task: asyncio.Task[None] | None = None
        node.listeners.append(self.wake)

    @property
    def enabled(self) -> bool:
        return self.node.config.mail.enabled

    def queue(self, conn: sqlite3.Connection, message: Message) -> bool:
        """Queue ``message`` in the caller's write transaction; whether it was queued (not
        when mail is off, its key was queued before, or its address bounces)."""
        if not self.enabled:
            return False
        if not valid_address(message.to):
            raise DomainError("mail.bad_address", f"{message.to!r} is not an e-mail address")
        text, html = render.wrap(
            message.text,
            message.html,
            subject=message.subject,
            reason=message.reason,
            org=self.node.config.name,
            unsubscribe=message.unsubscribe,
        )
        queued = table.QueuedMail(
            dedupe=message.key,
            kind=message.kind,
            recipient=message.to,
            subject=message.subject,
            text_part=text,
            html_part=html,
            headers=list_headers(message.unsubscribe),
            message_id=new_message_id(self.node.config.mail.sender),
        )
        return table.insert(conn, queued, format_ts(self.node.clock.now()))

    def wake(self) -> None:
        """Look for due messages now (called after every commit of the node)."""
        self.worker.wakeup.set()

    def start(self) -> None:
        """Start the worker with the node; with mail off, say so once instead."""
        if not self.enabled:
            log.info("mail.off", fix="set [mail] host and from in config.toml to send mail")
            return
        self._task = asyncio.create_task(self.worker.run(), name="nst-mail")

    async def stop(self) -> None:
        """Stop the worker; a message cut off mid-send is queued again at next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def send_test(self, address: str) -> str:
        """Send a test message at once (not through the outbox); its Message-ID. Raises
        SendError saying what failed."""
        if not valid_address(address):
            raise DomainError("mail.bad_address", f"{address!r} is not an e-mail address")
        cfg = self.node.config
        text, html = render.body("test", org=cfg.name, url=cfg.url, host=cfg.mail.host)
        subject = f"Test message from {cfg.name}"
        reason = "You receive this because the node's admin ran `nst mail test` with your address."
        text, html = render.wrap(
            text, html, subject=subject, reason=reason, org=cfg.name, unsubscribe=None
        )
        queued = table.QueuedMail(
            "test", "test", address, subject, text, html, {}, new_message_id(cfg.mail.sender)
        )
        now = email.utils.format_datetime(self.node.clock.now())
        await send(cfg.mail, to_email(queued, cfg.mail.sender, now))
        return queued.message_id

    async def status(self, failed: int = 20) -> MailStatus:
        store, cfg = self.node.store, self.node.config.mail
        server = f"{cfg.host}:{cfg.real_port} ({cfg.security})" if cfg.enabled else "off"
        return MailStatus(
            enabled=cfg.enabled,
            server=server,
            counts={s: n for s, n in await store.fetchall(table.COUNTS)},
            bouncing=[tuple(r) for r in await store.fetchall(table.BOUNCES)],
            failed=[tuple(r) for r in await store.fetchall(table.FAILED, (failed,))],
        )

    async def summary(self) -> dict[str, object]:
        """The queue in a line, for ``nst status``: off, or its server and counts."""
        status = await self.status(failed=0)
        if not status.enabled:
            return {"enabled": False}
        return {
            "enabled": True,
            "server": status.server,
            **{s: status.counts.get(s, 0) for s in ("queued", "sending", "failed")},
            "bouncing": len(status.bouncing),
        }

    async def clear_bounce(self, address: str) -> None:
        """Allow mail to a bouncing address again (its owner fixed their mailbox)."""
        if not await self.node.store.write(lambda c: table.clear_bounce(c, address)):
            raise DomainError("mail.not_bouncing", f"{address} is not marked as bouncing")
