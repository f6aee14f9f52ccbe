"""Campaigns across three real nodes: a campaign authored on the circle's home, actions
and statuses recorded on the two member nodes, the same scoreboard and timeline on all
three, after a partition too; an object the rules refuse is refused everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.store.campaigns import CAMPAIGN_TABLES

DAY = dt.timedelta(days=1)
TODAY = dt.date(2026, 11, 30)


async def _setup(c: Cluster) -> dict[str, Any]:
    a, b, d = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await b.node.add_member("ben", "Ben")
    await d.node.add_member("cleo", "Cleo")
    people = {"ana": ["facilitator"], b.node.actor_of("ben"): [], d.node.actor_of("cleo"): []}
    circle = await c.federated_circle(a, [b, d], people=people)
    camp = a.node.campaigns
    campaign = await camp.create_campaign(
        circle.id, "ana", name="Accountable Riverton", goal="Every demand met"
    )
    mayor = await camp.put_target(
        campaign, "ana", {"name": "Rosa Vance", "office_type": "mayor", "jurisdiction": "Riverton"}
    )
    da = await camp.put_target(
        campaign,
        "ana",
        {"name": "Hal Okafor", "office_type": "district_attorney", "jurisdiction": "Lake County"},
    )
    cameras = await camp.put_demand(
        campaign, "ana", title="Body cameras", text="Every officer wears one.", office_type="mayor"
    )
    other = await camp.create_campaign(circle.id, "ana", name="Budget", goal="Fund clinics")
    stranger = await camp.put_target(
        other, "ana", {"name": "Kim Lo", "office_type": "mayor", "jurisdiction": "Elm"}
    )
    await c.settle()
    return {
        "circle": circle.id,
        "campaign": campaign,
        "mayor": mayor,
        "da": da,
        "cameras": cameras,
        "stranger": stranger,
    }


async def _tables(n: ClusterNode) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(await n.store.fetchall(f"SELECT * FROM {t}")) for t in CAMPAIGN_TABLES}


async def _views(n: ClusterNode, s: dict[str, Any]) -> tuple[Any, ...]:
    """The scoreboard and the mayor's timeline as one node shows them (people by actor:
    names of members of other organizations are known on their own node only)."""
    board = await n.node.campaigns.scoreboard(s["campaign"], TODAY)
    detail = await n.node.campaigns.target(s["campaign"], s["mayor"], TODAY)
    assert board is not None
    assert detail is not None
    timeline = [(e.id, e.object, e.date, e.by.actor, e.body) for e in detail.timeline]
    return board, timeline, detail.pressure


async def _same_everywhere(c: Cluster, s: dict[str, Any]) -> tuple[Any, ...]:
    first = await _views(c.nodes[0], s)
    tables = await _tables(c.nodes[0])
    for n in c.nodes[1:]:
        assert await _views(n, s) == first
        assert await _tables(n) == tables
    return first


async def test_actions_and_statuses_from_three_nodes_show_the_same_board(cluster: Any) -> None:
    async with cluster(3) as c:
        _a, b, d = c.nodes
        s = await _setup(c)
        await b.node.campaigns.record_status(
            s["campaign"], "ben", demand=s["cameras"], target=s["mayor"], status="asked",
            date=TODAY - 10 * DAY,
        )  # fmt: skip
        await d.node.campaigns.log_action(
            s["campaign"], "cleo", target=s["mayor"], demand=s["cameras"], channel="call",
            date=TODAY - 2 * DAY, outcome="spoke to staff",
        )  # fmt: skip
        await b.node.campaigns.log_action(
            s["campaign"], "ben", target=s["da"], channel="email", date=TODAY - DAY
        )
        await c.settle()
        await d.node.campaigns.record_status(
            s["campaign"], "cleo", demand=s["cameras"], target=s["mayor"], status="in_talks",
            date=TODAY - DAY,
        )  # fmt: skip
        await c.settle()
        board, timeline, pressure = await _same_everywhere(c, s)
        assert [(o, actor.split("@")[0]) for _, o, _, actor, _ in timeline] == [
            ("status", "cleo"),
            ("action", "cleo"),
            ("status", "ben"),
        ]
        rosa = next(r for r in board.rows if r.target.name == "Rosa Vance")
        assert rosa.cells[0].status == "in_talks"
        assert rosa.cells[0].waiting_days == 10
        assert pressure.days_since_contact == 2
        # On Cleo's own node her name is shown, with her organization's.
        detail = await d.node.campaigns.target(s["campaign"], s["mayor"], TODAY)
        assert detail is not None
        assert (detail.timeline[0].by.name, detail.timeline[0].by.organization) == (
            "Cleo",
            d.node.config.name,
        )


async def test_a_partition_then_the_same_board_everywhere(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        s = await _setup(c)
        await c.stop(d)
        for i in range(3):
            await b.node.campaigns.log_action(
                s["campaign"], "ben", target=s["mayor"], channel="call", date=TODAY - i * DAY
            )
        await a.node.campaigns.record_status(
            s["campaign"], "ana", demand=s["cameras"], target=s["mayor"], status="asked",
            date=TODAY - 5 * DAY,
        )  # fmt: skip
        await c.settle()
        await c.start(d)
        # Cleo's node learns everything it missed, and its own action joins the order.
        await c.settle()
        await d.node.campaigns.log_action(
            s["campaign"], "cleo", target=s["mayor"], channel="rally", date=TODAY
        )
        await c.settle()
        _board, timeline, _ = await _same_everywhere(c, s)
        assert len(timeline) == 5
        assert sorted(o for _, o, _, _, _ in timeline) == ["action"] * 4 + ["status"]


async def test_a_status_for_a_target_the_campaign_does_not_name_is_refused_everywhere(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        _a, b, _d = c.nodes
        s = await _setup(c)
        body = {
            "object": "status",
            "campaign": s["campaign"],
            "demand": s["cameras"],
            "target": s["stranger"],  # a target of the other campaign
            "status": "asked",
            "date": TODAY.isoformat(),
            "evidence": {},
        }
        # The service on Ben's node refuses it before signing …
        with pytest.raises(DomainError) as exc:
            await b.node.campaigns.record_status(
                s["campaign"], "ben", demand=s["cameras"], target=s["stranger"], status="asked",
                date=TODAY,
            )  # fmt: skip
        assert exc.value.code == "campaign.unknown_target"
        # … and a node that signs it all the same sees it refused at its position.
        result = await b.node.author("campaign", s["circle"], body, actor=b.node.actor_of("ben"))
        await c.settle()
        for n in c.nodes:
            effect = await n.store.fetchone(
                "SELECT status, code FROM gov_effects WHERE envelope_id = ?", (result.id,)
            )
            assert tuple(effect) == ("refused", "campaign.unknown_target")
            rows = await n.store.fetchall(
                "SELECT 1 FROM campaign_statuses WHERE id = ?", (result.id,)
            )
            assert rows == []
        await _same_everywhere(c, s)
