"""The consent process on one node: commands through the Node service, the circle order,
the state kept in SQLite, refusals that change nothing, review due, and rebuild."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from node.clock import FixedClock
from node.domain.errors import DomainError
from node.service import Node
from node.store import SQLiteStore
from node.store.log import append_remote

START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)

HOUR = dt.timedelta(hours=1)


async def _circle(node: Node) -> str:
    for handle in ("ana", "ben", "cleo"):
        await node.add_member(handle, handle.title())
    circle = await node.create_circle("Housing", "Fair rents for every tenant")
    await node.set_membership(circle.id, "ana", ["facilitator"])
    await node.set_membership(circle.id, "ben")
    await node.set_membership(circle.id, "cleo")
    return circle.id


async def _to_consent(node: Node, root: str) -> None:
    for phase in ("presented", "questions", "reactions", "consent"):
        await node.gov.move(root, "ana", phase)


async def test_a_whole_process_objection_amendment_adoption(node: Node, clock: FixedClock) -> None:
    circle = await _circle(node)
    gov = node.gov
    root = await gov.propose(
        circle,
        "ben",
        "Rent strike fund",
        "Each member pays 5 a month.",
        review_date=dt.date(2027, 6, 1),
        measures=["fund balance reported monthly"],
    )
    await _to_consent(node, root)
    await gov.stance(root, "ana", "consent")
    objection = await gov.stance(root, "cleo", "object", "5 a month excludes members on benefits")
    with pytest.raises(DomainError) as exc:
        await gov.decide(root, "ana")
    assert exc.value.code == "consent.objection_unresolved"

    await gov.move(root, "ana", "integrating")
    v2 = await gov.amend(
        root, "ben", "Rent strike fund", "Pay what you can, 5 suggested.", "a sliding scale"
    )
    await gov.move(root, "ana", "consent")
    with pytest.raises(DomainError) as exc:
        await gov.stance(root, "ana", "consent")  # the first version's stances are over
    assert exc.value.code == "consent.wrong_version"
    for handle in ("ana", "ben"):
        await gov.stance(v2, handle, "consent")
    await gov.stance(v2, "cleo", "concern", "watch that the fund stays solvent")
    decision = await gov.decide(root, "ana")

    view = await gov.proposal(root)
    assert view is not None
    assert view.state.outcome == "adopted"
    assert view.decision_id == decision
    assert [o.stance for o in view.state.objections] == [objection]
    assert view.state.objections[0].resolved_by == v2
    assert view.texts[v2] == "Pay what you can, 5 suggested."
    assert [e.status for e in view.effects] == ["applied"] * len(view.effects)
    decided = view.effects[-1]
    assert decided.kind == "decision"
    assert decided.body is not None
    assert decided.body["resolutions"] == [
        {"objection": objection, "how": "a sliding scale", "version": v2}
    ]
    assert len(decided.body["stances"]) == 3
    assert decided.body["review_date"] == "2027-06-01"
    listed = await gov.proposals(circle)
    assert [(p["root"], p["phase"], p["version"]) for p in listed] == [(root, "adopted", 2)]


async def test_a_refused_command_signs_nothing(node: Node) -> None:
    circle = await _circle(node)
    root = await node.gov.propose(circle, "ben", "Paint the hall", "Green.")
    before = await node.store.counts()
    cases = [
        (node.gov.move(root, "ben", "presented"), "consent.not_facilitator"),
        (node.gov.move(root, "ana", "consent"), "consent.bad_transition"),
        (node.gov.stance(root, "cleo", "consent"), "consent.not_in_round"),
        (node.gov.decide(root, "ana"), "consent.not_in_round"),
    ]
    for command, code in cases:
        with pytest.raises(DomainError) as exc:
            await command
        assert exc.value.code == code
    assert await node.store.counts() == before
    await node.add_member("dee", "Dee")  # not in the circle
    with pytest.raises(DomainError) as exc:
        await node.gov.propose(circle, "dee", "Mine", "x")
    assert exc.value.code == "consent.not_member"


async def test_the_deadline_and_silence(node: Node, clock: FixedClock) -> None:
    circle = await _circle(node)
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    await _to_consent(node, root)
    await node.gov.stance(root, "ben", "consent")
    with pytest.raises(DomainError) as exc:
        await node.gov.decide(root, "ana")
    assert exc.value.code == "consent.round_open"
    clock.advance(73 * HOUR)  # the circle's default round is 72 hours
    with pytest.raises(DomainError) as exc:
        await node.gov.stance(root, "cleo", "object", "too early")
    assert exc.value.code == "consent.round_closed"
    await node.gov.decide(root, "ana")  # silence counts as absence by default
    view = await node.gov.proposal(root)
    assert view is not None
    assert view.state.outcome == "adopted"
    assert view.effects[-1].body is not None
    assert sorted(view.effects[-1].body["silent"]) == [
        node.actor_of("ana"),
        node.actor_of("cleo"),
    ]


async def test_a_review_falls_due_and_comes_back(node: Node, clock: FixedClock) -> None:
    circle = await _circle(node)
    root = await node.gov.propose(
        circle, "ben", "Quiet hours", "After 22:00.", review_date=dt.date(2027, 1, 10)
    )
    await _to_consent(node, root)
    for handle in ("ana", "ben", "cleo"):
        await node.gov.stance(root, handle, "consent")
    decision = await node.gov.decide(root, "ana")
    assert await node.gov.start_due_reviews() == []  # not yet
    clock.advance(dt.timedelta(days=60))
    started = await node.gov.start_due_reviews()
    assert len(started) == 1
    review = await node.gov.proposal(started[0])
    assert review is not None
    assert review.state.review_of == decision
    assert review.state.phase == "draft"
    assert review.state.current.title == "Review: Quiet hours"
    assert review.texts[started[0]] == "After 22:00."
    assert await node.gov.start_due_reviews() == []  # brought back once


async def test_rebuild_reproduces_the_governance_state(node: Node) -> None:
    circle = await _circle(node)
    root = await node.gov.propose(circle, "ben", "Paint the hall", "Green.")
    await _to_consent(node, root)
    await node.gov.stance(root, "cleo", "object", "blue is calmer")

    async def tables() -> list[list[tuple[object, ...]]]:
        return [
            sorted(await node.store.fetchall(f"SELECT * FROM {t}"))
            for t in ("gov_applied", "gov_effects", "proposals", "disputes")
        ]

    before = await tables()
    await node.store.rebuild_projections()
    assert await tables() == before


async def _adopted(node: Node, circle: str) -> tuple[str, str]:
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    await _to_consent(node, root)
    for handle in ("ana", "ben", "cleo"):
        await node.gov.stance(root, handle, "consent")
    return root, await node.gov.decide(root, "ana")


async def test_a_meeting_with_minutes_in_the_logbook(node: Node, clock: FixedClock) -> None:
    circle = await _circle(node)
    root, decision = await _adopted(node, circle)
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


async def test_an_election_by_consent_gives_the_role(node: Node, clock: FixedClock) -> None:
    circle = await _circle(node)
    gov = node.gov
    election = await gov.open_selection(circle, "ana", "secretary", "Keeps the minutes", 12)
    ben, cleo = node.actor_of("ben"), node.actor_of("cleo")
    await gov.nominate(election, "ana", cleo)
    await gov.nominate(election, "ben", cleo)
    await gov.nominate(election, "cleo", ben)
    hidden = await gov.selection(election)
    assert hidden is not None
    assert all(n.nominee is None for n in hidden.nominations.values())  # sealed
    await gov.move_selection(election, "ana", "nomination_round")
    for handle in ("ana", "ben", "cleo"):
        await gov.reveal(election, handle, "keeps good notes")
    await gov.move_selection(election, "ana", "change_round")
    await gov.reveal(election, "cleo", "changed my mind", nominee=cleo)
    await gov.move_selection(election, "ana", "consent", candidate=cleo)
    for handle in ("ana", "ben", "cleo"):
        await gov.selection_stance(election, handle, cleo, "consent")
    await gov.record_selection(election, "ana")
    done = await gov.selection(election)
    assert done is not None
    assert done.selected == cleo
    assert done.term_start == clock.now().date()
    assert done.term_end == dt.date(2027, 11, 21)
    state = await node.circle(circle)
    assert state is not None
    assert state.holders("secretary") == [cleo]
    assert [e["kind"] for e in await gov.logbook(circle)] == ["policy", "selection"]
    assert await gov.expiring_terms() == []
    clock.advance(dt.timedelta(days=350))
    assert [s.id for s in await gov.expiring_terms()] == [election]


async def test_export_and_import_keep_the_governance_state(
    node: Node, tmp_path: Path, new_store: Callable[[Path], SQLiteStore]
) -> None:
    from node.cli.data import parse_lines, parse_order
    from node.store import governance

    circle = await _circle(node)
    await _adopted(node, circle)
    lines = [line async for line in node.store.export_lines()]
    lines += [line async for line in node.store.order_lines()]
    envelopes, order = parse_lines(b"\n".join(lines)), parse_order(b"\n".join(lines))
    (tmp_path / "copy").mkdir()
    target = new_store(tmp_path / "copy")
    async with target:

        def load(conn: sqlite3.Connection) -> None:
            for _, env, env_id in envelopes:
                append_remote(conn, env, env_id, START)
            for _, scope, pos, env_id, at in order:
                governance.record(conn, scope, pos, env_id, at)
            for scope in {o[1] for o in order}:
                governance.apply_pending(conn, scope)

        await target.write(load)
        for table in ("gov_effects", "proposals", "logbook"):
            sql = f"SELECT * FROM {table} ORDER BY 1"
            assert await target.fetchall(sql) == await node.store.fetchall(sql)
