"""The outbox against a real SMTP server on 127.0.0.1: what arrives, retries after 4xx
with backoff, bouncing after 5xx, the list headers of RFC 8058, and nothing queued twice
for one key."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from node.clock import FixedClock
from node.mail.message import Message
from node.mail.worker import MAX_ATTEMPTS, backoff
from node.service import Node

ASHA = "asha@riverside.example"


def reminder(to: str = ASHA, key: str = "k1", unsubscribe: str | None = None) -> Message:
    return Message(
        kind="reminder",
        to=to,
        subject="A round closes tomorrow",
        text="The round on Rent strike closes tomorrow.",
        html="<p>The round on <b>Rent strike</b> closes tomorrow.</p>",
        reason="You receive this because you chose reminders of rounds in your account.",
        key=key,
        unsubscribe=unsubscribe,
    )


async def queue(node: Node, *messages: Message) -> list[bool]:
    def run(conn: sqlite3.Connection) -> list[bool]:
        return [node.mail.queue(conn, m) for m in messages]

    result: list[bool] = await node.store.write(run)
    return result


async def states(node: Node) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = await node.store.fetchall(
        "SELECT state, attempts, recipient FROM mail_outbox ORDER BY id"
    )
    return rows


async def test_a_queued_message_arrives_with_both_parts_and_its_footer(
    mail_node: Node, smtp: Any
) -> None:
    assert await queue(mail_node, reminder()) == [True]
    assert await mail_node.mail.worker.run_once() == 1
    [msg] = smtp.sink.messages
    assert msg["To"] == ASHA
    assert msg["Subject"] == "A round closes tomorrow"
    assert msg["From"] == "Riverside Tenants <nst@riverside.example>"
    assert msg["Message-ID"].endswith("@riverside.example>")
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "closes tomorrow" in text
    assert "<b>Rent strike</b>" in html
    for part in (text, html):
        assert "you chose reminders of rounds" in part
    # A personal message is no list mail.
    assert "List-Unsubscribe" not in msg
    assert await states(mail_node) == [("sent", 1, ASHA)]


async def test_list_mail_carries_rfc_8058_headers(mail_node: Node, smtp: Any) -> None:
    url = "https://riverside.example/unsubscribe/abc"
    await queue(mail_node, reminder(unsubscribe=url))
    await mail_node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in msg.get_body(("plain",)).get_content()
    assert f'href="{url}"' in msg.get_body(("html",)).get_content()


async def test_one_key_is_queued_once(mail_node: Node, smtp: Any) -> None:
    assert await queue(mail_node, reminder(), reminder()) == [True, False]
    assert await queue(mail_node, reminder()) == [False]
    await mail_node.mail.worker.run_once()
    assert len(smtp.sink.messages) == 1


async def test_a_4xx_answer_is_retried_later_with_backoff(
    mail_node: Node, smtp: Any, clock: FixedClock
) -> None:
    smtp.sink.defer = 2
    await queue(mail_node, reminder())
    worker = mail_node.mail.worker
    assert await worker.run_once() == 0
    [(state, attempts, _)] = await states(mail_node)
    assert (state, attempts) == ("queued", 1)
    # Not due again at once: it waits its backoff.
    assert await worker.run_once() == 0
    assert smtp.sink.messages == []
    clock.advance(dt.timedelta(minutes=1))
    assert await worker.run_once() == 0  # the second 451
    clock.advance(dt.timedelta(minutes=2))
    assert await worker.run_once() == 1
    assert len(smtp.sink.messages) == 1
    assert await states(mail_node) == [("sent", 3, ASHA)]


def test_backoff_doubles_with_jitter_up_to_a_cap() -> None:
    import random

    rng = random.Random(7)
    waits = [backoff(n, rng) for n in range(1, MAX_ATTEMPTS + 1)]
    assert dt.timedelta(seconds=30) <= waits[0] <= dt.timedelta(minutes=1)
    assert dt.timedelta(minutes=4) <= waits[3] <= dt.timedelta(minutes=8)
    assert max(waits) <= dt.timedelta(hours=6)
    assert len({w.total_seconds() for w in waits}) == len(waits)  # jittered


async def test_a_5xx_answer_marks_the_address_bouncing_and_stops_its_mail(
    mail_node: Node, smtp: Any
) -> None:
    gone = "gone@riverside.example"
    smtp.sink.refused.add(gone)
    await queue(mail_node, reminder(to=gone, key="a"), reminder(to=gone, key="b"), reminder())
    assert await mail_node.mail.worker.run_once() == 1
    assert [m["To"] for m in smtp.sink.messages] == [ASHA]
    assert await states(mail_node) == [
        ("failed", 1, gone),
        ("dropped", 0, gone),
        ("sent", 1, ASHA),
    ]
    # Nothing more is queued for it, until an admin clears it.
    assert await queue(mail_node, reminder(to=gone.upper(), key="c")) == [False]
    status = await mail_node.mail.status()
    assert [b[0] for b in status.bouncing] == [gone]
    assert "550" in status.bouncing[0][2]
    await mail_node.mail.clear_bounce(gone)
    smtp.sink.refused.clear()
    assert await queue(mail_node, reminder(to=gone, key="d")) == [True]
    assert await mail_node.mail.worker.run_once() == 1


async def test_a_message_cut_off_mid_send_is_sent_again_with_its_message_id(
    mail_node: Node, smtp: Any
) -> None:
    await queue(mail_node, reminder())
    # Claimed, then the process died before the SMTP transaction ended or was marked.
    await mail_node.store.write(
        lambda c: c.execute("UPDATE mail_outbox SET state = 'sending', attempts = 1")
    )
    assert await mail_node.mail.worker.run_once() == 0  # not due: it is "sending"
    assert await mail_node.mail.worker.recover() == 1
    assert await mail_node.mail.worker.run_once() == 1
    [msg] = smtp.sink.messages
    [(message_id,)] = await mail_node.store.fetchall("SELECT message_id FROM mail_outbox")
    assert msg["Message-ID"] == message_id
    assert await states(mail_node) == [("sent", 2, ASHA)]


async def test_with_mail_off_nothing_is_queued(node: Node) -> None:
    assert not node.mail.enabled
    assert await queue(node, reminder()) == [False]
    assert await node.mail.summary() == {"enabled": False}
