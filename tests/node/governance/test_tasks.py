"""Each kind of task of ``node.gov.tasks``, one test each: it is there for the member it
belongs to and for no one else, and gone once done. The circle: ana facilitates, ben and
cleo are members; dee is in no circle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from node.clock import FixedClock
from node.service import Node

ToConsent = Callable[[str], Awaitable[None]]
HANDLES = ("ana", "ben", "cleo", "dee")


@pytest.fixture
async def dee(node: Node, circle: str) -> None:
    await node.add_member("dee", "Dee")


async def _who(node: Node, kind: str) -> dict[str, list[str]]:
    """For each member who has tasks of ``kind``: their links."""
    found = {}
    for handle in HANDLES:
        links = [t.href for t in await node.gov.tasks(node.actor_of(handle)) if t.kind == kind]
        if links:
            found[handle] = links
    return found


async def test_a_round_not_answered(
    node: Node, circle: str, dee: None, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    assert await _who(node, "stance") == {}  # no round yet
    await to_consent(root)
    await node.gov.stance(root, "ana", "consent")
    assert await _who(node, "stance") == {h: [f"/proposals/{root}"] for h in ("ben", "cleo")}


async def test_a_round_that_can_close(
    node: Node, clock: FixedClock, circle: str, dee: None, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    await to_consent(root)
    await node.gov.stance(root, "ben", "consent")
    assert await _who(node, "close_round") == {}  # cleo and ana have not answered
    clock.advance(dt.timedelta(hours=73))  # the round's deadline passed
    assert await _who(node, "close_round") == {"ana": [f"/proposals/{root}"]}
    assert await _who(node, "stance") == {}  # too late to answer


async def test_an_objection_awaiting_an_amendment(
    node: Node, circle: str, dee: None, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    await to_consent(root)
    await node.gov.stance(root, "cleo", "object", "Too early.")
    assert await _who(node, "amend") == {"ben": [f"/proposals/{root}"]}


async def test_nominations_to_reveal_and_an_election_round_to_close(
    node: Node, circle: str, dee: None
) -> None:
    gov, cleo = node.gov, node.actor_of("cleo")
    election = await gov.open_selection(circle, "ana", "secretary", "Keeps the minutes", 12)
    assert await _who(node, "reveal") == {}
    await gov.nominate(election, "ben", cleo)
    assert await _who(node, "reveal") == {"ana": [f"/elections/{election}"]}
    await gov.move_selection(election, "ana", "nomination_round")
    await gov.reveal(election, "ben", "keeps good notes")
    await gov.move_selection(election, "ana", "change_round")
    await gov.move_selection(election, "ana", "consent", candidate=cleo)
    assert await _who(node, "reveal") == {}
    link = [f"/elections/{election}"]
    assert await _who(node, "election_stance") == {h: link for h in ("ana", "ben", "cleo")}
    for handle in ("ana", "ben", "cleo"):
        await gov.selection_stance(election, handle, cleo, "consent")
    assert await _who(node, "election_stance") == {}
    assert await _who(node, "close_election") == {"ana": link}


async def test_an_action_item_owned(node: Node, clock: FixedClock, circle: str, dee: None) -> None:
    meeting = await node.gov.schedule_meeting(circle, "ana", "Meeting", clock.now())
    today = clock.now().date()
    await node.gov.write_minutes(
        meeting,
        "ana",
        attendance=[],
        agenda_consented=True,
        items=[
            {
                "title": "Repairs",
                "type": "report",
                "actions": [
                    {"what": "Call", "owner": node.actor_of("ben"), "due": today.isoformat()},
                    {"what": "Write", "owner": node.actor_of("cleo"), "due": "2026-01-01"},
                ],
            }
        ],
    )
    assert await _who(node, "action") == {
        "ben": [f"/meetings/{meeting}#action-1"],
        "cleo": [f"/meetings/{meeting}#action-2"],
    }
    overdue = {
        t.text: t.overdue for h in ("ben", "cleo") for t in await node.gov.tasks(node.actor_of(h))
    }
    assert overdue == {"Call": False, "Write": True}  # due today is not overdue yet
    await node.gov.mark_done(meeting, 2, "cleo")
    assert await _who(node, "action") == {"ben": [f"/meetings/{meeting}#action-1"]}


async def test_minutes_to_write_then_to_approve(
    node: Node, clock: FixedClock, circle: str, dee: None
) -> None:
    await node.set_membership(circle, "cleo", ["secretary"])
    meeting = await node.gov.schedule_meeting(
        circle, "ana", "Meeting", clock.now() + dt.timedelta(hours=1)
    )
    assert await _who(node, "write_minutes") == {}  # it has not begun
    clock.advance(dt.timedelta(hours=2))
    link = [f"/meetings/{meeting}"]
    assert await _who(node, "write_minutes") == {"ana": link, "cleo": link}
    minutes = await node.gov.write_minutes(meeting, "cleo", attendance=[], agenda_consented=True)
    assert await _who(node, "write_minutes") == {}
    assert await _who(node, "approve_minutes") == {"ana": link, "cleo": link}
    later = await node.gov.schedule_meeting(circle, "ana", "Next", clock.now())
    await node.gov.write_minutes(
        later, "cleo", attendance=[], agenda_consented=True, approves=minutes
    )
    assert await _who(node, "approve_minutes") == {
        "ana": [f"/meetings/{later}"],
        "cleo": [f"/meetings/{later}"],
    }
