"""Moving a circle's home by decision (PROTOCOL.md §13.15) across three real nodes: an
adopted charter change naming another member node as home passes the circle order to
it; the new home assigns the next positions, the old one is an ordinary member node, and
a position the old home still sends is refused (``order.not_home``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from harness import ClusterNode

from node.domain.errors import DomainError
from node.governance import logbook
from node.store import OrderMark
from protocol import Draft, envelope_id, format_ts, sign


async def _order(n: ClusterNode, circle: str) -> list[tuple[int, str, str, str | None]]:
    """Each position n applied: (pos, envelope, effect, code)."""
    rows = await n.store.fetchall(
        "SELECT o.pos, o.envelope_id, g.status, g.code FROM circle_order o"
        " LEFT JOIN gov_effects g ON g.envelope_id = o.envelope_id WHERE o.scope = ?"
        " ORDER BY o.pos",
        (circle,),
    )
    return [(int(p), str(i), str(s), c) for p, i, s, c in rows]


async def _outcome(n: ClusterNode, root: str) -> str | None:
    row = await n.store.fetchone("SELECT outcome FROM proposals WHERE root = ?", (root,))
    return None if row is None else row[0]


async def test_a_circle_moves_its_home_by_decision(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        charter = {
            "name": "General",
            "aim": "Coordinate the General",
            "federated": True,
            "home": b.node_id,
        }
        await c.decide_structure(a, circle, [{"op": "charter", "charter": charter}])
        await c.settle()
        [moved_at] = await a.store.fetchone(
            "SELECT max(pos) FROM circle_order WHERE scope = ?", (circle,)
        )
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert held.home == b.node_id, n
            assert await n.node.gov.disputes() == [], n

        # After the move: cleo (D) proposes, ana (A, now an ordinary member) facilitates;
        # each act goes to B, which orders it.
        gov_a, gov_d = a.node.gov, d.node.gov
        root = await gov_d.propose(circle, "cleo", "Meet monthly", "Once a month.")
        await c.settle()
        for phase in ("presented", "questions", "reactions", "consent"):
            await gov_a.move(root, "ana", phase)
            await c.settle()
        view = await gov_a.proposal(root)
        assert view is not None
        await gov_a.stance(view.state.version_id, "ana", "consent")
        await gov_d.stance(view.state.version_id, "cleo", "consent")
        await c.settle()

        c.clock.advance(dt.timedelta(hours=73))
        await gov_a.decide(root, "ana")
        await c.settle()

        orders = [await _order(n, circle) for n in c.nodes]
        assert orders[0] == orders[1] == orders[2]
        after = [row for row in orders[0] if row[0] > moved_at]
        assert len(after) == 8  # the proposal, four phases, two stances, the decision
        assert all(status == "applied" for _, _, status, _ in orders[0])
        for n in c.nodes:
            assert await _outcome(n, root) == "adopted", n
            # Its logbook, exported by any node, replays offline through the same move.
            data = await n.node.gov.logbook_export(circle, "jsonl")
            report = await logbook.verify_export(data, signer=n.node.node_id)
            assert report.entries == len(await n.node.gov.logbook(circle))
            assert report.disputed == []
            # Rebuilt from the log and the order, the node reaches the same home.
            await n.store.rebuild_projections()
            held = await n.node.circle(circle)
            assert held is not None
            assert held.home == b.node_id, n
        # The new home gave those positions: its own order holds them, and the old home
        # received them from it.
        envs = [await b.store.get_envelope(i) for _, i, _, _ in after]
        assert {e.author for e in envs if e is not None} == {a.node_id, d.node_id}

        # The old home's attempt to assign the next position is refused everywhere.
        head, prev = await a.store.fetchone(
            "SELECT head_seq, head_id FROM feeds WHERE author = ? AND scope = ?",
            (a.node_id, circle),
        )
        env = sign(
            Draft(
                kind="circle",
                scope=circle,
                seq=head + 1,
                prev=prev,
                body={"name": "General", "aim": "A's again", "federated": True},
                ts=format_ts(a.node.clock.now()),
            ),
            a.key,
        )
        mark = OrderMark(orders[0][-1][0] + 1, format_ts(a.node.clock.now()))
        for member in (b, d):
            results = await a.fed.client.inbox(
                member.node_id, member.url, [env.to_bytes()], order=[mark]
            )
            assert [r.get("code") for r in results] == ["order.not_home"], member
            assert await _order(member, circle) == orders[0]
            assert await member.store.get_envelope(envelope_id(env)) is None


async def test_a_member_offline_during_the_move_catches_up_from_both_homes(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        await c.stop(d)
        charter = {
            "name": "General",
            "aim": "Coordinate the General",
            "federated": True,
            "home": b.node_id,
        }
        await c.decide_structure(a, circle, [{"op": "charter", "charter": charter}])
        await c.settle()
        root = await a.node.gov.propose(circle, "ana", "Meet monthly", "Once a month.")
        await c.settle()
        await a.node.gov.move(root, "ana", "presented")
        await c.settle()
        assert (await _order(a, circle)) == (await _order(b, circle))

        await c.start(d)
        await c.settle()
        orders = [await _order(n, circle) for n in c.nodes]
        assert orders[2] == orders[0] == orders[1]
        held = await d.node.circle(circle)
        assert held is not None
        assert held.home == b.node_id
        row = await d.store.fetchone("SELECT phase FROM proposals WHERE root = ?", (root,))
        assert row is not None
        assert row[0] == "presented"


async def test_the_new_home_changes_a_circle_of_two_only_by_decision(cluster: Any) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link_all()
        await a.node.add_member("ana", "Ana")
        await b.node.add_member("ben", "Ben")
        people = {"ana": ["facilitator"], b.node.actor_of("ben"): []}
        circle = (await c.federated_circle(a, [b], people=people)).id
        await c.settle()
        charter = {
            "name": "General",
            "aim": "Coordinate the General",
            "federated": True,
            "home": b.node_id,
        }
        await c.decide_structure(a, circle, [{"op": "charter", "charter": charter}])
        await c.settle()
        held = await b.node.circle(circle)
        assert held is not None
        assert held.home == b.node_id
        # The founder is a member node like any other now: B alone decides nothing.
        with pytest.raises(DomainError) as err:
            await b.node.set_membership(circle, "ana@" + a.node_id, [], "removed")
        assert err.value.code == "circle.not_decided"
