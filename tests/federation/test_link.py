"""Linking through invites between real nodes: the handshake, every way an invite is
refused (used, expired, forged, revoked, naming another node), unlink and the deny and
allow lists."""

from __future__ import annotations

import datetime as dt

import pytest
from harness import ClusterNode

from federation.client import PeerError
from federation.invites import Invite, new_token
from protocol import ErrorCode, RemoteProtocolError

pytestmark = pytest.mark.timeout(60)


async def peer_state(node: ClusterNode, other: ClusterNode) -> str | None:
    peer = await node.peers.get(other.node_id)
    return None if peer is None else peer.state


async def pull_direct(node: ClusterNode, target: ClusterNode) -> dict[str, int]:
    """Heads of ``node``'s direct scope at ``target``: a signed request any linked
    peer may make."""
    return await node.fed.client.heads(target.node_id, target.url, f"direct:{node.node_id}")


async def test_link_through_an_invite(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        invite = await a.fed.create_invite(note="for B")
        assert str(invite).startswith("nst-invite-v1.")
        peer = await b.fed.link(str(invite))

        assert (peer.node_id, peer.url, peer.name, peer.state) == (
            a.node_id,
            a.url,
            "Node A",
            "linked",
        )
        back = await a.peers.get(b.node_id)
        assert back is not None
        assert (back.node_id, back.url, back.name, back.state) == (
            b.node_id,
            b.url,
            "Node B",
            "linked",
        )
        [held] = await a.peers.invites()
        assert held["used_by"] == b.node_id
        assert held["note"] == "for B"
        assert held["token_hash"] == invite.token_hash  # the token itself is not kept
        assert invite.token not in str(held)

        # The handshake was one signed POST to the invite's URL.
        [sent] = [r for r in b.transport.sent if r.url.endswith("/fed/v1/link")]
        assert sent.method == "POST"
        assert sent.url == a.url + "/fed/v1/link"
        assert sent.headers["NST-Destination"] == a.node_id
        assert sent.headers["NST-Sender"] == b.node_id
        assert sent.status == 200

        # Linked both ways: each answers the other's signed requests.
        assert await pull_direct(b, a) == {}
        assert await pull_direct(a, b) == {}


async def test_an_invite_is_single_use(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        invite = str(await a.fed.create_invite())
        await b.fed.link(invite)

        with pytest.raises(PeerError) as err:
            await d.fed.link(invite)
        assert (err.value.status, err.value.code) == (403, ErrorCode.INVITE_USED)
        assert await peer_state(a, d) is None
        assert await peer_state(d, a) is None

        # The node it was used by may repeat the handshake (its answer may have been lost).
        assert (await b.fed.link(invite)).state == "linked"
        [held] = await a.peers.invites()
        assert held["used_by"] == b.node_id


async def test_an_expired_invite_is_refused(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        invite = await a.fed.create_invite(expires=dt.timedelta(hours=1))
        c.clock.advance(dt.timedelta(hours=1, seconds=1))
        with pytest.raises(PeerError) as err:
            await b.fed.link(str(invite))
        assert (err.value.status, err.value.code) == (403, ErrorCode.INVITE_EXPIRED)
        assert await peer_state(a, b) is None
        assert await peer_state(b, a) is None
        [held] = await a.peers.invites()
        assert held["used_by"] is None

        # Just before expiry an invite still works.
        fresh = await a.fed.create_invite(expires=dt.timedelta(hours=1))
        c.clock.advance(dt.timedelta(minutes=59))
        assert (await b.fed.link(str(fresh))).state == "linked"


async def test_forged_damaged_and_revoked_invites(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await a.fed.create_invite()
        forged = Invite(a.node_id, a.url, new_token())
        with pytest.raises(PeerError) as err:
            await b.fed.link(str(forged))
        assert (err.value.status, err.value.code) == (403, ErrorCode.INVITE_INVALID)

        revoked = await a.fed.create_invite()
        assert await a.peers.revoke_invite(revoked.token_hash)
        with pytest.raises(PeerError) as err:
            await b.fed.link(str(revoked))
        assert err.value.code == ErrorCode.INVITE_INVALID

        good = str(await a.fed.create_invite())
        for damaged in ("hello", good[:-5], "nst-invite-v1.!!!"):
            with pytest.raises(RemoteProtocolError) as perr:
                await b.fed.link(damaged)
            assert perr.value.code == ErrorCode.INVITE_INVALID

        with pytest.raises(RemoteProtocolError) as perr:
            await a.fed.link(good)
        assert perr.value.code == ErrorCode.LINK_WRONG_NODE

        assert await a.peers.all() == []
        assert await b.peers.all() == []


async def test_an_invite_naming_another_node_fails(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        real = await a.fed.create_invite()
        # A's URL and token, but D's node id: A answers at that URL, signed as A.
        lying = Invite(d.node_id, a.url, real.token)
        with pytest.raises(RemoteProtocolError) as err:
            await b.fed.link(str(lying))
        assert err.value.code == ErrorCode.LINK_WRONG_NODE
        assert f"answers as {a.node_id}, not as {d.node_id}" in err.value.message
        [sent] = b.transport.sent
        assert sent.headers["NST-Destination"] == d.node_id
        assert sent.status == 401  # A refused a request meant for D (auth.wrong_destination)

        assert await b.peers.all() == []
        assert await a.peers.all() == []
        assert await d.peers.all() == []
        [held] = await a.peers.invites()
        assert held["used_by"] is None
        # The real invite still works.
        assert (await b.fed.link(str(real))).node_id == a.node_id


async def test_unlink_tells_the_peer_and_stops_the_exchange(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        gen = await c.federated_circle(a, [b])
        await c.settle()
        assert await b.node.circle(gen.id) is not None

        await b.fed.unlink(a.node_id)
        assert await peer_state(b, a) == "unlinked"
        assert await peer_state(a, b) == "unlinked"  # the notice reached A

        for node, target in ((a, b), (b, a)):
            with pytest.raises(PeerError) as err:
                await node.fed.client.heads(target.node_id, target.url, gen.id)
            assert (err.value.status, err.value.code) == (403, ErrorCode.AUTH_NOT_LINKED)

        # Nothing is queued for or pulled from an unlinked peer.
        await a.node.author("message", gen.id, {"text": "after the unlink"})
        peer = await a.peers.get(b.node_id)
        assert peer is not None
        assert peer.queued == 0
        assert await c.settle() == 0
        assert list(a.fed.last_errors) == list(b.fed.last_errors) == []

        # A fresh invite links them again.
        await c.link(a, b)
        assert await peer_state(a, b) == await peer_state(b, a) == "linked"


async def test_an_unlinked_node_needs_a_new_invite(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        invite = str(await a.fed.create_invite())
        await b.fed.link(invite)
        await b.fed.link(invite)  # a repeat while linked answers as the first did
        await a.fed.unlink(b.node_id)
        with pytest.raises(PeerError) as err:
            await b.fed.link(invite)
        assert err.value.code == ErrorCode.INVITE_USED
        assert await peer_state(a, b) == "unlinked"


async def test_unlink_of_an_unreachable_peer_still_unlinks_here(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await c.stop(a)
        peer = await b.fed.unlink(a.node_id)
        assert peer is not None
        assert peer.state == "unlinked"
        assert [e["what"] for e in b.fed.last_errors] == ["unlink"]
        await c.start(a)
        assert await peer_state(a, b) == "linked"  # it never heard
        with pytest.raises(PeerError) as err:
            await pull_direct(a, b)
        assert err.value.code == ErrorCode.AUTH_NOT_LINKED


async def test_deny_list(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await a.peers.set_policy(b.node_id, "deny")
        assert await peer_state(a, b) == "unlinked"
        assert await a.peers.policies() == {b.node_id: "deny"}

        with pytest.raises(PeerError) as err:
            await pull_direct(b, a)
        assert (err.value.status, err.value.code) == (403, ErrorCode.AUTH_DENIED)
        with pytest.raises(PeerError) as err:
            await b.fed.link(str(await a.fed.create_invite()))
        assert (err.value.status, err.value.code) == (403, ErrorCode.AUTH_DENIED)
        assert await peer_state(a, b) == "unlinked"

        # Linking from A's side is refused by A's own policy as well.
        with pytest.raises(RemoteProtocolError) as perr:
            await a.fed.link(str(await b.fed.create_invite()))
        assert perr.value.code == ErrorCode.AUTH_DENIED

        await a.peers.set_policy(b.node_id, None)
        await c.link(a, b)
        assert await peer_state(a, b) == "linked"


async def test_allow_list(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await a.peers.set_policy(d.node_id, "allow")
        with pytest.raises(PeerError) as err:
            await b.fed.link(str(await a.fed.create_invite()))
        assert err.value.code == ErrorCode.AUTH_DENIED
        await d.fed.link(str(await a.fed.create_invite()))
        assert await peer_state(a, d) == "linked"
        assert await peer_state(a, b) is None


async def test_a_link_request_with_an_oversized_name_is_refused_and_links_nothing(
    cluster,
) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        invite = await a.fed.create_invite()
        with pytest.raises(PeerError) as err:
            await b.fed.client.link(a.url, a.node_id, invite.token, b.url, "x" * 10_000)
        assert (err.value.status, err.value.code) == (400, ErrorCode.REQUEST_MALFORMED)
        assert await peer_state(a, b) is None
        [held] = await a.peers.invites()
        assert held["used_by"] is None  # the invite is still good
        assert (await b.fed.link(str(invite))).state == "linked"


async def test_linking_again_resumes_every_scope_the_peer_shares(cluster) -> None:
    """What was queued for a peer is dropped when it is unlinked, and nothing is queued
    for it meanwhile: linking again queues, both ways, what it should hold."""
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        held = await c.federated_circle(a, [b], name="Held")
        await c.settle()
        # B accepted, and the circle's history waits in A's queue for B...
        caught = await c.federated_circle(a, [b], name="Queued")
        # ... and B is invited to another, but has not answered yet.
        answered = await a.node.create_circle("Answered", "B says yes offline", federated=True)
        await a.node.set_membership(answered.id, b.node_id)
        await a.fed.deliver_once()
        await b.fed.unlink(a.node_id)
        assert (await a.peers.get(b.node_id)).queued == 0  # type: ignore[union-attr]

        # While unlinked: A writes, invites B to a fourth circle; B writes, and accepts.
        missed = [
            await a.node.author("message", scope, {"text": "while B was away"})
            for scope in (held.id, caught.id)
        ]
        later = await a.node.create_circle("Later", "Invited while unlinked", federated=True)
        await a.node.set_membership(later.id, b.node_id)
        from_b = await b.node.author("message", held.id, {"text": "B, offline"})
        await b.node.circle_invitations.accept(answered.id, "admin")
        assert await c.settle() == 0  # nothing moves between unlinked nodes

        await c.link(a, b)
        await c.settle()
        for scope in (held.id, caught.id, answered.id):
            assert await b.store.heads(scope) == await a.store.heads(scope)
        for sent in (*missed, from_b):
            assert await a.store.get_envelope(sent.id or "") is not None
            assert await b.store.get_envelope(sent.id or "") is not None
        assert [i.circle_id for i in await b.node.circle_invitations.pending()] == [later.id]
        answered_at_a = await a.node.circle(answered.id)
        assert answered_at_a is not None
        assert answered_at_a.is_active(b.node_id)
        assert [e for n in c.nodes for e in n.fed.last_errors] == []
