"""Minutes corrected and approved, action items done, guests and the backlog, on one node:
each rule at its position, and what the tables then say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from node.clock import FixedClock
from node.domain.errors import DomainError
from node.service import Node

Adopted = Callable[[str], Awaitable[tuple[str, str]]]


async def _minuted(node: Node, clock: FixedClock, circle: str, title: str, days: int) -> str:
    meeting = await node.gov.schedule_meeting(
        circle, "ana", title, clock.now() + dt.timedelta(days=days)
    )
    await node.gov.write_minutes(
        meeting,
        "ana",
        attendance=[node.actor_of("ana"), node.actor_of("ben")],
        agenda_consented=True,
        items=[
            {
                "title": "Repairs",
                "type": "report",
                "actions": [
                    {
                        "what": "Call the landlord",
                        "owner": node.actor_of("ben"),
                        "due": "2026-12-01",
                    },
                    {"what": "Book the hall", "owner": node.actor_of("cleo")},
                ],
            }
        ],
        guests=["Mrs Okafor"],
    )
    return meeting


async def test_minutes_corrected_then_approved_by_the_next_meeting(
    node: Node, clock: FixedClock, circle: str
) -> None:
    first = await _minuted(node, clock, circle, "November meeting", 1)
    original = (await node.gov.meeting(first))["minutes_id"]  # type: ignore[index]
    await node.gov.mark_done(first, 2, "cleo")
    with pytest.raises(DomainError) as exc:
        await node.gov.mark_done(first, 1, "cleo")
    assert exc.value.code == "meeting.not_owner"
    corrected = await node.gov.correct_minutes(
        first,
        "ana",
        replaces=original,
        note="Cleo attended too.",
        attendance=[node.actor_of(h) for h in ("ana", "ben", "cleo")],
        agenda_consented=True,
        items=[
            {
                "title": "Repairs",
                "type": "report",
                "actions": [
                    {"what": "Book the hall", "owner": node.actor_of("cleo")},
                    {"what": "Call the landlord", "owner": node.actor_of("ben")},
                ],
            }
        ],
        guests=["Mrs Okafor"],
    )
    with pytest.raises(DomainError) as exc:  # the same version twice: a stale correction
        await node.gov.correct_minutes(
            first, "ana", replaces=original, note="", attendance=[], agenda_consented=True
        )
    assert exc.value.code == "meeting.not_latest"
    versions = await node.gov.minutes_versions(first)
    assert [(v["id"], v["replaces"], v["note"]) for v in versions] == [
        (original, None, ""),
        (corrected, original, "Cleo attended too."),
    ]
    actions = await node.gov.actions(meeting_id=first)
    # Done marks follow the action across the correction, whatever its place.
    assert [(a["n"], a["what"], a["done"]) for a in actions] == [
        (1, "Book the hall", True),
        (2, "Call the landlord", False),
    ]
    second = await node.gov.schedule_meeting(
        circle, "ana", "December meeting", clock.now() + dt.timedelta(days=30)
    )
    with pytest.raises(DomainError) as exc:
        await node.gov.write_minutes(
            second, "ana", attendance=[], agenda_consented=True, approves=original
        )
    assert exc.value.code == "meeting.not_latest"
    await node.gov.write_minutes(
        second, "ana", attendance=[node.actor_of("ana")], agenda_consented=True, approves=corrected
    )
    held = await node.gov.meeting(first)
    assert held is not None
    assert (held["approved_by"], held["approved_version"]) == (second, corrected)
    with pytest.raises(DomainError) as exc:
        await node.gov.correct_minutes(
            first, "ana", replaces=corrected, note="", attendance=[], agenda_consented=True
        )
    assert exc.value.code == "meeting.approved"
    kinds = [e["kind"] for e in await node.gov.logbook(circle)]
    assert kinds == ["policy", "minutes", "correction", "minutes"]


async def test_actions_need_members_and_are_done_once(
    node: Node, clock: FixedClock, circle: str
) -> None:
    meeting = await node.gov.schedule_meeting(circle, "ana", "Meeting", clock.now())
    await node.add_member("dee", "Dee")
    with pytest.raises(DomainError) as exc:
        await node.gov.write_minutes(
            meeting,
            "ana",
            attendance=[],
            agenda_consented=True,
            items=[
                {
                    "title": "x",
                    "type": "report",
                    "actions": [{"what": "y", "owner": node.actor_of("dee")}],
                }
            ],
        )
    assert exc.value.code == "meeting.not_member"
    meeting = await _minuted(node, clock, circle, "Again", 0)
    await node.gov.mark_done(meeting, 1, "ben")
    with pytest.raises(DomainError) as exc:
        await node.gov.mark_done(meeting, 1, "ben")
    assert exc.value.code == "meeting.done_already"
    with pytest.raises(DomainError) as exc:
        await node.gov.mark_done(meeting, 3, "ana")
    assert exc.value.code == "meeting.unknown_action"
    assert [a["what"] for a in await node.gov.owned_actions(node.actor_of("cleo"))] == [
        "Book the hall"
    ]


async def test_the_backlog_feeds_the_agenda_and_closes(
    node: Node, clock: FixedClock, circle: str
) -> None:
    item = await node.gov.add_backlog(circle, "ben", "Noise at night", "Since the new bar.")
    with pytest.raises(DomainError) as exc:
        await node.gov.close_backlog(item, "ben")
    assert exc.value.code == "meeting.not_keeper"
    meeting = await node.gov.schedule_meeting(
        circle,
        "ana",
        "Meeting",
        clock.now(),
        [{"title": "Noise at night", "type": "explore", "backlog": item}],
    )
    (listed,) = await node.gov.backlog(circle)
    assert (listed["title"], listed["author"], listed["meeting_id"]) == (
        "Noise at night",
        node.actor_of("ben"),
        meeting,
    )
    await node.gov.close_backlog(item, "ana", "Dealt with.")
    assert await node.gov.backlog(circle) == []
    with pytest.raises(DomainError) as exc:
        await node.gov.schedule_meeting(
            circle, "ana", "Later", clock.now(), [{"title": "x", "type": "report", "backlog": item}]
        )
    assert exc.value.code == "meeting.unknown_backlog"


async def test_a_referral_lands_on_the_parent_backlog(
    node: Node, circle: str, to_consent: Callable[[str], Awaitable[None]]
) -> None:
    child = await node.create_circle("Repairs", "Fix what breaks", parent=circle)
    for handle, roles in (("ana", ["facilitator"]), ("ben", [])):
        await node.set_membership(child.id, handle, roles)
    root = await node.gov.propose(child.id, "ben", "New boiler", "Replace it.")
    await node.gov.move(root, "ana", "presented")
    await node.gov.move(root, "ana", "referred")
    decision = await node.gov.decide(root, "ana")
    (item,) = await node.gov.backlog(circle)
    assert (item["title"], item["source"], item["author"]) == ("New boiler", decision, node.node_id)
    assert await node.gov.raise_referrals() == []  # once
