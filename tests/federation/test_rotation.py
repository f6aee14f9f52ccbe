"""Key rotation between real nodes: B rotates, its peers take the rotation in through the
ordinary outbox and know B by its new id from then on; the old key is refused for new
envelopes and requests while what it signed before stays valid history; a bad rotation
is refused and changes nothing; a peer that was down hears of it later, even after B
restarts."""

from __future__ import annotations

import datetime as dt
import stat
from typing import Any

import pytest
from harness import Cluster, ClusterNode, HostilePeer
from nacl.signing import SigningKey

from federation.rotation import install_rotating_client, rotate_key
from node.direct import read_direct, send_direct
from node.keyfile import KeyFileError, read_key, write_key
from node.rotation import load_retired_keys, retired_key_files
from node.store import LocalDraft
from protocol import (
    Draft,
    ErrorCode,
    RemoteProtocolError,
    b64encode,
    envelope_id,
    node_id_of,
    sign,
)
from protocol.requests import SENDER
from protocol.rotation import make_rotation, proof_input

pytestmark = pytest.mark.timeout(60)

INBOX = "/fed/v1/inbox"
SECOND = dt.timedelta(seconds=1)
TS = "2026-11-22T10:00:00Z"


async def rotate(node: ClusterNode, passphrase: str | None = None) -> SigningKey:
    """Rotate ``node`` as ``nst admin key rotate`` would (its key file written first: the
    harness keeps keys in memory) and rename it in the harness."""
    path = node.node.config.key_path
    if not path.exists():
        write_key(path, node.key, passphrase)
    new = await rotate_key(node.node, node.fed, reason="scheduled", passphrase=passphrase)
    node.key = new
    return new


def senders(node: ClusterNode, target: ClusterNode) -> list[str]:
    """Who signed each inbox request ``node`` sent to ``target``."""
    return [
        r.headers[SENDER]
        for r in node.transport.sent
        if r.url == target.url + INBOX and r.status is not None
    ]


async def state(node: ClusterNode) -> tuple[Any, ...]:
    """What a refused rotation must leave as it was."""
    return (
        await node.export(),
        await node.store.fetchall("SELECT node_id, url, name, state FROM peers ORDER BY 1"),
        await node.store.fetchall("SELECT * FROM key_rotations"),
        await node.store.fetchall("SELECT * FROM outbox ORDER BY rowid"),
    )


async def test_peers_follow_a_rotation(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        before = await send_direct(b.node, a.node_id, "before")
        await c.settle()
        old_key, old_id = b.key, b.node_id

        new_key = await rotate(b)
        new_id = node_id_of(new_key)
        assert b.node.node_id == new_id == b.fed.identity()["node_id"] != old_id

        # The key file holds the new key; the old one is kept beside it, private.
        cfg = b.node.config
        assert read_key(cfg.key_path).verify_key == new_key.verify_key
        [kept] = retired_key_files(cfg)
        assert kept.name == "node.key.old-20261122T100000Z"
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert read_key(kept).verify_key == old_key.verify_key
        assert not cfg.key_path.with_name("node.key.new").exists()

        # One key.rotate per linked peer, signed by the old key in that peer's direct
        # scope; B records its own rotation.
        for peer in (a, d):
            rot = (await b.store.feed(f"direct:{peer.node_id}", old_id))[-1]
            assert rot.kind == "key.rotate"
            assert rot.body == {
                "new_key": new_id,
                "proof": (rot.body or {})["proof"],
                "reason": "scheduled",
            }
        assert await b.store.fetchall("SELECT old_id, new_id FROM key_rotations") == [
            (old_id, new_id)
        ]

        # A writes to B's old id before it hears: B no longer answers to that id.
        c.clock.advance(SECOND)
        early = await send_direct(a.node, old_id, "are you there?")
        assert await a.fed.deliver_once() == 0
        assert a.fed.last_errors[-1]["what"] == "delivery"

        # B's queue goes out signed by the key its peers know.
        b.transport.clear()
        assert await b.fed.deliver_once() == 2
        assert senders(b, a) == senders(b, d) == [old_id]
        for peer in (a, d):
            assert await peer.peers.get(old_id) is None
            moved = await peer.peers.get(new_id)
            assert moved is not None
            assert (moved.url, moved.name, moved.state) == (b.url, "Node B", "linked")
            assert await peer.store.fetchall("SELECT old_id, new_id FROM key_rotations") == [
                (old_id, new_id)
            ]

        # A's queue for B moved to the new id, its backoff reset: what it wrote to the
        # old id arrives, and B opens it with the kept key.
        assert await a.fed.deliver_once() == 1
        c.clock.advance(SECOND)
        after = await send_direct(b.node, a.node_id, "after")
        b.transport.clear()
        assert await b.fed.deliver_once() == 1
        assert senders(b, a) == [new_id]
        c.clock.advance(SECOND)
        await send_direct(a.node, new_id, "welcome back")
        await c.settle()

        convo = await read_direct(a.node, new_id)
        assert [(m.author, m.text) for m in convo] == [
            (old_id, "before"),
            (a.node_id, "are you there?"),
            (new_id, "after"),
            (a.node_id, "welcome back"),
        ]
        assert [m.id for m in convo][:3] == [before.id, early.id, after.id]
        retired = load_retired_keys(b.node.config)
        ours = await read_direct(b.node, a.node_id, retired=retired)
        assert [m.text for m in ours] == [m.text for m in convo]
        # Without the kept key, what it sealed stays shut, and nothing else breaks.
        plain = await read_direct(b.node, a.node_id)
        assert [m.error for m in plain] == [
            "sealed.undecryptable",
            "sealed.undecryptable",
            None,
            None,
        ]


async def test_the_old_key_is_refused_and_its_history_kept(cluster: Any) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        before = await send_direct(b.node, a.node_id, "before")
        old_key, old_id = b.key, b.node_id
        new_key = await rotate(b)
        await c.settle()
        to_a = f"direct:{a.node_id}"
        [_, rot] = await a.store.feed(to_a, old_id)
        assert rot.kind == "key.rotate"

        as_old, as_new = HostilePeer(old_key), HostilePeer(new_key)
        try:
            # A request signed by the old key: no longer a linked node.
            env, env_id = as_old.envelope(to_a, 3, await rot_id(a, to_a, old_id), body=box())
            answer = await as_old.inbox(a, [env.to_bytes()])
            assert (answer.status, answer.code) == (403, ErrorCode.AUTH_NOT_LINKED)
            # The same envelope carried by the new key: refused on its own.
            answer = await as_new.inbox(a, [env.to_bytes()])
            assert [(r["status"], r.get("code")) for r in answer.results] == [
                ("rejected", ErrorCode.ROTATED_KEY)
            ]
            assert await a.store.get_envelope(env_id) is None
            # So is a new feed of the old key (here, in A's scope to B's old id).
            fresh, _ = as_old.envelope(f"direct:{old_id}", 1, None, body=box(), key=old_key)
            answer = await as_new.inbox(a, [fresh.to_bytes()])
            assert answer.results[0]["code"] == ErrorCode.NOT_RECIPIENT
            # What the old key signed before stays: resent, it is a duplicate.
            held = await a.store.get_envelope(before.id or "")
            assert held is not None
            answer = await as_new.inbox(a, [held.to_bytes(), rot.to_bytes()])
            assert [r["status"] for r in answer.results] == ["duplicate", "duplicate"]
            assert len([line async for line in a.store.export_lines()]) == 2
        finally:
            await as_old.close()
            await as_new.close()

        # B's own store refuses to sign with its retired key.
        with pytest.raises(RemoteProtocolError) as err:
            await b.store.append_local(
                LocalDraft("message", to_a, {"box": "aGVsbG8"}), old_key, c.clock.now()
            )
        assert err.value.code == ErrorCode.ROTATED_KEY
        # The rotation is state rebuilt from the log.
        for node in (a, b):
            rows = await node.store.fetchall("SELECT * FROM key_rotations")
            await node.store.rebuild_projections()
            assert await node.store.fetchall("SELECT * FROM key_rotations") == rows


def box() -> dict[str, str]:
    return {"box": "aGVsbG8gd29ybGQ"}


async def rot_id(node: ClusterNode, scope: str, author: str) -> str:
    row = await node.store.fetchone(
        "SELECT head_id FROM feeds WHERE scope = ? AND author = ?", (scope, author)
    )
    return str(row[0])


async def test_bad_rotations_are_refused_and_change_nothing(
    cluster: Any, hostile: HostilePeer
) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await hostile.link(a)
        to_a = f"direct:{a.node_id}"
        successor = SigningKey(b"\x77" * 32)
        good = make_rotation(hostile.key, successor)
        other = SigningKey(b"\x78" * 32)
        forged_proof = other.sign(proof_input(hostile.node_id, node_id_of(successor)))
        onto_b = {
            "new_key": b.node_id,
            "proof": b64encode(b.key.sign(proof_input(hostile.node_id, b.node_id)).signature),
        }
        cases = [
            (
                {**good, "proof": b64encode(forged_proof.signature)},
                None,
                ErrorCode.BAD_ROTATION_PROOF,
            ),
            ({**good, "new_key": node_id_of(other)}, None, ErrorCode.BAD_ROTATION_PROOF),
            (good, f"mallory@{hostile.node_id}", ErrorCode.ROTATION_SCOPE),
            (onto_b, None, ErrorCode.ROTATION_CONFLICT),
        ]
        held = await state(a)
        for body, actor, code in cases:
            env, _ = hostile.envelope(to_a, 1, None, kind="key.rotate", body=body)
            if actor is not None:
                env = sign(Draft("key.rotate", to_a, 1, None, body, TS, actor), hostile.key)
            answer = await hostile.inbox(a, [env.to_bytes()])
            assert [(r["status"], r.get("code")) for r in answer.results] == [("rejected", code)]
            assert await state(a) == held
        peer = await a.peers.get(hostile.node_id)
        assert peer is not None
        assert peer.state == "linked"

        # The hostile node is still itself: its next envelope stands, and a good rotation
        # is then taken in.
        env, _ = hostile.envelope(to_a, 1, None, body=box())
        rot, _ = hostile.envelope(to_a, 2, envelope_id(env), kind="key.rotate", body=good)
        answer = await hostile.inbox(a, [env.to_bytes(), rot.to_bytes()])
        assert [r["status"] for r in answer.results] == ["accepted", "accepted"]
        assert await a.peers.get(hostile.node_id) is None
        assert await a.peers.get(node_id_of(successor)) is not None


async def test_a_peer_that_was_down_hears_of_it_after_a_restart(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        old_id = b.node_id
        await c.stop(d)
        new_key = await rotate(b)
        new_id = node_id_of(new_key)
        assert await b.fed.deliver_once() == 1  # A only; D is down
        assert await a.peers.get(new_id) is not None

        # B restarts: a fresh Federation knows the new key only, until it is given the
        # kept ones.
        await restart(c, b)
        install_rotating_client(b.fed, load_retired_keys(b.node.config))
        await c.start(d)
        c.clock.advance(dt.timedelta(hours=2))  # past B's backoff for D
        b.transport.clear()
        assert await b.fed.deliver_once() == 1
        assert senders(b, d) == [old_id]
        assert await d.peers.get(old_id) is None
        assert await d.peers.get(new_id) is not None

        # From then on B signs with its new key, and everyone converges.
        await send_direct(b.node, d.node_id, "back")
        b.transport.clear()
        await c.settle()
        assert set(senders(b, d)) == {new_id}
        assert [m.text for m in await read_direct(d.node, new_id)] == ["back"]


async def restart(c: Cluster, node: ClusterNode) -> None:
    await c.stop(node)
    await c.start(node)


async def test_a_rotation_needs_the_key_file_of_the_running_key(cluster: Any) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        path = b.node.config.key_path
        write_key(path, b.key, "correct horse")
        held = await state(b)
        for passphrase, code in (
            (None, "key.passphrase_required"),
            ("wrong", "key.bad_passphrase"),
        ):
            with pytest.raises(KeyFileError) as err:
                await rotate_key(b.node, b.fed, passphrase=passphrase)
            assert err.value.code == code
        assert await state(b) == held
        assert b.node.node_id == b.node_id
        assert sorted(p.name for p in path.parent.glob("node.key*")) == ["node.key"]

        new = await rotate(b, passphrase="correct horse")
        assert read_key(path, "correct horse").verify_key == new.verify_key
        with pytest.raises(KeyFileError):
            read_key(path)

        # A key file that is not the running node's is refused.
        path.unlink()
        write_key(path, SigningKey(b"\x55" * 32))
        with pytest.raises(KeyFileError) as err:
            await rotate_key(b.node, b.fed)
        assert "does not hold the key" in str(err.value)
        assert b.node.node_id == node_id_of(new)
