"""The consent process on one node: commands through the Node service, the circle order,
the state kept in SQLite, refusals that change nothing, the deadline, and rebuild."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from node.clock import FixedClock
from node.domain.errors import DomainError
from node.service import Node
from node.store import SQLiteStore
from node.store.log import append_remote

ToConsent = Callable[[str], Awaitable[None]]  # the conftest's to_consent
Adopted = Callable[[str], Awaitable[tuple[str, str]]]  # the conftest's adopted

START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)

HOUR = dt.timedelta(hours=1)


async def test_a_whole_process_objection_amendment_adoption(
    node: Node, clock: FixedClock, circle: str, to_consent: ToConsent
) -> None:
    gov = node.gov
    root = await gov.propose(
        circle,
        "ben",
        "Rent strike fund",
        "Each member pays 5 a month.",
        review_date=dt.date(2027, 6, 1),
        measures=["fund balance reported monthly"],
    )
    await to_consent(root)
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


async def test_a_refused_command_signs_nothing(node: Node, circle: str) -> None:
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


async def test_the_deadline_and_silence(
    node: Node, clock: FixedClock, circle: str, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    await to_consent(root)
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


async def test_rebuild_reproduces_the_governance_state(
    node: Node, circle: str, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(circle, "ben", "Paint the hall", "Green.")
    await to_consent(root)
    await node.gov.stance(root, "cleo", "object", "blue is calmer")

    async def tables() -> list[list[tuple[object, ...]]]:
        return [
            sorted(await node.store.fetchall(f"SELECT * FROM {t}"))
            for t in ("gov_applied", "gov_effects", "proposals", "disputes")
        ]

    before = await tables()
    await node.store.rebuild_projections()
    assert await tables() == before


async def test_export_and_import_keep_the_governance_state(
    node: Node,
    tmp_path: Path,
    new_store: Callable[[Path], SQLiteStore],
    circle: str,
    adopted: Adopted,
) -> None:
    from node.cli.data import parse_lines, parse_order
    from node.store import governance

    await adopted(circle)
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


async def test_the_charters_quorum_keeps_a_round_open_until_enough_members_answered(
    node: Node, clock: FixedClock
) -> None:
    for handle in ("ana", "ben", "cleo"):
        await node.add_member(handle, handle.title())
    circle = (await node.create_circle("Housing", "Fair rents", quorum=60)).id
    for handle, roles in (("ana", ["facilitator"]), ("ben", []), ("cleo", [])):
        await node.set_membership(circle, handle, roles)
    root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await node.gov.move(root, "ana", phase)
    await node.gov.stance(root, "ben", "consent")
    clock.advance(73 * HOUR)
    with pytest.raises(DomainError) as exc:
        await node.gov.decide(root, "ana")  # 1 of 3 answered: below 60 %
    assert exc.value.code == "consent.below_quorum"
    await node.gov.extend(root, "ana", clock.now() + HOUR)
    await node.gov.stance(root, "cleo", "stand_aside", "I am moving out")
    clock.advance(2 * HOUR)
    await node.gov.decide(root, "ana")  # 2 of 3 answered; Ana is silent
    view = await node.gov.proposal(root)
    assert view is not None
    assert view.state.outcome == "adopted"
    with pytest.raises(DomainError) as exc:
        await node.create_circle("Too strict", "x", quorum=101)
    assert exc.value.code == "schema.invalid"
