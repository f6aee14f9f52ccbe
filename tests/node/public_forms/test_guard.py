"""The public forms' guard: signed links (tampered, expired, another address), the
secret's file mode, one mail a day per address through the real outbox and its SMTP
sink, the bound on waiting sign-ups, and the rate limit's bounded memory."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from typing import Any

import pytest

from node.domain.errors import DomainError
from node.mail.message import Message
from node.public_forms import guard, tokens
from web_ui.public_forms import RateLimit


def test_a_link_checks_only_as_signed(tmp_path: Path) -> None:
    secret = tokens.load_secret(tmp_path)
    assert stat.S_IMODE((tmp_path / tokens.SECRET_NAME).stat().st_mode) == 0o600
    assert tokens.load_secret(tmp_path) == secret  # kept, not made again
    sig = tokens.sign(secret, "confirm", "7", "Dee@Example.org", 1000)
    tokens.check(secret, "confirm", "7", "dee@example.org", "1000", sig, now=999)
    bad = [
        ("confirm", "8", "dee@example.org", "1000", sig),  # another row
        ("confirm", "7", "eve@example.org", "1000", sig),  # another address
        ("unsubscribe", "7", "dee@example.org", "1000", sig),  # another purpose
        ("confirm", "7", "dee@example.org", "2000", sig),  # a longer life
        ("confirm", "7", "dee@example.org", "1000", sig[:-1] + "A"),
        ("confirm", "7", None, "1000", sig),  # no such row
        ("confirm", "7", "dee@example.org", "x", sig),
    ]
    for purpose, subject, address, expires, signature in bad:
        with pytest.raises(DomainError) as refused:
            tokens.check(secret, purpose, subject, address, expires, signature, now=999)
        assert refused.value.code == "public.bad_link"
    with pytest.raises(DomainError) as expired:
        tokens.check(secret, "confirm", "7", "dee@example.org", "1000", sig, now=1001)
    assert expired.value.code == "public.link_expired"
    never = tokens.sign(secret, "unsubscribe", "7", "dee@example.org", tokens.NEVER)
    tokens.check(secret, "unsubscribe", "7", "dee@example.org", "0", never, now=10**12)


async def test_an_address_gets_one_public_mail_a_day(mail_node: Any, smtp: Any) -> None:
    secret = tokens.load_secret(mail_node.config.data_dir)
    day = dt.date(2026, 11, 22)

    def message(n: int, to: str = "dee@example.org") -> Message:
        return Message("confirm", to, f"Sign-up {n}", "text", "<p>html</p>", "why", f"k{n}")

    def flood(conn: Any) -> list[bool]:
        mail = mail_node.mail
        sent = [guard.mail_once_a_day(mail, conn, message(n), secret, day) for n in range(5)]
        upper = message(9, "DEE@example.org")
        sent.append(guard.mail_once_a_day(mail_node.mail, conn, upper, secret, day))
        other = message(10, "eve@example.org")
        sent.append(guard.mail_once_a_day(mail_node.mail, conn, other, secret, day))
        tomorrow = day + dt.timedelta(days=1)
        sent.append(guard.mail_once_a_day(mail_node.mail, conn, message(11), secret, tomorrow))
        return sent

    queued = await mail_node.store.write(flood)
    assert queued == [True, False, False, False, False, False, True, True]
    while await mail_node.mail.worker.run_once():
        pass
    assert [m["Subject"] for m in smtp.sink.to("dee@example.org")] == ["Sign-up 0", "Sign-up 11"]
    assert len(smtp.sink.to("eve@example.org")) == 1


def test_waiting_sign_ups_are_bounded() -> None:
    guard.require_room(2, bound=3)
    with pytest.raises(DomainError) as full:
        guard.require_room(3, bound=3)
    assert full.value.code == "public.too_many_pending"


def test_the_rate_limit_holds_per_client_in_bounded_memory() -> None:
    now = [0.0]
    limit = RateLimit(limit=3, window=60, capacity=100, clock=lambda: now[0])
    assert [limit.hit("10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limit.hit("10.0.0.1") == 60
    assert limit.hit("10.0.0.2") == 0  # another client is not held up
    now[0] = 30.0
    assert limit.hit("10.0.0.1") == 30
    now[0] = 61.0
    assert limit.hit("10.0.0.1") == 0
    for n in range(10_000):  # a flood from many addresses
        limit.hit(f"192.0.2.{n}")
    assert len(limit) == 100
