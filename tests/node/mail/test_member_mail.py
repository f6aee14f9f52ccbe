"""Members' mail through a real SMTP server: an address proven by its confirmation link,
a reminder a day before a round closes to whoever has not answered (and chose it), news
of proposals, the daily digest; each once, and never to an unconfirmed or bouncing
address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from node.clock import FixedClock
from node.domain.errors import DomainError
from node.service import Node

DAY = dt.timedelta(days=1)


async def confirmed(node: Node, smtp: Any, handle: str) -> str:
    """Give ``handle`` an address and follow the link its confirmation mail carries."""
    address = f"{handle}@riverside.example"
    await node.mail.members.set_address(handle, address)
    await node.mail.worker.run_once()
    [msg] = smtp.sink.to(address)[-1:]
    assert msg["Subject"].startswith("Confirm your e-mail address")
    match = re.search(r"/account/mail/confirm/(\S+)", msg.get_body(("plain",)).get_content())
    assert match is not None
    assert await node.mail.members.confirm(match.group(1)) == handle
    return address


@pytest.fixture
async def circle(mail_node: Node) -> str:
    for handle in ("ana", "ben", "cleo"):
        await mail_node.add_member(handle, handle.title())
    circle = await mail_node.create_circle("Housing", "Fair rents for every tenant")
    await mail_node.set_membership(circle.id, "ana", ["facilitator"])
    await mail_node.set_membership(circle.id, "ben")
    await mail_node.set_membership(circle.id, "cleo")
    return circle.id


async def round_of(node: Node, circle: str) -> str:
    root = await node.gov.propose(circle, "ben", "Rent strike fund", "Each pays 5 a month.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await node.gov.move(root, "ana", phase)
    return root


async def test_an_address_is_the_members_once_its_link_is_followed(
    mail_node: Node, smtp: Any, circle: str, clock: FixedClock
) -> None:
    members = mail_node.mail.members
    await members.set_address("ana", "ana@riverside.example")
    assert (await members.choices("ana")).address is None
    assert (await members.choices("ana")).pending == "ana@riverside.example"
    await mail_node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    text = msg.get_body(("plain",)).get_content()
    assert "account ana at Riverside Tenants" in text
    token = re.search(r"/account/mail/confirm/(\S+)", text)
    assert token is not None
    with pytest.raises(DomainError) as bad:
        await members.confirm("not-a-token")
    assert bad.value.code == "mail.bad_link"
    clock.advance(dt.timedelta(hours=49))
    with pytest.raises(DomainError) as late:
        await members.confirm(token.group(1))
    assert late.value.code == "mail.bad_link"
    assert await confirmed(mail_node, smtp, "ana") == "ana@riverside.example"
    assert (await members.choices("ana")).address == "ana@riverside.example"
    with pytest.raises(DomainError) as bad_address:
        await members.set_address("ana", "ana at home")
    assert bad_address.value.code == "mail.bad_address"


async def test_a_reminder_comes_a_day_before_the_round_closes_unless_answered(
    mail_node: Node, smtp: Any, circle: str, clock: FixedClock
) -> None:
    ana = await confirmed(mail_node, smtp, "ana")
    ben = await confirmed(mail_node, smtp, "ben")
    await mail_node.mail.members.set_address("cleo", "cleo@riverside.example")  # unconfirmed
    root = await round_of(mail_node, circle)
    await mail_node.gov.stance(root, "ana", "consent")
    schedule = mail_node.mail.worker.before_round[0]

    clock.advance(DAY)  # two days before the deadline: not yet
    await schedule()
    await mail_node.mail.worker.run_once()
    assert [m["Subject"] for m in smtp.sink.to(ben) if "awaited" in m["Subject"]] == []

    clock.advance(DAY + dt.timedelta(hours=1))  # 23 hours before it closes
    await schedule()
    await mail_node.mail.worker.run_once()
    clock.advance(dt.timedelta(minutes=5))
    await schedule()  # again: nothing more
    await mail_node.mail.worker.run_once()
    reminders = [m for m in smtp.sink.messages if "awaited" in m["Subject"]]
    assert [m["To"] for m in reminders] == [ben]  # not ana (answered), not cleo (unconfirmed)
    text = reminders[0].get_body(("plain",)).get_content()
    assert "Rent strike fund" in text
    assert f"/proposals/{root}" in text
    assert "you chose reminders before a round closes" in text
    assert smtp.sink.to(ana)[-1]["Subject"].startswith("Confirm")


async def test_choices_are_respected(
    mail_node: Node, smtp: Any, circle: str, clock: FixedClock
) -> None:
    ana = await confirmed(mail_node, smtp, "ana")
    ben = await confirmed(mail_node, smtp, "ben")
    cleo = await confirmed(mail_node, smtp, "cleo")
    members = mail_node.mail.members
    await members.choose("ana", {"openings", "digest"})  # no reminders
    await members.choose("cleo", set())
    with pytest.raises(DomainError):
        await members.choose("cleo", {"everything"})
    schedule = mail_node.mail.worker.before_round[0]
    await schedule()  # the first look: nothing older is news
    await round_of(mail_node, circle)
    clock.advance(dt.timedelta(hours=2))
    await schedule()
    await mail_node.mail.worker.run_once()
    subjects = [m["Subject"] for m in smtp.sink.to(ana)]
    assert "A proposal in Housing: Rent strike fund" in subjects
    assert any(s.endswith("things happened in your circles") for s in subjects)
    # Ben chose nothing but reminders (the default): he proposed it, and hears of it once
    # the round closes within a day; ana, who did not choose reminders, does not.
    assert [m["Subject"] for m in smtp.sink.to(ben)][1:] == []
    digest = next(m for m in smtp.sink.to(ana) if "happened" in m["Subject"])
    assert "Ben proposed \u201cRent strike fund\u201d" in digest.get_body(("plain",)).get_content()
    # The next day's digest is another; today's is not sent twice.
    clock.advance(dt.timedelta(minutes=5))
    await schedule()
    await mail_node.mail.worker.run_once()
    assert len([m for m in smtp.sink.to(ana) if "happened" in m["Subject"]]) == 1
    clock.advance(dt.timedelta(hours=48))
    await schedule()
    await mail_node.mail.worker.run_once()
    assert [m["Subject"] for m in smtp.sink.to(ben)][1:] == [
        "Your stance is awaited: Rent strike fund"
    ]
    assert not any("awaited" in m["Subject"] for m in smtp.sink.to(ana))
    assert [m["Subject"] for m in smtp.sink.to(cleo)][1:] == []


async def test_no_member_mail_to_a_bouncing_address(
    mail_node: Node, smtp: Any, circle: str, clock: FixedClock
) -> None:
    ben = await confirmed(mail_node, smtp, "ben")
    smtp.sink.refused.add(ben)
    await round_of(mail_node, circle)
    clock.advance(dt.timedelta(hours=50))
    schedule = mail_node.mail.worker.before_round[0]
    await schedule()
    await mail_node.mail.worker.run_once()  # refused for good: bouncing
    assert (await mail_node.mail.members.choices("ben")).bouncing
    clock.advance(dt.timedelta(hours=1))
    await mail_node.mail.members.choose("ben", {"reminders", "openings", "digest"})
    assert await schedule() == 0


async def test_the_weeks_campaign_actions_come_once_a_week_with_whom_to_press(
    mail_node: Node, smtp: Any, circle: str, clock: FixedClock
) -> None:
    c = mail_node.campaigns
    campaign = await c.create_campaign(
        circle, "ben", name="Accountable Riverton", goal="Every demand met", pressure_days=5
    )
    mayor = await c.put_target(
        campaign, "ben", {"name": "Rosa Vance", "office_type": "mayor", "jurisdiction": "Riverton"}
    )
    cameras = await c.put_demand(
        campaign, "ben", title="Body cameras", text="Every officer wears one.", office_type="mayor"
    )
    today = clock.now().date()
    tomorrow = today + DAY
    plan = await c.put_plan(
        campaign, "ben", title="Call day", channel="call", weekday=tomorrow.weekday(),
        starts=today, targets=[mayor], demand=cameras, script="Hello …",
    )  # fmt: skip
    await c.pledge(campaign, "cleo", plan=plan, date=tomorrow)
    ana = await confirmed(mail_node, smtp, "ana")
    cleo = await confirmed(mail_node, smtp, "cleo")
    await confirmed(mail_node, smtp, "ben")  # ben keeps the default: no campaign mail
    for handle in ("ana", "cleo"):
        await mail_node.mail.members.choose(handle, {"campaigns"})
    schedule = mail_node.mail.worker.before_round[0]
    await schedule()
    await mail_node.mail.worker.run_once()

    [to_ana] = [m for m in smtp.sink.to(ana) if "campaigns" in m["Subject"]]
    assert to_ana["Subject"] == "Your campaigns' actions this week (1)"
    text = to_ana.get_body(("plain",)).get_content()
    day = f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}"
    assert f"{day}: Call day (Accountable Riverton)" in text
    assert 'Call Rosa Vance (mayor), about "Body cameras".' in text
    assert "1 pledged so far" in text
    assert f"/campaigns/{campaign}" in text
    [to_cleo] = [m for m in smtp.sink.to(cleo) if "campaigns" in m["Subject"]]
    assert "You pledged to take part" in to_cleo.get_body(("plain",)).get_content()
    html = to_cleo.get_body(("html",)).get_content()
    assert "Rosa Vance (mayor)" in html
    assert "Why you receive this" in html or "because you chose" in html
    # Once a week: the rest of the week asks nothing again.
    clock.advance(dt.timedelta(hours=3))
    await schedule()
    await mail_node.mail.worker.run_once()
    assert len([m for m in smtp.sink.to(ana) if "campaigns" in m["Subject"]]) == 1
