"""Sealed direct messages between real nodes: sent through the outbox, read (opened) on
both ends, never in plaintext on the wire or on disk, unreadable by a third node; and the
kind rule that pairs a direct scope with a box and a circle with text."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from harness import ClusterNode, HostilePeer

from federation.client import PeerError
from node.direct import read_direct, send_direct
from node.domain.errors import DomainError
from protocol import ErrorCode, RemoteProtocolError, b64encode
from protocol.sealed import open_sealed

pytestmark = pytest.mark.timeout(60)

SECRET = "The tenants' meeting moves to Thursday, 7 pm, back room"


async def raw_bodies(node: ClusterNode) -> bytes:
    """Every byte the node keeps of envelopes: the log, the outbox, the evidence."""
    rows = await node.store.fetchall("SELECT header, body FROM envelopes")
    return b"".join(h + (b or b"") for h, b in rows)


async def test_two_nodes_exchange_sealed_messages(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        await a.node.add_member("ana", "Ana")
        sent = await send_direct(a.node, b.node_id, SECRET, a.node.actor_of("ana"))
        assert sent.envelope is not None
        assert sent.envelope.scope == f"direct:{b.node_id}"
        assert set(sent.envelope.body or {}) == {"box"}
        assert await a.fed.deliver_once() == 1

        [got] = await read_direct(b.node, a.node_id)
        assert (got.id, got.author, got.actor, got.text, got.purpose, got.sent) == (
            sent.id,
            a.node_id,
            f"ana@{a.node_id}",
            SECRET,
            "chat",
            False,
        )
        # The sender opens its own box: both ends derive the same box key.
        [mine] = await read_direct(a.node, b.node_id)
        assert (mine.text, mine.sent, mine.error) == (SECRET, True, None)

        c.clock.advance(dt.timedelta(seconds=1))
        reply = await send_direct(b.node, a.node_id, "Thursday works.", purpose="answer")
        await c.settle()
        for node, peer in ((a, b), (b, a)):
            convo = await read_direct(node.node, peer.node_id)
            assert [m.text for m in convo] == [SECRET, "Thursday works."]
            assert [m.id for m in convo] == [sent.id, reply.id]
            assert convo[1].purpose == "answer"

        # A third node: nothing was sent to it, it may not pull the scope, and the box
        # does not open with its key.
        assert await read_direct(d.node, a.node_id) == []
        assert await d.store.heads(f"direct:{b.node_id}") == {}
        with pytest.raises(PeerError) as err:
            await d.fed.client.feed_raw(a.node_id, a.url, f"direct:{b.node_id}", a.node_id)
        assert err.value.code == ErrorCode.NOT_MEMBER
        box = (sent.envelope.body or {})["box"]
        for other in (a.node_id, b.node_id):
            with pytest.raises(RemoteProtocolError) as rerr:
                open_sealed(d.key, other, box)
            assert rerr.value.code == ErrorCode.SEALED_UNDECRYPTABLE


async def test_the_plaintext_is_never_on_the_wire_or_on_disk(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await send_direct(a.node, b.node_id, SECRET)
        c.clock.advance(dt.timedelta(seconds=1))
        await send_direct(b.node, a.node_id, SECRET + " (ack)")
        await c.settle()
        assert [m.text for m in await read_direct(b.node, a.node_id)] == [
            SECRET,
            SECRET + " (ack)",
        ]

        inbox = [r for n in (a, b) for r in n.transport.sent if r.url.endswith("/fed/v1/inbox")]
        assert len(inbox) == 2
        forms = [SECRET.encode(), SECRET.encode("utf-16-le"), b64encode(SECRET.encode()).encode()]
        forms.append(b"Thursday")
        for node in (a, b):
            kept = await raw_bodies(node) + b"".join(await node.export())
            wire = b"".join(r.body for r in node.transport.sent)
            for form in forms:
                assert form not in kept
                assert form not in wire
            for path in node.data_dir.glob("nst.sqlite3*"):  # the database and its WAL
                assert SECRET.encode() not in path.read_bytes()


async def test_messages_to_a_node_that_is_not_linked_are_refused(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        with pytest.raises(DomainError) as err:
            await send_direct(a.node, b.node_id, "hello?")
        assert err.value.code == "direct.not_linked"
        with pytest.raises(RemoteProtocolError) as rerr:
            await send_direct(a.node, "ed25519:nope", "hello?")
        assert rerr.value.code == ErrorCode.BAD_NODE_ID


async def test_our_own_node_keeps_the_pairing_rule(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        with pytest.raises(RemoteProtocolError) as err:
            await a.node.author("message", f"direct:{b.node_id}", {"text": "in clear"})
        assert err.value.code == ErrorCode.PLAINTEXT_DIRECT
        circle = await a.node.create_circle("Local", "ours")
        with pytest.raises(RemoteProtocolError) as err:
            await a.node.author("message", circle.id, {"box": "aGVsbG8"})
        assert err.value.code == ErrorCode.SEALED_IN_CIRCLE
        assert await a.store.heads(f"direct:{b.node_id}") == {}
        assert await a.store.heads(circle.id) == {a.node_id: 1}


async def test_a_peer_breaking_the_pairing_rule_is_refused(cluster, hostile: HostilePeer) -> None:
    async with cluster(1) as c:
        [a] = c.nodes
        await hostile.link(a)
        gen = await a.node.create_circle("General", "all of us", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        joined = await hostile.join(a, gen.id)
        to_a = f"direct:{a.node_id}"
        clear, clear_id = hostile.envelope(to_a, 1, None, body={"text": SECRET})
        boxed, _ = hostile.envelope(gen.id, 2, joined, body={"box": "aGVsbG8"})
        answer = await hostile.inbox(a, [clear.to_bytes(), boxed.to_bytes()])
        assert [(r["status"], r.get("code")) for r in answer.results] == [
            ("rejected", ErrorCode.PLAINTEXT_DIRECT),
            ("rejected", ErrorCode.SEALED_IN_CIRCLE),
        ]
        assert await a.store.get_envelope(clear_id) is None
        assert await a.store.heads(to_a) == {}

        # A box that does not open is the sender's problem: it is signed history, kept,
        # and shown as undecryptable.
        junk, junk_id = hostile.envelope(
            to_a, 1, None, body={"box": b64encode(secrets.token_bytes(60))}
        )
        answer = await hostile.inbox(a, [junk.to_bytes()])
        assert answer.results[0]["status"] == "accepted"
        [shown] = await read_direct(a.node, hostile.node_id)
        assert (shown.id, shown.text, shown.error) == (junk_id, None, "sealed.undecryptable")
