"""The campaign service on a real node: every command and read, every refusal leaving
nothing behind, adoption by decision, imports, and the tables rebuilt from the order."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from node.domain.errors import DomainError
from node.service import Node
from node.store.campaigns import CAMPAIGN_TABLES

TODAY = dt.date(2026, 11, 22)  # the fixed clock's day, a Sunday
Tables = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Seeded:
    circle: str
    campaign: str
    mayor: str
    da: str
    cameras: str  # a demand of every mayor
    bail: str  # a demand of the district attorney alone


@pytest.fixture
async def seeded(node: Node, circle: str) -> Seeded:
    c = node.campaigns
    campaign = await c.create_campaign(
        circle, "ben", name="Accountable Riverton", goal="Every demand met", pressure_days=5
    )
    mayor = await c.put_target(
        campaign,
        "ben",
        {"name": "Rosa Vance", "office_type": "mayor", "jurisdiction": "Riverton"},
    )
    da = await c.put_target(
        campaign,
        "ben",
        {
            "name": "Hal Okafor",
            "office_type": "district_attorney",
            "jurisdiction": "Lake County",
            "candidacy": {"election_date": "2027-11-02", "office": "District Attorney"},
        },
    )
    cameras = await c.put_demand(
        campaign, "ben", title="Body cameras", text="Every officer wears one.", office_type="mayor"
    )
    bail = await c.put_demand(
        campaign, "cleo", title="End money bail", text="No cash bail for the poor.", target=da
    )
    return Seeded(circle, campaign, mayor, da, cameras, bail)


def _tables(conn: sqlite3.Connection) -> Tables:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in CAMPAIGN_TABLES}


async def _everything(node: Node) -> tuple[int, Tables]:
    count = await node.store.fetchone("SELECT count(*) FROM envelopes")
    return int(count[0]), await node.store.write(_tables)


async def test_a_campaign_with_its_targets_demands_and_plans(node: Node, seeded: Seeded) -> None:
    c = node.campaigns
    listed = await c.campaigns()
    assert [(s.name, s.circle_name, s.targets, s.demands) for s in listed] == [
        ("Accountable Riverton", "Coalition", 2, 2)
    ]
    assert listed[0].standing.draft
    assert await c.campaigns(viewer="ben") == listed
    assert await c.campaigns(viewer="dan") == []  # not a member of the circle

    view = await c.campaign(seeded.campaign, viewer="ben")
    assert view is not None
    assert await c.campaign(seeded.campaign, viewer="dan") is None
    assert view.body.pressure_days == 5
    assert view.created_by.name == "Ben Example"
    assert view.created_by.organization == "Riverside Tenants"
    assert [t.name for t in view.targets] == ["Hal Okafor", "Rosa Vance"]
    assert [(d.body.title, d.asked_of, d.created_by.name) for d in view.demands] == [
        ("Body cameras", "mayor", "Ben Example"),
        ("End money bail", "Hal Okafor", "Cleo Example"),
    ]
    assert all(d.standing.draft and not d.standing.proposed_change for d in view.demands)

    updated = await c.update_campaign(seeded.campaign, "ana", status="paused")
    view = await c.campaign(seeded.campaign)
    assert view is not None
    assert (view.body.status, view.body.name, view.standing.version) == (
        "paused",
        "Accountable Riverton",
        updated,
    )


async def test_statuses_actions_commitments_and_answers_make_the_timeline_and_board(
    node: Node, seeded: Seeded
) -> None:
    c, s = node.campaigns, seeded
    await c.record_status(
        s.campaign, "ben", demand=s.cameras, target=s.mayor, status="asked",
        date=dt.date(2026, 11, 2), evidence_url="https://riverton.example/letter",
    )  # fmt: skip
    await c.record_status(
        s.campaign, "cleo", demand=s.cameras, target=s.mayor, status="in_talks",
        date=dt.date(2026, 11, 10), quote="We are looking into it.",
    )  # fmt: skip
    await c.log_action(
        s.campaign, "ana", target=s.mayor, demand=s.cameras, channel="call",
        date=dt.date(2026, 11, 20), outcome="left a message",
    )  # fmt: skip
    promise = await c.record_commitment(
        s.campaign, "ben", target=s.mayor, demand=s.cameras, what="A policy draft",
        made=dt.date(2026, 11, 21), due=dt.date(2026, 12, 15),
    )  # fmt: skip
    await c.record_commitment(
        s.campaign, "ben", target=s.mayor, demand=s.cameras, what="A policy draft",
        made=dt.date(2026, 11, 21), due=dt.date(2026, 12, 15), kept="kept",
        commitment_id=promise,
    )  # fmt: skip
    await c.record_answer(s.campaign, "cleo", target=s.da, demand=s.bail, answer="partly")

    detail = await c.target(s.campaign, s.mayor, TODAY)
    assert detail is not None
    assert [(e.object, e.date, e.by.name, e.demand_title) for e in detail.timeline] == [
        ("commitment", dt.date(2026, 11, 21), "Ben Example", "Body cameras"),
        ("action", dt.date(2026, 11, 20), "Ana Example", "Body cameras"),
        ("status", dt.date(2026, 11, 10), "Cleo Example", "Body cameras"),
        ("status", dt.date(2026, 11, 2), "Ben Example", "Body cameras"),
    ]
    assert getattr(detail.timeline[0].body, "kept", None) == "kept"
    assert (detail.pressure.days_since_contact, detail.pressure.stale) == (2, False)

    board = await c.scoreboard(s.campaign, TODAY)
    assert board is not None
    assert [d.title for d in board.demands] == ["Body cameras", "End money bail"]
    assert [r.target.name for r in board.rows] == ["Hal Okafor", "Rosa Vance"]
    hal, rosa = board.rows
    assert hal.cells[0] is None  # body cameras are asked of mayors
    assert hal.cells[1] is not None
    assert (hal.cells[1].status, hal.cells[1].answer) == ("not_asked", "partly")
    assert hal.pressure.stale  # nobody contacted him
    cell = rosa.cells[0]
    assert cell is not None
    assert (cell.status, cell.asked_on, cell.waiting_days) == ("in_talks", dt.date(2026, 11, 2), 20)
    assert rosa.cells[1] is None


async def test_the_week_ahead_shows_plans_and_pledges(node: Node, seeded: Seeded) -> None:
    c, s = node.campaigns, seeded
    plan = await c.put_plan(
        s.campaign, "ben", title="Call day", channel="call", weekday=1,
        starts=dt.date(2026, 11, 1), targets=[s.mayor], demand=s.cameras, script="Hello …",
    )  # fmt: skip
    tuesday = dt.date(2026, 11, 24)
    await c.pledge(s.campaign, "cleo", plan=plan, date=tuesday)
    await c.log_action(s.campaign, "cleo", target=s.mayor, channel="call", date=tuesday, plan=plan)
    for handle, pledged in (("cleo", True), ("ben", False)):
        week = await c.week(handle, TODAY)
        assert [(o.title, o.date, o.pledged) for o in week] == [("Call day", tuesday, pledged)]
        assert [t.name for t in week[0].targets] == ["Rosa Vance"]
        assert [p.name for p in week[0].pledges] == ["Cleo Example"]
        assert week[0].demand_title == "Body cameras"
    assert await c.week("dan", TODAY) == []
    view = await c.campaign(s.campaign)
    assert view is not None
    assert [(p.body.title, p.target_names) for p in view.plans] == [("Call day", ("Rosa Vance",))]


Refusal = Callable[[Node, Seeded], Awaitable[object]]


async def _plan(node: Node, s: Seeded) -> str:
    return await node.campaigns.put_plan(
        s.campaign, "ben", title="Call day", channel="call", weekday=1, starts=TODAY
    )


REFUSALS: dict[str, Refusal] = {
    "campaign.not_member": lambda n, s: n.campaigns.log_action(
        s.campaign, "dan", target=s.mayor, channel="call", date=TODAY
    ),
    "campaign.unknown_campaign": lambda n, s: n.campaigns.put_target(
        s.mayor, "ben", {"name": "X", "office_type": "mayor", "jurisdiction": "Y"}
    ),
    "campaign.unknown_target": lambda n, s: n.campaigns.log_action(
        s.campaign, "ben", target=s.cameras, channel="call", date=TODAY
    ),
    "campaign.unknown_demand": lambda n, s: n.campaigns.record_status(
        s.campaign, "ben", demand=s.mayor, target=s.mayor, status="asked", date=TODAY
    ),
    "campaign.unknown_plan": lambda n, s: n.campaigns.pledge(
        s.campaign, "ben", plan=s.cameras, date=TODAY
    ),
    "campaign.not_asked_of": lambda n, s: n.campaigns.record_status(
        s.campaign, "ben", demand=s.cameras, target=s.da, status="asked", date=TODAY
    ),
    "campaign.not_candidate": lambda n, s: n.campaigns.record_answer(
        s.campaign, "ben", target=s.mayor, demand=s.cameras, answer="pledged"
    ),
    "campaign.bad_ref": lambda n, s: n.campaigns.put_demand(
        s.campaign, "ben", title="T", text="x", office_type="mayor", demand_id=s.mayor
    ),
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
async def test_each_refusal_raises_its_code_and_stores_nothing(
    node: Node, seeded: Seeded, code: str
) -> None:
    await _plan(node, seeded)
    before = await _everything(node)
    with pytest.raises(DomainError) as exc:
        await REFUSALS[code](node, seeded)
    assert exc.value.code == code
    assert await _everything(node) == before


async def test_a_body_the_schema_refuses_stores_nothing(node: Node, seeded: Seeded) -> None:
    before = await _everything(node)
    with pytest.raises(DomainError) as exc:
        await node.campaigns.log_action(
            seeded.campaign, "ben", target=seeded.mayor, channel="carrier pigeon", date=TODAY
        )
    assert exc.value.code.startswith("schema.")
    assert await _everything(node) == before


async def _adopt(node: Node, circle: str, adopts: list[str]) -> str:
    gov = node.gov
    root = await gov.propose(circle, "ben", "Our campaign", "We stand by it.", adopts=adopts)
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    for handle in ("ana", "ben", "cleo"):
        await gov.stance(root, handle, "consent")
    return await gov.decide(root, "ana")


async def test_a_decision_adopts_drafts_and_new_wording_is_a_draft_again(
    node: Node, seeded: Seeded
) -> None:
    c, s = node.campaigns, seeded
    await _adopt(node, s.circle, [s.campaign, s.cameras, s.mayor])
    view = await c.campaign(s.campaign)
    assert view is not None
    assert not view.standing.draft
    standing = {d.body.title: d.standing for d in view.demands}
    assert not standing["Body cameras"].draft
    assert standing["End money bail"].draft  # not named by the decision
    assert [t.standing.draft for t in view.targets] == [True, False]  # Hal, Rosa

    reworded = await c.put_demand(
        s.campaign, "ben", title="Body cameras", text="Every officer, every shift.",
        office_type="mayor", demand_id=s.cameras,
    )  # fmt: skip
    view = await c.campaign(s.campaign)
    assert view is not None
    cameras = view.demands[0]
    assert (cameras.standing.draft, cameras.standing.proposed_change) == (True, True)
    assert cameras.body.text == "Every officer, every shift."
    assert cameras.adopted_body is not None
    assert cameras.adopted_body.text == "Every officer wears one."

    await _adopt(node, s.circle, [reworded])
    view = await c.campaign(s.campaign)
    assert view is not None
    assert not view.demands[0].standing.draft
    assert view.demands[0].adopted_body is None


async def test_a_decision_adopting_what_is_no_campaign_object_changes_nothing(
    node: Node, seeded: Seeded
) -> None:
    status = await node.campaigns.record_status(
        seeded.campaign, "ben", demand=seeded.cameras, target=seeded.mayor, status="asked",
        date=TODAY,
    )  # fmt: skip
    gov = node.gov
    root = await gov.propose(seeded.circle, "ben", "Adopt", "it", adopts=[status])
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    for handle in ("ana", "ben", "cleo"):
        await gov.stance(root, handle, "consent")
    before = await _everything(node)
    with pytest.raises(DomainError) as exc:
        await gov.decide(root, "ana")
    assert exc.value.code == "consent.unknown_object"
    assert await _everything(node) == before


async def test_rebuild_gives_the_same_tables(node: Node, seeded: Seeded) -> None:
    c, s = node.campaigns, seeded
    await _adopt(node, s.circle, [s.campaign, s.cameras])
    await c.put_demand(
        s.campaign, "ben", title="Body cameras", text="New words", office_type="mayor",
        demand_id=s.cameras,
    )  # fmt: skip
    await c.log_action(s.campaign, "ana", target=s.mayor, channel="email", date=TODAY)
    await c.record_status(
        s.campaign, "ben", demand=s.bail, target=s.da, status="refused", date=TODAY
    )
    with pytest.raises(DomainError):
        await c.log_action(s.campaign, "dan", target=s.mayor, channel="email", date=TODAY)
    before = await node.store.write(_tables)
    assert before["campaign_actions"]
    await node.store.rebuild_projections()
    assert await node.store.write(_tables) == before


CSV = (
    "id,name,office_type,jurisdiction,party\n"
    "openstates:ocd-person/1,Rosa Vance,mayor,Riverton,Green\n"
    "openstates:ocd-person/2,Lee Park,mayor,Oak Falls,\n"
)


async def test_import_dry_run_then_real_then_again(node: Node, seeded: Seeded) -> None:
    c, s = node.campaigns, seeded
    before = await _everything(node)
    dry = await c.import_targets(s.campaign, "ben", [("people.csv", CSV)], dry_run=True)
    assert dry.ok
    assert [(t.record.line, t.action) for t in dry.plan.targets] == [(2, "changed"), (3, "new")]
    assert dry.recorded == ()
    assert await _everything(node) == before

    real = await c.import_targets(s.campaign, "ben", [("people.csv", CSV)])
    assert len(real.recorded) == 2
    targets = {t.name: t for t in await c.targets(s.campaign)}
    assert sorted(targets) == ["Hal Okafor", "Lee Park", "Rosa Vance"]
    assert targets["Rosa Vance"].id == s.mayor  # updated, not duplicated
    assert targets["Rosa Vance"].body.party == "Green"

    again = await c.import_targets(s.campaign, "ben", [("people.csv", CSV)])
    assert [t.action for t in again.plan.targets] == ["unchanged", "unchanged"]
    assert again.recorded == ()
    exported = await c.export_csv(s.campaign)
    assert exported.splitlines()[0].startswith("id,given_name,family_name,name")
    assert "Lee Park" in exported


async def test_an_import_with_problems_changes_nothing(node: Node, seeded: Seeded) -> None:
    before = await _everything(node)
    bad = CSV + "openstates:ocd-person/3,Ann Lo,Mayor!,Elm,\n"
    report = await node.campaigns.import_targets(
        seeded.campaign, "ben", [("people.csv", bad), ("notes.txt", "hello")]
    )
    assert not report.ok
    assert report.recorded == ()
    assert [(p.file, p.line) for p in report.plan.problems] == [("people.csv", 4), ("notes.txt", 1)]
    assert await _everything(node) == before
