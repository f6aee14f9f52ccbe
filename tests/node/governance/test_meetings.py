"""Meetings on one node: scheduled by the facilitator, minuted once, in the logbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from node.clock import FixedClock
from node.domain.errors import DomainError
from node.service import Node

Adopted = Callable[[str], Awaitable[tuple[str, str]]]  # the conftest's adopted


async def test_a_meeting_with_minutes_in_the_logbook(
    node: Node, clock: FixedClock, circle: str, adopted: Adopted
) -> None:
    root, decision = await adopted(circle)
    meeting = await node.gov.schedule_meeting(
        circle,
        "ana",
        "Monthly circle meeting",
        clock.now() + dt.timedelta(days=2),
        [{"title": "Quiet hours", "type": "decide", "proposal": root}],
    )
    with pytest.raises(DomainError) as exc:
        await node.gov.schedule_meeting(circle, "ben", "Mine", clock.now())
    assert exc.value.code == "meeting.not_keeper"
    bad_items = [
        ([node.actor_of("ana"), node.actor_of("dee")], [], "meeting.not_member"),
        (
            [node.actor_of("ana")],
            [{"title": "x", "type": "decide", "decision": root}],
            "meeting.unknown_decision",
        ),
    ]
    await node.add_member("dee", "Dee")
    for attendance, items, code in bad_items:
        with pytest.raises(DomainError) as exc:
            await node.gov.write_minutes(
                meeting, "ana", attendance=attendance, agenda_consented=True, items=items
            )
        assert exc.value.code == code
    minutes = await node.gov.write_minutes(
        meeting,
        "ana",
        attendance=[node.actor_of(h) for h in ("ana", "ben", "cleo")],
        agenda_consented=True,
        opening="Everyone is here.",
        items=[
            {
                "title": "Quiet hours",
                "type": "decide",
                "proposal": root,
                "decision": decision,
                "notes": "Adopted by consent.",
            }
        ],
        closing="Good meeting.",
    )
    with pytest.raises(DomainError) as exc:
        await node.gov.write_minutes(meeting, "ana", attendance=[], agenda_consented=False)
    assert exc.value.code == "meeting.minuted"
    (listed,) = await node.gov.meetings(circle)
    assert listed["minutes_id"] == minutes
    book = await node.gov.logbook(circle)
    assert [(e["kind"], e["envelope_id"]) for e in book] == [
        ("policy", book[0]["envelope_id"]),
        ("decision", decision),
        ("minutes", minutes),
    ]
    assert [e["prev"] for e in book] == [None, book[0]["hash"], book[1]["hash"]]
