"""A circle's role register across three organizations' nodes: several holders of a role,
limits the charter sets, custom roles, elections that say whom they replace, and terms
that come back as elections (PROTOCOL.md §8.2, §13.7, §13.9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.domain.selection import term_end_of
from node.store import LocalDraft
from node.store.log import append_local

TREASURER = {"name": "treasurer", "description": "Keeps the money", "term_months": 3}


async def _setup(c: Cluster) -> tuple[str, ClusterNode, ClusterNode, ClusterNode]:
    """Coalition circle homed on A (Ana facilitates), with Ben and Bea of B and Cleo and
    Cy of C as members; its charter declares a treasurer."""
    a, b, d = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await a.node.add_member("al", "Al")
    for n, handles in ((b, ("ben", "bea")), (d, ("cleo", "cy"))):
        for h in handles:
            await n.node.add_member(h, h.capitalize())
    circle = await a.node.create_circle("General", "Coordinate", federated=True, roles=[TREASURER])
    # Its people are named while it is founded: once other nodes joined, its membership
    # changes by decision only (PROTOCOL.md §13.14).
    await a.node.set_membership(circle.id, "ana", ["facilitator"])
    await a.node.set_membership(circle.id, "al")
    for n, h in ((b, "ben"), (b, "bea"), (d, "cleo"), (d, "cy")):
        await a.node.set_membership(circle.id, n.node.actor_of(h))
    for n in (b, d):
        await a.node.set_membership(circle.id, n.node_id)
    await a.fed.deliver_once()
    for n in (b, d):
        await n.node.circle_invitations.accept(circle.id, "admin")
        await n.fed.deliver_once()
    await c.settle()
    return circle.id, a, b, d


async def _elect(
    c: Cluster, circle: str, role: str, nominee: str, *, replaces: str | None = None
) -> str:
    """An election on A by Ana alone: the others stay silent past the round's deadline
    (silence counts as absent), so Ana's consent selects the nominee."""
    gov = c[0].node.gov
    sel = await gov.open_selection(circle, "ana", role, f"The {role}", 12, replaces=replaces)
    await gov.nominate(sel, "ana", nominee)
    await gov.move_selection(sel, "ana", "nomination_round")
    await gov.reveal(sel, "ana", "good at it")
    await gov.move_selection(sel, "ana", "change_round")
    deadline = c.clock.now() + dt.timedelta(hours=1)
    await gov.move_selection(sel, "ana", "consent", candidate=nominee, deadline=deadline)
    await gov.selection_stance(sel, "ana", nominee, "consent")
    c.clock.advance(dt.timedelta(hours=2))
    return sel


async def _effects(n: ClusterNode, envelope: str) -> tuple[str, str | None] | None:
    row = await n.store.fetchone(
        "SELECT status, code FROM gov_effects WHERE envelope_id = ?", (envelope,)
    )
    return None if row is None else (row[0], row[1])


async def _raw(n: ClusterNode, scope: str, kind: str, body: dict[str, Any], **kw: Any) -> str:
    """An envelope the node signs and orders without its own checks (as a node that
    does not run this code would): the rules at its position judge it."""
    now = n.clock.now()
    result = await n.store.write(
        lambda conn: append_local(conn, LocalDraft(kind, scope, body, **kw), n.node.key, now)
    )
    assert result.id is not None
    return result.id


async def test_electing_a_holder_keeps_every_other_holder(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _setup(c)
        ben, bea, cleo, cy = (b.node.actor_of("ben"), b.node.actor_of("bea"),
                              d.node.actor_of("cleo"), d.node.actor_of("cy"))  # fmt: skip
        await b.node.gov.name_delegate(circle, "ben")
        await b.node.gov.name_delegate(circle, "bea")
        await d.node.gov.name_delegate(circle, "cleo")
        await c.settle()
        # Cy becomes C's second delegate by election; the treasurer is elected too.
        sel = await _elect(c, circle, "delegate", cy)
        await a.node.gov.record_selection(sel, "ana")
        sel = await _elect(c, circle, "treasurer", ben)
        await a.node.gov.record_selection(sel, "ana")
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert sorted(held.holders("delegate")) == sorted([ben, bea, cleo, cy]), n
            assert held.holders("treasurer") == [ben], n
            assert held.holders("facilitator") == [a.node.actor_of("ana")], n
            assert sorted(held.members[ben].roles) == ["delegate", "treasurer"], n


async def test_a_full_role_needs_the_election_to_say_whom_it_replaces(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _setup(c)
        ben, cleo = b.node.actor_of("ben"), d.node.actor_of("cleo")
        sel = await _elect(c, circle, "leader", ben)
        await a.node.gov.record_selection(sel, "ana")
        # The one leader seat is Ben's: Cleo's election names nobody to replace.
        sel = await _elect(c, circle, "leader", cleo)
        with pytest.raises(DomainError) as exc:
            await a.node.gov.record_selection(sel, "ana")
        assert exc.value.code == "selection.role_full"
        # A result signed anyway (by a node without these checks) is refused everywhere.
        state = await a.node.gov.selection(sel)
        assert state is not None
        start = c.clock.now().date()
        body = {
            "op": "result",
            "selection": sel,
            "candidate": cleo,
            "term_start": start.isoformat(),
            "term_end": term_end_of(start, 12).isoformat(),
            "stances": sorted(s.id for s in state.stances.values()),
        }
        forced = await _raw(a, circle, "selection", body, refs=(sel,))
        await c.settle()
        for n in c.nodes:
            assert await _effects(n, forced) == ("refused", "selection.role_full"), n
            held = await n.node.circle(circle)
            assert held is not None
            assert held.holders("leader") == [ben], n
        # Saying whom the new leader replaces swaps exactly that holder.
        sel = await _elect(c, circle, "leader", cleo, replaces=ben)
        await a.node.gov.record_selection(sel, "ana")
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert held.holders("leader") == [cleo], n
            assert held.is_active(ben), n


async def test_a_role_the_charter_does_not_declare_is_refused_on_every_node(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, _b, d = await _setup(c)
        cleo = d.node.actor_of("cleo")
        with pytest.raises(DomainError) as exc:
            await a.node.gov.open_selection(circle, "ana", "astronaut", "Flies", 12)
        assert exc.value.code == "circle.unknown_role"
        with pytest.raises(DomainError) as exc:
            await a.node.set_membership(circle, cleo, ["astronaut"])
        assert exc.value.code == "circle.unknown_role"
        # Signed anyway, by a home without these checks: every node refuses both.
        opened = await _raw(
            a,
            circle,
            "selection",
            {"op": "open", "role": "astronaut", "description": "Flies", "term_months": 12},
            actor=a.node.actor_of("ana"),
        )
        named = await _raw(
            a, circle, "membership", {"member": cleo, "status": "active", "roles": ["astronaut"]}
        )
        await c.settle()
        for n in c.nodes:
            assert await _effects(n, opened) == ("refused", "circle.unknown_role"), n
            assert await _effects(n, named) == ("refused", "circle.unknown_role"), n
            held = await n.node.circle(circle)
            assert held is not None
            assert held.members[cleo].roles == (), n
            assert await n.node.gov.selection(opened) is None, n


async def test_a_term_that_ends_comes_back_as_an_election_once(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, _d = await _setup(c)
        ben = b.node.actor_of("ben")
        sel = await a.node.gov.open_selection(circle, "ana", "treasurer", "Money", 3)
        gov = a.node.gov
        await gov.nominate(sel, "ana", ben)
        await gov.move_selection(sel, "ana", "nomination_round")
        await gov.reveal(sel, "ana")
        await gov.move_selection(sel, "ana", "change_round")
        deadline = c.clock.now() + dt.timedelta(hours=1)
        await gov.move_selection(sel, "ana", "consent", candidate=ben, deadline=deadline)
        await gov.selection_stance(sel, "ana", ben, "consent")
        c.clock.advance(dt.timedelta(hours=2))
        await gov.record_selection(sel, "ana")
        assert await gov.open_due_elections() == []  # three months to go
        c.clock.advance(dt.timedelta(days=70))  # the term ends within 30 days
        opened = await gov.open_due_elections()
        assert len(opened) == 1
        assert await gov.open_due_elections() == []  # once per term
        c.clock.advance(dt.timedelta(days=40))  # ended: still brought back only once
        assert await gov.open_due_elections() == []
        await c.settle()
        for n in c.nodes:
            state = await n.node.gov.selection(opened[0])
            assert state is not None, n
            assert (state.role, state.replaces, state.opener) == ("treasurer", ben, a.node_id)
            assert state.phase == "nominations"
