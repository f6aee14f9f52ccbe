"""A member's second factor of logging in: a time-based one-time code (TOTP, RFC 6238,
six digits every 30 seconds) from an authenticator app.

The member starts it on their account page (a new secret, shown as text and as an
``otpauth://`` URI), and it takes effect once they confirm it with a code from the app.
From then on logging in asks for a code after the password. Codes of the step before and
after are taken too (clocks drift), but each step once only: a code seen is never taken
again. Another admin (or ``nst admin member totp-reset``) turns it off for a member who
lost their app. The secret lives in the database alone, never in a log.
"""

from __future__ import annotations

import datetime as dt
import hmac
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp

from node.domain.errors import DomainError
from node.domain.members import require
from node.store.state import load_member
from protocol import format_ts

if TYPE_CHECKING:
    from node.service import Node


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A member's second factor: its secret, the URI an app reads, whether it is on."""

    secret: str
    uri: str
    confirmed: bool


def _normal(code: str) -> str:
    return "".join(code.split())


def _step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (around ``now``) whose code ``code`` is, or None."""
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    here = totp.timecode(now)
    for step in (here, here - 1, here + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def enrolment(node: Node, handle: str) -> Enrolment | None:
    row = await node.store.fetchone(
        "SELECT secret, confirmed_at FROM member_totp WHERE handle = ?", (handle,)
    )
    if row is None:
        return None
    uri = pyotp.TOTP(row[0]).provisioning_uri(name=handle, issuer_name=node.config.name)
    return Enrolment(row[0], uri, row[1] is not None)


async def required(node: Node, handle: str) -> bool:
    """Whether logging in as ``handle`` asks for a code."""
    found = await enrolment(node, handle)
    return found is not None and found.confirmed


async def begin(node: Node, handle: str) -> Enrolment:
    """A new secret for ``handle``, not asked for until confirmed (replaces one that
    was begun and not confirmed)."""
    secret = pyotp.random_base32()
    now = format_ts(node.clock.now())

    def run(conn: sqlite3.Connection) -> None:
        require(load_member(conn, handle), handle)
        on = conn.execute(
            "SELECT 1 FROM member_totp WHERE handle = ? AND confirmed_at IS NOT NULL", (handle,)
        ).fetchone()
        if on:
            raise DomainError("totp.on_already", "the second factor is on already")
        conn.execute(
            "INSERT INTO member_totp (handle, secret, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (handle) DO UPDATE SET secret = excluded.secret,"
            " created_at = excluded.created_at, last_step = 0",
            (handle, secret, now),
        )

    await node.store.write(run)
    found = await enrolment(node, handle)
    assert found is not None
    return found


def _take(conn: sqlite3.Connection, handle: str, code: str, now: dt.datetime, on: bool) -> bool:
    """Take ``code`` for the member's secret (confirmed or not, as ``on`` says), once."""
    row = conn.execute(
        "SELECT secret, last_step FROM member_totp WHERE handle = ?"
        " AND (confirmed_at IS NOT NULL) = ?",
        (handle, on),
    ).fetchone()
    if row is None:
        return False
    step = _step(row[0], code, now)
    if step is None or step <= row[1]:
        return False
    conn.execute("UPDATE member_totp SET last_step = ? WHERE handle = ?", (step, handle))
    return True


async def confirm(node: Node, handle: str, code: str) -> None:
    """Turn the second factor on, with a code from the app that read the new secret."""
    now = node.clock.now()

    def run(conn: sqlite3.Connection) -> None:
        begun = conn.execute(
            "SELECT 1 FROM member_totp WHERE handle = ? AND confirmed_at IS NULL", (handle,)
        ).fetchone()
        if begun is None:
            raise DomainError("totp.not_begun", "start setting up the second factor first")
        if not _take(conn, handle, code, now, on=False):
            raise DomainError("totp.bad_code", "the code is wrong, or was used already")
        conn.execute(
            "UPDATE member_totp SET confirmed_at = ? WHERE handle = ?", (format_ts(now), handle)
        )

    await node.store.write(run)


async def check(node: Node, handle: str, code: str) -> bool:
    """Whether ``code`` is the member's current code, not taken before (and take it)."""
    now = node.clock.now()
    return await node.store.write(lambda conn: _take(conn, handle, code, now, on=True))


async def turn_off(node: Node, handle: str, code: str) -> None:
    """The member turns their second factor off, with a current code."""
    now = node.clock.now()

    def run(conn: sqlite3.Connection) -> None:
        if not _take(conn, handle, code, now, on=True):
            raise DomainError("totp.bad_code", "the code is wrong, or was used already")
        conn.execute("DELETE FROM member_totp WHERE handle = ?", (handle,))

    await node.store.write(run)


async def reset(node: Node, handle: str) -> bool:
    """Turn a member's second factor off (an admin's recovery); whether one was set."""

    def run(conn: sqlite3.Connection) -> bool:
        require(load_member(conn, handle), handle)
        return conn.execute("DELETE FROM member_totp WHERE handle = ?", (handle,)).rowcount > 0

    return await node.store.write(run)


async def handles_on(node: Node) -> set[str]:
    """The members whose logins ask for a code (for the admin page)."""
    rows = await node.store.fetchall(
        "SELECT handle FROM member_totp WHERE confirmed_at IS NOT NULL"
    )
    return {str(r[0]) for r in rows}
