"""The mail worker: sends what the outbox holds, one message at a time, with retries.

A message is marked ``sending`` (committed) before its SMTP transaction and ``sent``
(committed) after it. A crash between the two leaves it ``sending``; the next start
queues it again, so it may arrive twice, never not at all: at-least-once, with the
Message-ID fixed at queueing so the receiving side can drop the copy. A temporary
failure waits ``BASE · 2^(attempt-1)`` (at most ``CAP``), times a random 0.5-1 so that
many messages refused together do not come back together; a permanent one (5xx) marks
the address as bouncing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import functools
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

from node.mail.message import to_email
from node.mail.smtp import SendError, send
from node.store import mail as table
from protocol import format_ts

if TYPE_CHECKING:
    from node.mail.service import Mail

log = structlog.get_logger("nst.mail")

BASE = dt.timedelta(minutes=1)
CAP = dt.timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of trying
POLL = 30.0  # seconds between looks when nothing wakes the worker
# Failures of the server or of our settings, not of one message: stop the round there.
_SERVER_WIDE = frozenset(
    {
        "mail.connect",
        "mail.timeout",
        "mail.tls",
        "mail.auth",
        "mail.off",
        "mail.sender_refused",
        "mail.password_file",
        "mail.password_file_mode",
    }
)


def backoff(attempts: int, rng: random.Random) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt (exponential, jittered)."""
    delay: dt.timedelta = min(BASE * 2 ** max(attempts - 1, 0), CAP)
    return delay * rng.uniform(0.5, 1.0)


class MailWorker:
    """Sends due messages; ``run_once`` is one round (tests step it with a fixed clock)."""

    def __init__(self, mail: Mail, rng: random.Random | None = None) -> None:
        self.mail = mail
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.wakeup = asyncio.Event()
        # Run before each round (the scheduler of members' mail).
        self.before_round: list[Callable[[], Awaitable[object]]] = []

    async def recover(self) -> int:
        """Queue again what a crash cut off mid-send; how many."""
        store = self.mail.node.store
        n: int = await store.write(table.requeue_interrupted)
        if n:
            log.warning("mail.requeued_after_crash", messages=n)
        return n

    async def run_once(self, limit: int = 100) -> int:
        """Send up to ``limit`` due messages; how many were sent."""
        node = self.mail.node
        sent = 0
        for _ in range(limit):
            claimed = await node.store.write(
                functools.partial(table.claim_due, now=format_ts(node.clock.now()), limit=1)
            )
            if not claimed:
                break
            item = claimed[0]
            msg = to_email(
                item.mail, node.config.mail.sender, email.utils.format_datetime(node.clock.now())
            )
            try:
                await send(node.config.mail, msg)
            except SendError as exc:
                await self._failed(item, exc)
                if exc.code in _SERVER_WIDE:
                    break
                continue
            await node.store.write(
                functools.partial(table.mark_sent, mail_id=item.id, now=format_ts(node.clock.now()))
            )
            log.info("mail.sent", id=item.id, kind=item.mail.kind, attempt=item.attempts)
            sent += 1
        return sent

    async def _failed(self, item: table.ClaimedMail, exc: SendError) -> None:
        node = self.mail.node
        now = node.clock.now()
        error = str(exc)
        if exc.permanent:

            def bounce(conn: sqlite3.Connection) -> None:
                table.mark_failed(conn, item.id, error)
                table.add_bounce(conn, item.mail.recipient, error, format_ts(now))

            await node.store.write(bounce)
            log.warning("mail.bounced", id=item.id, kind=item.mail.kind, code=exc.code)
            return
        if item.attempts >= MAX_ATTEMPTS:
            await node.store.write(lambda c: table.mark_failed(c, item.id, error))
            log.warning("mail.gave_up", id=item.id, kind=item.mail.kind, code=exc.code)
            return
        later = format_ts(now + backoff(item.attempts, self.rng))
        await node.store.write(lambda c: table.mark_retry(c, item.id, later, error))
        log.warning(
            "mail.deferred", id=item.id, code=exc.code, attempt=item.attempts, next_at=later
        )

    async def run(self) -> None:
        """Until cancelled: recover, then send what is due whenever woken or every
        ``POLL`` seconds."""
        await self.recover()
        while True:
            self.wakeup.clear()
            try:
                for step in self.before_round:
                    await step()
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bad round must not end the worker
                log.warning("mail.round_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for may swallow the
                # cancellation that stops this worker when its timeout falls at the same moment.
                async with asyncio.timeout(POLL):
                    await self.wakeup.wait()
