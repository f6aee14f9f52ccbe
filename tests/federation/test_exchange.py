"""Envelopes between real nodes: a federated circle reaches every member node (through
the home node's relay when members are not linked with each other), a local circle never
leaves its node (checked on every request each node sent), a node receives only the
scopes it is a member of, and pulls are refused for scopes the requester may not read."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from harness import Cluster, ClusterNode

from federation.client import PeerError
from protocol import ErrorCode, b64encode

pytestmark = pytest.mark.timeout(60)


async def scope_ids(node: ClusterNode, scope: str) -> set[str]:
    rows = await node.store.fetchall("SELECT id FROM envelopes WHERE scope = ?", (scope,))
    return {r[0] for r in rows}


async def author_in(node: ClusterNode, scope: str, text: str) -> str:
    if await node.node.member("ana") is None:
        await node.node.add_member("ana", f"Ana of {node.name}")
    result = await node.node.author(
        "message", scope, {"text": text}, actor=node.node.actor_of("ana")
    )
    assert result.id is not None
    return result.id


def requests_between(c: Cluster, a: ClusterNode, b: ClusterNode) -> list[str]:
    """URLs of requests either of the two nodes sent to the other."""
    return [r.url for r in a.transport.sent if r.url.startswith(b.url + "/")] + [
        r.url for r in b.transport.sent if r.url.startswith(a.url + "/")
    ]


def leaks(c: Cluster, secret: str) -> list[str]:
    """Every request any node sent that carries ``secret`` anywhere."""
    found = []
    for node in c.nodes:
        for r in node.transport.sent:
            text = r.url + repr(r.headers)
            if secret in text or secret.encode() in r.body:
                found.append(f"{node.name} {r.method} {r.url}")
    return found


async def test_a_federated_circle_reaches_every_member_through_the_home(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        # A star: B and D are linked with the home A only.
        await c.link(a, b)
        await c.link(a, d)
        gen = await c.federated_circle(a, [b, d])
        await c.settle()
        for node in (b, d):
            circle = await node.node.circle(gen.id)
            assert circle is not None
            assert circle.home == a.node_id
            assert circle.federated
            assert {m for m, s in circle.members.items() if s.active} == {b.node_id, d.node_id}

        ids = {await author_in(node, gen.id, f"hello from {node.name}") for node in c.nodes}
        await c.settle()

        held = [await scope_ids(node, gen.id) for node in c.nodes]
        assert held[0] == held[1] == held[2]
        assert ids <= held[0]
        assert len(held[0]) == 8  # charter, two invitations and acceptances, three messages
        heads = [await node.store.heads(gen.id) for node in c.nodes]
        # A: charter, invitations, message; B and D: acceptance, message.
        assert heads[0] == heads[1] == heads[2] == {a.node_id: 4, b.node_id: 2, d.node_id: 2}
        # B and D never spoke: A relayed.
        assert requests_between(c, b, d) == []
        assert [e for n in c.nodes for e in n.fed.last_errors] == []


async def test_a_fully_linked_circle_converges_without_duplicates(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        gen = await c.federated_circle(a, [b, d])
        await c.settle()
        for round_ in range(3):
            for node in c.nodes:
                await author_in(node, gen.id, f"{node.name} round {round_}")
        await c.settle()
        held = [await scope_ids(node, gen.id) for node in c.nodes]
        assert held[0] == held[1] == held[2]
        assert len(held[0]) == 5 + 9  # charter, two invitations and acceptances, messages
        for node in c.nodes:
            assert await node.store.counts() == {"circle": 1, "membership": 4, "message": 9}
            assert await node.store.equivocations() == []
            assert all(p.queued == 0 for p in await node.peers.all())


async def test_a_local_circle_never_leaves_its_node(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        local = await a.node.create_circle("Board", "Our own business")
        await a.node.add_member("ana", "Ana")
        await a.node.set_membership(local.id, "ana", roles=["leader"])
        gen = await c.federated_circle(a, [b, d])
        # Everything else that moves: federated traffic both ways, pulls, a direct scope.
        for node in c.nodes:
            await author_in(node, gen.id, f"public from {node.name}")
        for i in range(3):
            await a.node.author(
                "message", local.id, {"text": f"private {i}"}, actor=a.node.actor_of("ana")
            )
        await a.node.author("message", f"direct:{b.node_id}", {"box": "c2VjcmV0"})
        await c.settle()
        await c.settle()

        # Every request every node sent: the local circle's id (or its random part) is
        # in none of them, nor the text written there.
        assert sum(len(n.transport.sent) for n in c.nodes) > 10
        local_part = local.id.removeprefix("circle:").split("@")[0]
        for secret in (local.id, local_part, "private 0", "Our own business"):
            assert leaks(c, secret) == []
        for node in (b, d):
            assert await node.store.heads(local.id) == {}
            assert await node.node.circle(local.id) is None
        # While the federated circle did travel.
        assert leaks(c, gen.id) != []
        assert await b.store.heads(gen.id) == await a.store.heads(gen.id)

        # Nor can a peer pull it.
        with pytest.raises(PeerError) as err:
            await b.fed.client.heads(a.node_id, a.url, local.id)
        assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
        with pytest.raises(PeerError) as err:
            await b.fed.client.feed_raw(a.node_id, a.url, local.id, a.node_id)
        assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)


async def test_a_node_receives_only_the_scopes_it_is_a_member_of(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()  # D is linked with both, but not a member
        await a.node.add_member("ana", "Ana")
        people = {"ana": ["facilitator"]}
        campaign = await c.federated_circle(a, [b], name="Campaign", people=people)
        await author_in(a, campaign.id, "from the home")
        await author_in(b, campaign.id, "from the member")
        await c.settle()
        assert len(await scope_ids(b, campaign.id)) == 6  # with B's invitation and acceptance
        assert await d.store.heads(campaign.id) == {}
        assert await d.node.circle(campaign.id) is None
        to_d = [r for r in a.transport.sent + b.transport.sent if r.url.startswith(d.url)]
        assert to_d  # D's direct scope was compared, but nothing of the circle went to D
        assert [r.url for r in to_d if campaign.id in r.url or campaign.id.encode() in r.body] == []
        assert leaks(c, campaign.id) != []

        # Invited, D holds nothing of the circle yet; once it accepts, the home sends it
        # the circle's whole history.
        invite_d = {"op": "member", "member": d.node_id, "status": "active"}
        await c.decide_structure(a, campaign.id, [invite_d])  # B joined: by decision
        await c.settle()
        assert await d.store.heads(campaign.id) == {}
        await d.node.circle_invitations.accept(campaign.id, "admin")
        await c.settle()
        assert await scope_ids(d, campaign.id) == await scope_ids(a, campaign.id)
        assert await d.store.circle_member_rows(campaign.id) == await a.store.circle_member_rows(
            campaign.id
        )


async def test_pulls_are_refused_for_scopes_the_requester_may_not_read(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        campaign = await c.federated_circle(a, [b], name="Campaign")
        await author_in(a, campaign.id, "for members only")
        await c.settle()

        assert await b.fed.client.heads(a.node_id, a.url, campaign.id) == {
            a.node_id: 3,
            b.node_id: 1,
        }
        assert len(await b.fed.client.feed(a.node_id, a.url, campaign.id, a.node_id)) == 3
        # D is linked with both nodes that hold the circle, and may read it at neither.
        for holder in (a, b):
            with pytest.raises(PeerError) as err:
                await d.fed.client.heads(holder.node_id, holder.url, campaign.id)
            assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
            with pytest.raises(PeerError) as err:
                await d.fed.client.feed_raw(holder.node_id, holder.url, campaign.id, a.node_id)
            assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
        # A circle nobody knows reads the same as one D may not read.
        unknown = campaign.id.replace(campaign.id.split("@")[0], "circle:nothing")
        with pytest.raises(PeerError) as err:
            await d.fed.client.heads(a.node_id, a.url, unknown)
        assert err.value.code == ErrorCode.NOT_MEMBER


async def test_a_direct_scope_is_read_by_the_addressed_node_only(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        to_b = f"direct:{b.node_id}"
        box = b64encode(secrets.token_bytes(48))
        sent = await a.node.author("message", to_b, {"box": box})
        await c.settle()

        got = await b.store.get_envelope(sent.id or "")
        assert got is not None
        assert got.body == {"box": box}
        assert await d.store.heads(to_b) == {}
        assert not [
            r for r in a.transport.sent if r.url.startswith(d.url) and box.encode() in r.body
        ]

        # B may pull it from A; D may not, though linked with A.
        assert await b.fed.client.heads(a.node_id, a.url, to_b) == {a.node_id: 1}
        assert len(await b.fed.client.feed_raw(a.node_id, a.url, to_b, a.node_id)) == 1
        with pytest.raises(PeerError) as err:
            await d.fed.client.heads(a.node_id, a.url, to_b)
        assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
        with pytest.raises(PeerError) as err:
            await d.fed.client.feed_raw(a.node_id, a.url, to_b, a.node_id)
        assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
        # D's own direct scope at A is empty; A wrote nothing to D.
        assert await d.fed.client.heads(a.node_id, a.url, f"direct:{d.node_id}") == {}


async def test_a_direct_message_missed_while_offline_is_pulled(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await c.stop(b)
        sent = await a.node.author("message", f"direct:{b.node_id}", {"box": "aGVsbG8"})
        assert await a.fed.deliver_once() == 0  # B is down; A backs off
        await c.start(b)
        # Before A's backoff passes, B's catch-up pulls its direct scope from A.
        assert await b.fed.sync_once() == 1
        assert await b.store.get_envelope(sent.id or "") is not None


async def test_a_removed_member_node_hears_its_removal_and_nothing_after(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link(a, b)
        await c.link(a, d)
        await a.node.add_member("ana", "Ana")
        gen = await c.federated_circle(a, [b, d], people={"ana": ["facilitator"]})
        await c.settle()
        remove_d = {"op": "member", "member": d.node_id, "status": "removed"}
        await c.decide_structure(a, gen.id, [remove_d])
        await c.settle()
        # D holds the removal, so its view of the circle agrees with the home's.
        for node in (b, d):
            assert await node.store.circle_member_rows(gen.id) == await a.store.circle_member_rows(
                gen.id
            )
        circle = await d.node.circle(gen.id)
        assert circle is not None
        assert not circle.is_active(d.node_id)

        after = await author_in(a, gen.id, "members only, from now on")
        await c.settle()
        assert await b.store.get_envelope(after) is not None
        assert await d.store.get_envelope(after) is None
        # D no longer pulls a circle it left (the home would refuse it), so no errors.
        assert [scope for scope, _ in await d.peers.sync_plan()] == [f"direct:{d.node_id}"]
        assert [e for n in c.nodes for e in n.fed.last_errors] == []


async def test_with_workers_on_envelopes_flow_without_stepping(cluster) -> None:
    async with cluster(3, workers=True) as c:
        a, b, d = c.nodes
        await c.link(a, b)
        await c.link(a, d)
        gen = await c.federated_circle(a, [b, d])
        sent = await author_in(b, gen.id, "no hands")
        for _ in range(500):
            if await d.store.get_envelope(sent) is not None:
                break
            await asyncio.sleep(0.01)
        assert await d.store.get_envelope(sent) is not None  # relayed by A's worker
        assert await scope_ids(d, gen.id) == await scope_ids(a, gen.id)
