"""Structure by consent (PROTOCOL.md §13.14) across three real nodes: in a federated
circle other organizations joined, members, roles and the charter change only by an
adopted decision of the circle, which the home carries out; a home that changes them
without one is refused by every other member node and kept there as a dispute."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp
import pytest
import structlog
from harness import ClusterNode
from nacl.signing import SigningKey

from node.domain.errors import DomainError
from node.store import OrderMark
from protocol import Draft, Envelope, envelope_id, format_ts, node_id_of, sign


async def _effects(n: ClusterNode, circle: str, ids: list[str]) -> list[tuple[str, str | None]]:
    rows = await n.store.fetchall(
        "SELECT envelope_id, status, code FROM gov_effects WHERE scope = ?", (circle,)
    )
    found = {r[0]: (r[1], r[2]) for r in rows}
    return [found[i] for i in ids]


async def _charter(n: ClusterNode, circle: str) -> tuple[str, int]:
    [row] = await n.node.circles()
    assert row["id"] == circle
    return row["aim"], row["round_hours"]


async def _hostile_home(
    a: ClusterNode, circle: str, bodies: list[tuple[str, dict[str, Any]]]
) -> list[Envelope]:
    """What a hostile home signs past its own node's refusal: the next envelopes of its
    feed in the circle, built and signed with the protocol library, with the next
    positions of its order."""
    head = (await a.store.heads(circle))[a.node_id]
    prev = (
        await a.store.fetchone(
            "SELECT head_id FROM feeds WHERE author = ? AND scope = ?", (a.node_id, circle)
        )
    )[0]
    envs = []
    for i, (kind, body) in enumerate(bodies):
        env = sign(
            Draft(
                kind=kind,
                scope=circle,
                seq=head + 1 + i,
                prev=prev,
                body=body,
                ts=format_ts(a.node.clock.now()),
            ),
            a.key,
        )
        prev = envelope_id(env)
        envs.append(env)
    return envs


async def test_a_home_cannot_change_a_joined_circle_without_a_decision(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        ben = b.node.actor_of("ben")
        before = await a.export()
        # The reference home refuses to write it at all, whatever its admin asks.
        for args in (
            (d.node_id, (), "removed"),
            (ben, ["secretary"], "active"),
            ("ana", [], "removed"),
        ):
            with pytest.raises(DomainError) as err:
                await a.node.set_membership(circle, *args)
            assert err.value.code == "circle.not_decided"
        assert await a.export() == before

        # A hostile home signs them anyway and sends them with the next positions: every
        # other member node keeps them, refuses their effect and records a dispute.
        new_charter = {"name": "General", "aim": "Whatever A wants", "federated": True}
        stranger = node_id_of(SigningKey(bytes([7]) * 32))
        envs = await _hostile_home(
            a,
            circle,
            [
                ("membership", {"member": d.node_id, "status": "removed", "final_seq": 1}),
                ("membership", {"member": ben, "status": "active", "roles": ["facilitator"]}),
                ("circle", new_charter),
                ("membership", {"member": stranger, "status": "active"}),
            ],
        )
        ids = [envelope_id(e) for e in envs]
        [pos] = await a.store.fetchone(
            "SELECT max(pos) FROM circle_order WHERE scope = ?", (circle,)
        )
        at = format_ts(a.node.clock.now())
        marks = [OrderMark(pos + 1 + i, at) for i in range(len(envs))]
        for member in (b, d):
            results = await a.fed.client.inbox(
                member.node_id, member.url, [e.to_bytes() for e in envs], order=marks
            )
            assert [r["status"] for r in results] == ["accepted"] * 4
            assert await _effects(member, circle, ids) == [("refused", "circle.not_decided")] * 4
            disputes = await member.node.gov.disputes()
            assert sorted(x["envelope_id"] for x in disputes) == sorted(ids)
            assert {x["code"] for x in disputes} == {"circle.not_decided"}
            held = await member.node.circle(circle)
            assert held is not None
            assert held.is_active(d.node_id)
            assert held.members[ben].roles == ()
            assert held.holders("facilitator") == [a.node.actor_of("ana")]
            assert await _charter(member, circle) == ("Coordinate the General", 72)
            # The invitation was taken when it arrived, and withdrawn at its position.
            assert held.members[stranger].status == "removed"
            # Rebuilt from the log and the order, the node reaches the same state.
            rows = await member.store.circle_member_rows(circle)
            await member.store.rebuild_projections()
            assert await member.store.circle_member_rows(circle) == rows
            assert await _charter(member, circle) == ("Coordinate the General", 72)


async def test_an_adopted_structural_proposal_changes_the_circle_on_every_node(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        ben, cleo = b.node.actor_of("ben"), d.node.actor_of("cleo")
        await b.node.add_member("bo", "Bo")
        bo = b.node.actor_of("bo")
        charter = {
            "name": "General",
            "aim": "Coordinate the General, faster",
            "federated": True,
            "round_hours": 48,
        }
        changes = [
            {"op": "member", "member": ben, "status": "active", "roles": ["secretary"]},
            {"op": "member", "member": bo, "status": "active"},
            {"op": "member", "member": cleo, "status": "removed"},
            {"op": "charter", "charter": charter},
        ]
        decision = await c.decide_structure(a, circle, changes)
        await c.settle()
        carried = await a.store.fetchall(
            "SELECT e.id, e.kind FROM envelopes e JOIN gov_effects g ON g.envelope_id = e.id"
            " WHERE e.scope = ? AND e.kind IN ('membership', 'circle') AND g.pos >"
            " (SELECT pos FROM gov_effects WHERE envelope_id = ?) ORDER BY g.pos",
            (circle, decision),
        )
        assert [k for _, k in carried] == ["membership", "membership", "membership", "circle"]
        for n in c.nodes:
            ids = [i for i, _ in carried]
            assert await _effects(n, circle, ids) == [("applied", None)] * 4, n
            held = await n.node.circle(circle)
            assert held is not None
            assert held.members[ben].roles == ("secretary",)
            assert held.is_active(bo)
            assert not held.is_active(cleo)
            assert await _charter(n, circle) == ("Coordinate the General, faster", 48)
            assert await n.node.gov.disputes() == []
            rows = await n.store.circle_member_rows(circle)
            await n.store.rebuild_projections()
            assert await n.store.circle_member_rows(circle) == rows
            # Each envelope names the decision it carries out.
            for env_id, _ in carried:
                env = await n.store.get_envelope(env_id)
                assert env is not None
                assert decision in env.refs
        # Carried out once: a second membership naming the same decision is refused.
        with pytest.raises(DomainError) as err:
            await a.node.set_membership(circle, bo, [], "active", refs=(decision,))
        assert err.value.code == "circle.not_decided"

        # The decision removes a node the same way; D hears its removal.
        remove_d = {"op": "member", "member": d.node_id, "status": "removed"}
        await c.decide_structure(a, circle, [remove_d])
        await c.settle()
        for n in (a, b, d):
            held = await n.node.circle(circle)
            assert held is not None
            assert not held.is_active(d.node_id), n

        # An organization still leaves on its own, with no decision.
        await b.node.circle_invitations.leave(circle, "admin")
        await c.settle()
        held = await a.node.circle(circle)
        assert held is not None
        assert not held.is_active(b.node_id)


async def test_a_decided_change_is_carried_out_once_before_any_node_joined(
    cluster: Any,
) -> None:
    async with cluster(1) as c:
        [a] = c.nodes
        await a.node.add_member("ana", "Ana")
        await a.node.add_member("bo", "Bo")
        bo = a.node.actor_of("bo")
        circle = await c.federated_circle(a, [], people={"ana": ["facilitator"]})
        add_bo = {"op": "member", "member": bo, "status": "active"}
        decision = await c.decide_structure(a, circle.id, [add_bo])
        assert await a.node.gov.carry_out_structure() == []  # done already, once
        rows = await a.store.fetchall(
            "SELECT e.id FROM envelopes e JOIN gov_effects g ON g.envelope_id = e.id"
            " WHERE e.kind = 'membership' AND g.process IS NOT NULL AND e.scope = ?",
            (circle.id,),
        )
        assert len(rows) == 1
        env = await a.store.get_envelope(rows[0][0])
        assert env is not None
        assert decision in env.refs
        held = await a.node.circle(circle.id)
        assert held is not None
        assert held.is_active(bo)


async def test_a_decided_change_the_rules_refuse_waits_and_is_shown_to_the_admins(
    cluster: Any,
) -> None:
    """Two proposals each give the circle's one secretary seat to another person; both
    are adopted. The first is carried out; the second waits, is tried again without
    being logged again, and the home's admins see why on the admin page."""
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        await a.node.add_member("root", "Root", "admin", "a long admin password")
        ben, cleo = b.node.actor_of("ben"), d.node.actor_of("cleo")
        gov = a.node.gov
        roots = []
        for who in (ben, cleo):
            change = {"op": "member", "member": who, "status": "active", "roles": ["secretary"]}
            root = await gov.propose(circle, "ana", "A secretary", "As listed.", structure=[change])
            for phase in ("presented", "questions", "reactions", "consent"):
                await gov.move(root, "ana", phase)
            roots.append(root)
        with structlog.testing.capture_logs() as logs:
            for root in roots:
                view = await gov.proposal(root)
                assert view is not None
                await gov.stance(view.state.version_id, "ana", "consent")
            c.clock.advance(dt.timedelta(hours=73))
            for root in roots:
                await gov.decide(root, "ana")
            await gov.carry_out_structure()
            await gov.carry_out_structure()
        state = await a.node.circle(circle)
        assert state is not None
        assert state.holders("secretary") == [ben]
        [stuck] = gov.stuck()
        assert (stuck.what, stuck.code) == (cleo, "circle.role_taken")
        warned = [e for e in logs if e["event"] == "structure not carried out"]
        assert len(warned) == 1, warned
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{a.url}/login") as r:
                csrf = (await r.text()).split('name="_csrf" value="')[1].split('"')[0]
            form = {"_csrf": csrf, "handle": "root", "password": "a long admin password"}
            async with http.post(f"{a.url}/login", data=form) as r:
                assert r.status == 200
            async with http.get(f"{a.url}/admin") as r:
                page = await r.text()
        assert "the change for cleo (Node C)" in page, page
        assert "could not be made yet" in page
