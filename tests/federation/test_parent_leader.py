"""The leader of a circle chosen by its parent circle (PROTOCOL.md §13.16): the parent's
election names the child, the child's home carries the result out with the parent's
envelopes attached, every node of the child checks them (with or without the parent),
the child's own election of its leader is refused, and the term comes back to the parent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.store import LocalDraft
from node.store.codec import envelope_from_row
from node.store.log import append_local


async def _choose(
    c: Cluster, home: ClusterNode, parent: str, child: str, nominee: str, *, months: int = 12
) -> tuple[str, str]:
    """The parent's election of the child's leader, on its home by Ana alone (the others
    silent past the deadline); (the election's id, its result's id)."""
    gov = home.node.gov
    sel = await gov.open_selection(
        parent, "ana", "leader", "Leads the team", months, for_circle=child
    )
    await gov.nominate(sel, "ana", nominee)
    await gov.move_selection(sel, "ana", "nomination_round")
    await gov.reveal(sel, "ana", "knows the work")
    await gov.move_selection(sel, "ana", "change_round")
    deadline = c.clock.now() + dt.timedelta(hours=1)
    await gov.move_selection(sel, "ana", "consent", candidate=nominee, deadline=deadline)
    await gov.selection_stance(sel, "ana", nominee, "consent")
    c.clock.advance(dt.timedelta(hours=2))
    return sel, await gov.record_selection(sel, "ana")


async def _roles(n: ClusterNode, circle: str, member: str) -> tuple[str, ...] | None:
    state = await n.node.circle(circle)
    assert state is not None, n
    held = state.members.get(member)
    return held.roles if held is not None and held.active else None


async def test_the_parent_chooses_the_leader_of_a_child_on_one_node(cluster: Any) -> None:
    async with cluster(1) as c:
        (a,) = c.nodes
        for handle in ("ana", "al", "bo", "cy"):
            await a.node.add_member(handle, handle.capitalize())
        general = await a.node.create_circle("General", "Run the organization")
        for handle, roles in (("ana", ["facilitator"]), ("al", []), ("bo", []), ("cy", [])):
            await a.node.set_membership(general.id, handle, roles)
        team = await a.node.create_circle("Outreach", "Reach people", parent=general.id)
        await a.node.set_membership(team.id, "cy", ["facilitator"])
        await a.node.set_membership(team.id, "al", ["secretary"])
        al, bo, cy = (a.node.actor_of(h) for h in ("al", "bo", "cy"))

        sel, result = await _choose(c, a, general.id, team.id, al)
        # Carried out at once: Al leads Outreach and stays its secretary; Cy is kept.
        assert set(await _roles(a, team.id, al) or ()) == {"leader", "secretary"}
        assert await _roles(a, team.id, cy) == ("facilitator",)
        # The parent's own membership is untouched: Al holds no role in General.
        assert await _roles(a, general.id, al) == ()
        state = await a.node.gov.selection(sel)
        assert state is not None
        assert state.for_circle == team.id

        # A second choice replaces Al (who keeps the secretary's role); Bo joins Outreach.
        await _choose(c, a, general.id, team.id, bo)
        assert await _roles(a, team.id, bo) == ("leader",)
        assert await _roles(a, team.id, al) == ("secretary",)
        assert await _roles(a, team.id, cy) == ("facilitator",)
        assert result  # the first result still stands in General's logbook

        # Outreach does not elect its own leader: its charter names a parent.
        with pytest.raises(DomainError) as refused:
            await a.node.gov.open_selection(team.id, "cy", "leader", "Leads", 12)
        assert refused.value.code == "selection.leader_by_parent"
        # It still elects its other roles.
        assert await a.node.gov.open_selection(team.id, "cy", "secretary", "Minutes", 12)
        # A circle that is no sub-circle of General has no leader chosen there.
        other = await a.node.create_circle("Elsewhere", "Not below General")
        with pytest.raises(DomainError) as not_child:
            await a.node.gov.open_selection(
                general.id, "ana", "leader", "x", 12, for_circle=other.id
            )
        assert not_child.value.code == "selection.not_child"


async def test_a_chosen_leaders_term_comes_back_to_the_parent(cluster: Any) -> None:
    async with cluster(1) as c:
        (a,) = c.nodes
        for handle in ("ana", "al"):
            await a.node.add_member(handle, handle.capitalize())
        general = await a.node.create_circle("General", "Run the organization")
        await a.node.set_membership(general.id, "ana", ["facilitator"])
        await a.node.set_membership(general.id, "al")
        team = await a.node.create_circle("Outreach", "Reach people", parent=general.id)
        al = a.node.actor_of("al")
        sel, _ = await _choose(c, a, general.id, team.id, al, months=3)
        gov = a.node.gov
        assert await gov.open_due_elections() == []
        c.clock.advance(dt.timedelta(days=75))
        opened = await gov.open_due_elections()
        assert len(opened) == 1
        assert await gov.open_due_elections() == []  # once per term
        state = await gov.selection(opened[0])
        assert state is not None
        assert (state.circle, state.role, state.for_circle, state.replaces) == (
            general.id,
            "leader",
            team.id,
            al,
        )
        assert state.opener == a.node_id
        assert sel != opened[0]


async def _federated(
    c: Cluster, *, ben_facilitates: bool = False
) -> tuple[str, str, ClusterNode, ClusterNode, ClusterNode]:
    """General, the coalition's circle homed on A that B joined (Ana facilitates, Ben of B
    a member, or the other way round); Outreach, B's federated circle naming General as
    its parent, that C joined (Cy of C its facilitator). C does not hold General."""
    a, b, d = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await b.node.add_member("ben", "Ben")
    await d.node.add_member("cy", "Cy")
    ben = b.node.actor_of("ben")
    people = (
        {"ana": [], ben: ["facilitator"]} if ben_facilitates else {"ana": ["facilitator"], ben: []}
    )
    general = await c.federated_circle(a, [b], people=people)
    await c.settle()
    team = await b.node.create_circle("Outreach", "Reach people", parent=general.id, federated=True)
    await b.node.set_membership(team.id, d.node.actor_of("cy"), ["facilitator"])
    await b.node.set_membership(team.id, d.node_id)
    await b.fed.deliver_once()
    await d.node.circle_invitations.accept(team.id, "admin")
    await d.fed.deliver_once()
    await c.settle()
    assert await d.node.circle(general.id) is None
    return general.id, team.id, a, b, d


async def test_a_parent_of_several_organizations_chooses_a_member_nodes_leader(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        general, team, a, b, d = await _federated(c)
        ben, cy = b.node.actor_of("ben"), d.node.actor_of("cy")
        _, result = await _choose(c, a, general, team, ben)
        await c.settle()
        # B holds General's result and carries it out; C checks the parent's envelopes
        # attached to B's membership, without holding General.
        for n in (b, d):
            assert await _roles(n, team, ben) == ("leader",), n
            assert await _roles(n, team, cy) == ("facilitator",), n
        rows = await d.store.fetchall(
            "SELECT g.status, e.header, e.body FROM gov_effects g JOIN envelopes e"
            " ON e.id = g.envelope_id WHERE e.scope = ? AND e.kind = 'membership'",
            (team,),
        )
        carried = [r[0] for r in rows if result in envelope_from_row(r[1], r[2]).refs]
        assert carried == ["applied"]


async def test_a_forged_choice_is_refused_where_the_child_is_held(cluster: Any) -> None:
    async with cluster(3) as c:
        general, team, a, b, d = await _federated(c)
        ben, cy = b.node.actor_of("ben"), d.node.actor_of("cy")
        _, result = await _choose(c, a, general, team, ben)
        await c.settle()
        # B signs a membership that names the result but makes Cy the leader, with
        # General's envelopes attached: the result chose Ben, so C refuses it.
        rows = await b.store.fetchall(
            "SELECT body FROM envelopes WHERE scope = ? AND kind = 'membership'", (team,)
        )
        evidence = next(
            b["chosen_by"] for b in map(orjson.loads, (r[0] for r in rows)) if "chosen_by" in b
        )
        body = {"member": cy, "status": "active", "roles": ["facilitator", "leader"]}
        body["chosen_by"] = evidence
        now = c.clock.now()
        forged = await b.store.write(
            lambda conn: append_local(
                conn, LocalDraft("membership", team, body, refs=(result,)), b.node.key, now
            )
        )
        await c.settle()
        row = await d.store.fetchone(
            "SELECT status, code FROM gov_effects WHERE envelope_id = ?", (forged.id,)
        )
        assert row is not None
        assert row[1] == "circle.not_decided"
        assert await _roles(d, team, cy) == ("facilitator",)
        assert await _roles(d, team, ben) == ("leader",)


async def test_the_parents_home_records_a_choice_its_facilitator_made_elsewhere(
    cluster: Any,
) -> None:
    """General's facilitator is Ben, of B, not of the home A: his node may not sign the
    result (C, which does not hold General, checks it by the home's signature), so A
    records it by itself once the round has closed, and Ben leads Outreach everywhere."""
    async with cluster(3) as c:
        general, team, a, b, d = await _federated(c, ben_facilitates=True)
        ana = a.node.actor_of("ana")
        gov = b.node.gov
        sel = await gov.open_selection(
            general, "ben", "leader", "Leads the team", 12, for_circle=team
        )
        await c.settle()
        await gov.nominate(sel, "ben", ana)
        await c.settle()
        await gov.move_selection(sel, "ben", "nomination_round")
        await c.settle()
        await gov.reveal(sel, "ben", "knows the work")
        await c.settle()
        await gov.move_selection(sel, "ben", "change_round")
        await c.settle()
        deadline = c.clock.now() + dt.timedelta(hours=1)
        await gov.move_selection(sel, "ben", "consent", candidate=ana, deadline=deadline)
        await c.settle()
        await gov.selection_stance(sel, "ben", ana, "consent")
        await a.node.gov.selection_stance(sel, "ana", ana, "consent")
        await c.settle()
        with pytest.raises(DomainError) as refused:
            await gov.record_selection(sel, "ben")
        assert refused.value.code == "selection.result_by_home"
        assert await a.node.gov.record_due_choices() == []  # the round is still open
        c.clock.advance(dt.timedelta(hours=2))
        [result] = await a.node.gov.record_due_choices()
        await c.settle()
        env = await a.store.get_envelope(result)
        assert env is not None
        assert env.author == a.node_id
        assert env.actor is None
        for n in (b, d):
            assert await _roles(n, team, ana) == ("leader",), n
        assert await a.node.gov.record_due_choices() == []  # once
