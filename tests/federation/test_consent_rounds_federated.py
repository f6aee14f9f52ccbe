"""The round controls of the consent process across three real nodes (a federated circle
homed on A): extending and reopening a round, testing an objection, and a round held in
the room whose stances the secretary records; every node reaches the same effect, and
each control is refused with its code when it is not allowed (§13.2, §13.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.governance import logbook

HOUR = dt.timedelta(hours=1)


async def _setup(c: Cluster) -> tuple[str, ClusterNode, ClusterNode, ClusterNode]:
    """Ana (facilitator) on A, the home; Ben (secretary) on B; Cleo on D."""
    a, b, d = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await b.node.add_member("ben", "Ben")
    await d.node.add_member("cleo", "Cleo")
    circle = await c.federated_circle(
        a,
        [b, d],
        people={
            "ana": ["facilitator"],
            b.node.actor_of("ben"): ["secretary"],
            d.node.actor_of("cleo"): [],
        },
    )
    await c.settle()
    return circle.id, a, b, d


async def _open_round(c: Cluster, a: ClusterNode, circle: str) -> str:
    root = await a.node.gov.propose(circle, "ana", "Shared office", "Rent one together.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await a.node.gov.move(root, "ana", phase)
    await c.settle()
    return root


async def _same_everywhere(c: Cluster, circle: str) -> list[tuple[Any, ...]]:
    """The effects of the circle's order and its proposals, equal on every node."""
    states = []
    for n in c.nodes:
        effects = await n.store.fetchall(
            "SELECT pos, envelope_id, status, code FROM gov_effects WHERE scope = ? ORDER BY pos",
            (circle,),
        )
        proposals = await n.store.fetchall(
            "SELECT root, phase, deadline, outcome, decision_id, state FROM proposals"
            " WHERE circle_id = ?",
            (circle,),
        )
        states.append((effects, proposals))
    assert states[1] == states[0]
    assert states[2] == states[0]
    return list(states[0][0])


async def _verifies_offline(n: ClusterNode, circle: str) -> None:
    """The circle's logbook, exported by ``n``, replays offline to the same entries."""
    data = await n.node.gov.logbook_export(circle, "jsonl")
    report = await logbook.verify_export(data, signer=n.node.node_id)
    assert report.entries == len(await n.node.gov.logbook(circle))


async def _code(call: Any) -> str:
    with pytest.raises(DomainError) as info:
        await call
    return info.value.code


async def test_a_round_extended_then_reopened_takes_late_stances_on_every_node(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _setup(c)
        root = await _open_round(c, a, circle)
        await b.node.gov.stance(root, "ben", "consent")
        await c.settle()
        deadline = (await a.node.gov.proposal(root)).state.deadline  # type: ignore[union-attr]
        assert deadline is not None
        # Refused: Ben is no facilitator (checked on his own node), an earlier deadline.
        assert await _code(b.node.gov.extend(root, "ben", deadline + HOUR)) == (
            "consent.not_facilitator"
        )
        assert await _code(a.node.gov.extend(root, "ana", deadline - HOUR)) == (
            "consent.bad_deadline"
        )
        await a.node.gov.extend(root, "ana", deadline + 24 * HOUR)
        await c.settle()
        c.clock.advance(80 * HOUR)  # past the old deadline, before the new one
        late = await d.node.gov.stance(root, "cleo", "concern", "the rent may rise")
        await c.settle()
        effects = await _same_everywhere(c, circle)
        assert [e[2:] for e in effects if e[1] == late] == [("applied", None)]
        # The extended deadline passes too: the facilitator reopens the round.
        c.clock.advance(40 * HOUR)
        assert await _code(a.node.gov.stance(root, "ana", "consent")) == "consent.round_closed"
        now = c.clock.now()
        await a.node.gov.extend(root, "ana", now + 24 * HOUR)
        await a.node.gov.stance(root, "ana", "consent")
        await c.settle()
        await _same_everywhere(c, circle)
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.deadline == now.replace(microsecond=0) + 24 * HOUR
            assert len(view.state.stances) == 3, n  # Ben's and Cleo's kept, Ana's added
        await a.node.gov.decide(root, "ana")  # everyone answered: it closes at once
        await c.settle()
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted", n


async def test_an_objection_found_to_be_none_lets_the_decision_through_everywhere(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _setup(c)
        root = await _open_round(c, a, circle)
        objection = await d.node.gov.stance(root, "cleo", "object", "I prefer blue walls")
        await b.node.gov.stance(root, "ben", "stand_aside", "I will not use the office")
        await a.node.gov.stance(root, "ana", "consent")
        await c.settle()
        assert await _code(a.node.gov.decide(root, "ana")) == "consent.objection_unresolved"
        assert await _code(
            b.node.gov.test_objection(root, "ben", objection, valid=False, reason="taste")
        ) == ("consent.not_facilitator")
        assert await _code(
            a.node.gov.test_objection(root, "ana", root, valid=False, reason="taste")
        ) == ("consent.unknown_objection")
        test = await a.node.gov.test_objection(
            root, "ana", objection, valid=False, reason="a preference, not a harm to the aim"
        )
        await c.settle()
        decision = await a.node.gov.decide(root, "ana")
        await c.settle()
        effects = await _same_everywhere(c, circle)
        assert all(e[2] == "applied" for e in effects)
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted", n
            (o,) = view.state.objections
            assert (o.valid, o.test) == (False, test)
            held = await n.store.get_envelope(decision)
            assert held is not None
            assert held.body is not None
            assert held.body["tests"] == [test]
            assert objection in held.body["stances"]
            assert await n.node.gov.disputes(root) == []
        await _verifies_offline(b, circle)


async def test_the_secretary_records_a_round_held_in_the_room(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _setup(c)
        root = await _open_round(c, a, circle)
        meeting = await b.node.gov.schedule_meeting(
            circle, "ben", "Monthly meeting", c.clock.now() + HOUR
        )
        await c.settle()
        ana, cleo = a.node.actor_of("ana"), d.node.actor_of("cleo")
        # Cleo is no secretary; a meeting that is not the circle's is none.
        assert await _code(
            d.node.gov.stance(root, "cleo", "consent", member=ana, meeting=meeting)
        ) == ("consent.not_secretary")
        assert await _code(b.node.gov.stance(root, "ben", "consent", member=ana, meeting=root)) == (
            "consent.no_meeting"
        )
        for who, value, reason in ((ana, "consent", ""), (cleo, "object", "too far away")):
            await b.node.gov.stance(root, "ben", value, reason, member=who, meeting=meeting)
        await c.settle()
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.stances[cleo].recorded_by == b.node.actor_of("ben"), n
            assert view.state.stances[cleo].meeting == meeting
        # Cleo's own stance replaces the one recorded for her.
        await d.node.gov.stance(root, "cleo", "consent")
        await b.node.gov.stance(root, "ben", "consent")
        await c.settle()
        await b.node.gov.write_minutes(
            meeting, "ben", attendance=[ana, cleo, b.node.actor_of("ben")], agenda_consented=True
        )
        await c.settle()
        # Once the minutes are written, the meeting is over: no more stances recorded in it.
        assert await _code(
            b.node.gov.stance(root, "ben", "concern", "late", member=ana, meeting=meeting)
        ) == ("consent.no_meeting")
        await _same_everywhere(c, circle)
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.stances[cleo].recorded_by is None, n
            assert view.state.stances[ana].recorded_by == b.node.actor_of("ben")
            assert view.state.open_objections() == []
        await a.node.gov.decide(root, "ana")
        await c.settle()
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted", n
        await _verifies_offline(d, circle)
