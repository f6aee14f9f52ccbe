"""A node joins another node's federated circle only by its own acceptance (PROTOCOL.md
§13.10): a hostile peer cannot found a circle on it, an invited node holds nothing of
the circle until its admin accepts (then it catches up), declining keeps the circle out
and tells the home, and a member node may leave on its own."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Cluster, ClusterNode, HostilePeer

from node.domain import DomainError
from protocol import ErrorCode, circle_id

pytestmark = pytest.mark.timeout(60)


async def scope_ids(node: ClusterNode, scope: str) -> set[str]:
    rows = await node.store.fetchall("SELECT id FROM envelopes WHERE scope = ?", (scope,))
    return {r[0] for r in rows}


async def status_of(node: ClusterNode, scope: str, member: str) -> str | None:
    circle = await node.node.circle(scope)
    held = None if circle is None else circle.members.get(member)
    return None if held is None else held.status


async def sees_nothing(node: ClusterNode, scope: str, actor: str) -> None:
    """Nothing of ``scope`` is in the node's log (but its own answer), lists, pulls or its
    member's pages."""
    assert set(await node.store.heads(scope)) <= {node.node_id}
    assert await node.node.circle(scope) is None
    assert scope not in [c["id"] for c in await node.node.circles()]
    assert scope not in [s for s, _ in await node.peers.sync_plan()]
    assert (await node.node.gov.agenda(actor))["circles"] == []


async def test_a_linked_peer_cannot_found_a_circle_on_another_node(
    cluster: Any, hostile: HostilePeer
) -> None:
    async with cluster(1) as c:
        [b] = c.nodes
        await b.node.add_member("bea", "Bea")
        await hostile.link(b)
        scope = circle_id("takeover", hostile.node_id)
        bea = b.node.actor_of("bea")
        charter, charter_id = hostile.envelope(
            scope,
            1,
            None,
            kind="circle",
            body={"name": "Joint front", "aim": "Speak for everyone", "federated": True},
        )
        names_b, names_b_id = hostile.envelope(
            scope,
            2,
            charter_id,
            kind="membership",
            body={"member": b.node_id, "status": "active", "roles": []},
        )
        names_bea, bea_id = hostile.envelope(
            scope,
            3,
            names_b_id,
            kind="membership",
            body={"member": bea, "status": "active", "roles": ["leader"]},
        )
        said, said_id = hostile.envelope(scope, 4, bea_id, body={"text": "Bea leads us now"})
        answer = await hostile.inbox(b, [e.to_bytes() for e in (charter, names_b, names_bea, said)])

        # The charter and B's membership are kept aside as an invitation; the rest is
        # refused, since B has not joined.
        assert [r["status"] for r in answer.results] == ["held", "held", "rejected", "rejected"]
        assert [r.get("code") for r in answer.results[2:]] == [ErrorCode.NOT_JOINED] * 2
        await sees_nothing(b, scope, bea)
        assert await b.store.counts() == {}
        # B's admin sees an invitation, and may decline it.
        [invitation] = await b.node.circle_invitations.pending()
        assert (invitation.circle_id, invitation.name, invitation.aim) == (
            scope,
            "Joint front",
            "Speak for everyone",
        )
        assert (invitation.home, invitation.home_name) == (hostile.node_id, "Hostile")
        assert invitation.invitation == names_b_id
        assert (await b.node.status())["circle_invitations"] == [invitation.to_json()]
        # Naming B again invites it not anew: an acceptance answers the first invitation.
        again, _ = hostile.envelope(scope, 5, said_id, kind="membership", body=names_b.body)
        assert [r["status"] for r in (await hostile.inbox(b, [again.to_bytes()])).results] == [
            "held"
        ]
        assert [i.invitation for i in await b.node.circle_invitations.pending()] == [names_b_id]

        await b.node.circle_invitations.decline(scope, "admin")
        assert await b.node.circle_invitations.pending() == []
        # Pushing it all again changes nothing.
        again = await hostile.inbox(b, [charter.to_bytes(), names_b.to_bytes()])
        assert [r["status"] for r in again.results] == ["held", "held"]
        assert await b.node.circle_invitations.pending() == []
        await sees_nothing(b, scope, bea)


async def invite(c: Cluster, home: ClusterNode, node: ClusterNode, scope: str) -> None:
    await home.node.set_membership(scope, node.node_id)
    await c.settle()


async def test_an_invited_node_holds_nothing_until_its_admin_accepts_then_catches_up(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        await b.node.add_member("bea", "Bea")
        await a.node.add_member("ana", "Ana")
        gen = await c.federated_circle(a, [d], people={"ana": ["facilitator"]})
        await a.node.author("message", gen.id, {"text": "before B was asked"})
        # D has joined: inviting B is the circle's decision now (§13.14).
        invite_b = {"op": "member", "member": b.node_id, "status": "active"}
        await c.decide_structure(a, gen.id, [invite_b])
        await c.settle()
        await a.node.author("message", gen.id, {"text": "while B thinks it over"})
        await c.settle()

        bea = b.node.actor_of("bea")
        await sees_nothing(b, gen.id, bea)
        # The home and the other member know B as invited, not as a member node.
        for node in (a, d):
            assert await status_of(node, gen.id, b.node_id) == "invited"
        [shown] = await b.node.circle_invitations.pending()
        assert (shown.name, shown.aim, shown.home_name) == ("General", gen.aim, "Node A")

        await b.node.circle_invitations.accept(gen.id, "admin")
        await c.settle()
        assert await b.node.circle_invitations.pending() == []
        assert gen.id in [row["id"] for row in await b.node.circles()]
        assert (
            await scope_ids(b, gen.id) == await scope_ids(a, gen.id) == await scope_ids(d, gen.id)
        )
        for node in c.nodes:
            assert await status_of(node, gen.id, b.node_id) == "active"
        # B now takes part: the home relays what it writes to D, and names its delegate.
        said = await b.node.author("message", gen.id, {"text": "glad to be here"})
        await b.node.gov.name_delegate(gen.id, "bea")
        await c.settle()
        assert await d.store.get_envelope(said.id or "") is not None
        assert await status_of(d, gen.id, bea) == "active"
        assert [e for n in c.nodes for e in n.fed.last_errors] == []


async def test_declining_keeps_the_circle_out_and_tells_the_home(cluster: Any) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await b.node.add_member("bea", "Bea")
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await invite(c, a, b, gen.id)
        await b.node.circle_invitations.decline(gen.id, "admin")
        await c.settle()

        assert await status_of(a, gen.id, b.node_id) == "removed"
        await a.node.author("message", gen.id, {"text": "without B"})
        await c.settle()
        await sees_nothing(b, gen.id, b.node.actor_of("bea"))
        assert await b.node.circle_invitations.pending() == []
        with pytest.raises(DomainError) as err:
            await b.node.circle_invitations.accept(gen.id, "admin")
        assert err.value.code == "circle.no_invitation"

        # The home may ask again; the new invitation waits for an answer like the first.
        await invite(c, a, b, gen.id)
        assert [i.circle_id for i in await b.node.circle_invitations.pending()] == [gen.id]
        await sees_nothing(b, gen.id, b.node.actor_of("bea"))


async def test_a_member_node_leaves_on_its_own(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        gen = await c.federated_circle(a, [b, d])
        await c.settle()
        await b.node.circle_invitations.leave(gen.id, "admin")
        await c.settle()
        for node in c.nodes:
            assert await status_of(node, gen.id, b.node_id) == "removed"
        after = await a.node.author("message", gen.id, {"text": "after B left"})
        await c.settle()
        assert await d.store.get_envelope(after.id or "") is not None
        assert await b.store.get_envelope(after.id or "") is None
        assert gen.id not in [s for s, _ in await b.peers.sync_plan()]
        with pytest.raises(DomainError) as err:
            await b.node.circle_invitations.leave(gen.id, "admin")
        assert err.value.code == "circle.not_member"
        assert [e for n in c.nodes for e in n.fed.last_errors] == []


async def test_an_answer_must_fit_the_invitation(cluster: Any, hostile: HostilePeer) -> None:
    async with cluster(1) as c:
        [a] = c.nodes
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        other = await a.node.create_circle("Other", "Not for the hostile peer", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        me = hostile.node_id
        accept = {"member": me, "status": "active", "roles": []}
        no_refs, _ = hostile.envelope(gen.id, 1, None, kind="membership", body=accept)
        state = await a.node.circle(gen.id)
        assert state is not None
        invitation = state.members[me].invitation
        assert invitation is not None
        elsewhere, _ = hostile.envelope(
            other.id, 1, None, kind="membership", body=accept, refs=(invitation,)
        )
        leave = {"member": me, "status": "removed", "roles": [], "final_seq": 7}
        lying, _ = hostile.envelope(gen.id, 1, None, kind="membership", body=leave)
        said, _ = hostile.envelope(gen.id, 1, None, body={"text": "let me in"})
        answer = await hostile.inbox(a, [e.to_bytes() for e in (no_refs, elsewhere, lying, said)])
        assert [(r["status"], r.get("code")) for r in answer.results] == [
            ("rejected", ErrorCode.NOT_INVITED),
            ("rejected", ErrorCode.NOT_INVITED),
            ("rejected", ErrorCode.BAD_FINAL_SEQ),
            ("rejected", ErrorCode.NOT_MEMBER),
        ]
        assert await a.store.heads(gen.id) == {a.node_id: 2}
        assert await status_of(a, gen.id, me) == "invited"
        # The hostile peer may look at what it is invited to, not at the other circle.
        assert await hostile.client.heads(a.node_id, a.url, gen.id) == {a.node_id: 2}
        joined = await hostile.join(a, gen.id)
        assert await status_of(a, gen.id, me) == "active"
        assert (await a.store.get_envelope(joined)) is not None
