"""A hostile peer: linked with the home node A of a federated circle and a member of it,
it sends crafted requests and envelopes on purpose. For each attack the receiver answers
with the right code and stores nothing of it (compared on its export and feed tables)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from harness import Cluster, ClusterNode, HostilePeer
from nacl.signing import SigningKey

from federation.client import PeerError, scope_path
from federation.service import MAX_BATCH, MAX_REQUEST_BYTES
from protocol import Envelope, ErrorCode, sha256_id
from protocol.requests import SIGNATURE

pytestmark = pytest.mark.timeout(60)

INBOX = "/fed/v1/inbox"


@dataclass
class World:
    c: Cluster
    a: ClusterNode
    b: ClusterNode
    hostile: HostilePeer
    gen: str  # A's circle: B and the hostile peer are member nodes
    closed: str  # A's circle with B only
    joined: str  # the hostile peer's acceptance: seq 1 of its feed in gen


@pytest.fixture
async def world(cluster: Any, hostile: HostilePeer) -> AsyncIterator[World]:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await hostile.link(a)
        gen = await c.federated_circle(a, [b], name="General")
        await a.node.set_membership(gen.id, hostile.node_id)
        joined = await hostile.join(a, gen.id)
        closed = await c.federated_circle(a, [b], name="Closed")
        await c.settle()
        yield World(c, a, b, hostile, gen.id, closed.id, joined)


async def held(node: ClusterNode) -> tuple[Any, ...]:
    """Everything an attack could have changed: the log, feeds, evidence, the outbox,
    the projections."""
    return (
        await node.export(),
        await node.store.fetchall("SELECT * FROM feeds ORDER BY author, scope"),
        await node.store.fetchall("SELECT * FROM equivocations ORDER BY id"),
        await node.store.fetchall("SELECT * FROM outbox ORDER BY rowid"),
        await node.store.fetchall("SELECT * FROM circles ORDER BY id"),
        await node.store.fetchall("SELECT * FROM circle_members ORDER BY circle_id, member"),
    )


def forge(env: Envelope, **fields: Any) -> bytes:
    """The envelope with fields changed and its signature kept (no longer matching)."""
    changed = msgspec.structs.replace(
        env,
        **fields,
        header_bytes=b"",
        body_bytes=None,
        sig_bytes=b"",
        signed=b"",
        body_hash_bytes=b"",
    )
    return changed.to_bytes()


def other_sig(env: Envelope) -> bytes:
    """The envelope with one character of its signature changed (still well-formed)."""
    first = "B" if env.sig[0] != "B" else "C"
    return forge(env, sig=first + env.sig[1:])


def rejected(answer: Any) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in answer.results]


# --- request authentication --------------------------------------------------------------------


async def test_an_unknown_sender_is_refused(world: World) -> None:
    stranger = HostilePeer(SigningKey(b"\x77" * 32))
    try:
        env, _ = stranger.envelope(world.gen, 1, None)
        before = await held(world.a)
        answer = await stranger.inbox(world.a, [env.to_bytes()])
        assert (answer.status, answer.code) == (403, ErrorCode.AUTH_NOT_LINKED)
        assert await held(world.a) == before
    finally:
        await stranger.close()


async def test_a_valid_signature_over_a_swapped_body(world: World) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 1, None)
    honest = b'{"envelopes":[]}'
    swapped = b'{"envelopes":[' + env.to_bytes() + b"]}"
    before = await held(a)
    answer = await h.send(a, "POST", INBOX, swapped, headers=h.signed(a, "POST", INBOX, honest))
    assert (answer.status, answer.code) == (401, ErrorCode.AUTH_DIGEST_MISMATCH)
    assert await held(a) == before


async def test_a_replayed_request(world: World) -> None:
    h, a = world.hostile, world.a
    env, env_id = h.envelope(world.gen, 2, world.joined)
    body = b'{"envelopes":[' + env.to_bytes() + b"]}"
    headers = h.signed(a, "POST", INBOX, body)
    first = await h.send(a, "POST", INBOX, body, headers=headers)
    assert rejected(first) == [("accepted", None)]
    assert await a.store.get_envelope(env_id) is not None
    before = await held(a)
    again = await h.send(a, "POST", INBOX, body, headers=headers)
    assert (again.status, again.code) == (401, ErrorCode.AUTH_REPLAY)
    assert await held(a) == before


async def test_a_request_for_another_destination(world: World) -> None:
    h, a, b = world.hostile, world.a, world.b
    env, _ = h.envelope(world.gen, 1, None)
    body = b'{"envelopes":[' + env.to_bytes() + b"]}"
    before = await held(a)
    headers = h.signed(a, "POST", INBOX, body, destination=b.node_id)
    answer = await h.send(a, "POST", INBOX, body, headers=headers)
    assert (answer.status, answer.code) == (401, ErrorCode.AUTH_WRONG_DESTINATION)
    assert await held(a) == before


@pytest.mark.parametrize("skew", [-600, 600])
async def test_a_stale_timestamp(world: World, skew: int) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 1, None)
    body = b'{"envelopes":[' + env.to_bytes() + b"]}"
    before = await held(a)
    headers = h.signed(a, "POST", INBOX, body, timestamp=int(time.time()) + skew)
    answer = await h.send(a, "POST", INBOX, body, headers=headers)
    assert (answer.status, answer.code) == (401, ErrorCode.AUTH_STALE)
    assert await held(a) == before


async def test_garbage_and_missing_signature_headers(world: World) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 1, None)
    body = b'{"envelopes":[' + env.to_bytes() + b"]}"
    before = await held(a)
    good = h.signed(a, "POST", INBOX, body)
    # Signed by another key than the sender's.
    forged = h.signed(a, "POST", INBOX, body, key=SigningKey(b"\x78" * 32))
    cases = [
        ({**good, SIGNATURE: "!!not base64!!"}, 401, ErrorCode.AUTH_BAD_SIGNATURE),
        ({**good, SIGNATURE: forged[SIGNATURE]}, 401, ErrorCode.AUTH_BAD_SIGNATURE),
        ({k: v for k, v in good.items() if k != SIGNATURE}, 401, ErrorCode.AUTH_MISSING),
        ({**good, "NST-Nonce": "short"}, 401, ErrorCode.AUTH_MISSING),
        ({}, 401, ErrorCode.AUTH_MISSING),
    ]
    for headers, status, code in cases:
        answer = await h.send(a, "POST", INBOX, body, headers=headers)
        assert (answer.status, answer.code) == (status, code), headers
    assert await held(a) == before


# --- envelopes inside a valid request ----------------------------------------------------------


async def test_an_envelope_naming_another_author_signed_by_the_sender(world: World) -> None:
    h, a, b = world.hostile, world.a, world.b
    mine, _ = h.envelope(world.gen, 1, None, body={"text": "I am B, trust me"})
    as_b = forge(mine, author=b.node_id)
    before = await held(a)
    answer = await h.inbox(a, [as_b])
    assert rejected(answer) == [("rejected", ErrorCode.BAD_SIGNATURE)]
    assert await held(a) == before


async def test_envelopes_outside_the_canonical_subset(world: World) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 2, world.joined, body={"text": "hi"})
    raw = env.to_bytes()
    # Each is signed over what a lenient parser would re-serialize it to.
    assert b'"seq":2,' in raw
    assert b'"body":{"text":"hi"}' in raw
    as_float = raw.replace(b'"seq":2,', b'"seq":2.0,')
    duplicate = raw.replace(b'"body":{"text":"hi"}', b'"body":{"text":"evil","text":"hi"}')
    big = raw.replace(b'"seq":2,', b'"seq":18446744073709551617,')
    exponent = raw.replace(b'"seq":2,', b'"seq":2e0,')
    before = await held(a)
    answer = await h.inbox(a, [as_float, duplicate, big, exponent])
    assert rejected(answer) == [
        ("rejected", ErrorCode.FLOAT),
        ("rejected", ErrorCode.DUPLICATE_KEY),
        ("rejected", ErrorCode.INT_RANGE),
        ("rejected", ErrorCode.FLOAT),
    ]
    assert await held(a) == before
    # The honest bytes are accepted.
    assert rejected(await h.inbox(a, [raw])) == [("accepted", None)]


async def test_an_envelope_from_a_node_that_is_not_a_member(world: World) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.closed, 1, None)
    # A member may write messages, but never a circle's charter or others' memberships.
    membership, _ = h.envelope(
        world.gen,
        2,
        world.joined,
        kind="membership",
        body={"member": world.b.node_id, "status": "removed", "roles": [], "final_seq": 1},
    )
    # Nor into a direct scope addressed to another node.
    to_b, _ = h.envelope(f"direct:{world.b.node_id}", 1, None, body={"box": "aGk"})
    before = await held(a)
    answer = await h.inbox(a, [env.to_bytes(), membership.to_bytes(), to_b.to_bytes()])
    assert rejected(answer) == [
        ("rejected", ErrorCode.NOT_MEMBER),
        ("rejected", ErrorCode.NOT_HOME),
        ("rejected", ErrorCode.NOT_RECIPIENT),
    ]
    assert await held(a) == before


async def test_forged_prev_and_gaps(world: World) -> None:
    h, a = world.hostile, world.a
    first, first_id = h.envelope(world.gen, 2, world.joined)
    assert rejected(await h.inbox(a, [first.to_bytes()])) == [("accepted", None)]
    before = await held(a)

    bad_prev, _ = h.envelope(world.gen, 3, sha256_id(b"not the head"))
    ahead, _ = h.envelope(world.gen, 6, sha256_id(b"somewhere"))
    answer = await h.inbox(a, [bad_prev.to_bytes(), ahead.to_bytes()])
    assert rejected(answer) == [
        ("rejected", ErrorCode.FEED_BAD_PREV),
        ("gap", ErrorCode.FEED_GAP),  # not stored; the sync worker will fetch
    ]
    assert await held(a) == before
    assert await a.store.heads(world.gen) == {a.node_id: 3, world.b.node_id: 1, h.node_id: 2}

    good, _ = h.envelope(world.gen, 3, first_id)
    assert rejected(await h.inbox(a, [good.to_bytes()])) == [("accepted", None)]


async def test_a_bad_relayed_envelope_inside_a_valid_batch(world: World) -> None:
    h, a, b = world.hostile, world.a, world.b
    # B's real next envelope in the circle, not yet delivered; the hostile peer relays a
    # copy with its signature changed, between two good envelopes of its own.
    real = await b.node.author("message", world.gen, {"text": "from B"})
    assert real.envelope is not None
    tampered = other_sig(real.envelope)
    mine1, id1 = h.envelope(world.gen, 2, world.joined)
    mine2, id2 = h.envelope(world.gen, 3, id1)
    before_b = await a.store.heads(world.gen)
    answer = await h.inbox(a, [mine1.to_bytes(), tampered, mine2.to_bytes()])
    assert rejected(answer) == [
        ("accepted", None),
        ("rejected", ErrorCode.BAD_SIGNATURE),
        ("accepted", None),
    ]
    assert [r["id"] for r in answer.results] == [id1, None, id2]
    heads = await a.store.heads(world.gen)
    assert heads[h.node_id] == 3
    assert heads[b.node_id] == before_b[b.node_id] == 1  # B's acceptance alone
    assert sha256_id(tampered) not in str(await a.export())
    # B's own delivery of the real one still lands.
    await world.c.settle()
    assert await a.store.get_envelope(real.id or "") is not None


async def test_an_unreadable_scope_is_refused(world: World) -> None:
    h, a = world.hostile, world.a
    for call in (
        h.client.heads(a.node_id, a.url, world.closed),
        h.client.feed_raw(a.node_id, a.url, world.closed, a.node_id),
        h.client.heads(a.node_id, a.url, f"direct:{world.b.node_id}"),
    ):
        with pytest.raises(PeerError) as err:
            await call
        assert (err.value.status, err.value.code) == (403, ErrorCode.NOT_MEMBER)
    # While its own circle is readable.
    assert (await h.client.heads(a.node_id, a.url, world.gen))[a.node_id] == 3
    path = scope_path(world.closed) + "/heads"
    answer = await h.send(a, "GET", path)
    assert (answer.status, answer.code) == (403, ErrorCode.NOT_MEMBER)


async def test_size_and_depth_limits(world: World) -> None:
    h, a = world.hostile, world.a
    before = await held(a)

    # A request body over the limit.
    huge = b'{"envelopes":["' + b"x" * MAX_REQUEST_BYTES + b'"]}'
    answer = await h.send(a, "POST", INBOX, huge)
    assert (answer.status, answer.code) == (413, ErrorCode.REQUEST_TOO_LARGE)

    # One envelope more than a batch may hold.
    env, _ = h.envelope(world.gen, 1, None)
    answer = await h.inbox(a, [env.to_bytes()] * (MAX_BATCH + 1))
    assert (answer.status, answer.code) == (413, ErrorCode.REQUEST_TOO_LARGE)

    # Nesting deeper than 32, inside an envelope and as a whole "envelope".
    raw = env.to_bytes()
    nested = raw.replace(b'"body":{', b'"body":{"x":' + b"[" * 40 + b"]" * 40 + b",", 1)
    deep_array = b"[" * 100 + b"]" * 100
    answer = await h.inbox(a, [nested, deep_array])
    assert rejected(answer) == [("rejected", ErrorCode.TOO_DEEP), ("rejected", ErrorCode.TOO_DEEP)]

    # Nesting deep enough to exhaust a recursive parser: a clear refusal, not a crash.
    abyss = b'{"envelopes":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    answer = await h.send(a, "POST", INBOX, abyss)
    assert (answer.status, answer.code) == (400, ErrorCode.TOO_DEEP)
    assert await held(a) == before


async def test_a_full_batch_of_large_envelopes_is_read_whole(world: World) -> None:
    """A body of several megabytes arrives in many chunks; all of it is read before the
    digest is checked."""
    h, a = world.hostile, world.a
    raws, prev = [], world.joined
    for seq in range(2, MAX_BATCH + 2):
        env, prev = h.envelope(world.gen, seq, prev, body={"text": f"{seq:05d}" + "z" * 3000})
        raws.append(env.to_bytes())
    assert sum(map(len, raws)) > 3 * 1024 * 1024
    answer = await h.inbox(a, raws)
    assert rejected(answer) == [("accepted", None)] * MAX_BATCH
    assert (await a.store.heads(world.gen))[h.node_id] == MAX_BATCH + 1


async def test_equivocation_is_kept_as_evidence_and_freezes_the_feed(world: World) -> None:
    h, a = world.hostile, world.a
    one, one_id = h.envelope(world.gen, 2, world.joined, body={"text": "the first history"})
    two, two_id = h.envelope(world.gen, 3, one_id)
    assert rejected(await h.inbox(a, [one.to_bytes(), two.to_bytes()])) == [
        ("accepted", None),
        ("accepted", None),
    ]
    exported = await a.export()

    other, other_id = h.envelope(world.gen, 3, one_id, body={"text": "the second history"})
    answer = await h.inbox(a, [other.to_bytes()])
    assert rejected(answer) == [("equivocation", ErrorCode.FEED_EQUIVOCATION)]
    [evidence] = await a.store.equivocations()
    assert (evidence["id"], evidence["held_id"]) == (other_id, two_id)
    assert (evidence["author"], evidence["scope"], evidence["seq"]) == (h.node_id, world.gen, 3)
    blob = await a.store.fetchone("SELECT envelope FROM equivocations WHERE id = ?", (other_id,))
    assert blob[0] == other.to_bytes()  # the whole second envelope, re-verifiable
    assert await a.export() == exported  # the log itself holds the first history only

    # The feed is frozen: later envelopes, and even the held ones again, are refused.
    three, _ = h.envelope(world.gen, 4, two_id)
    answer = await h.inbox(a, [three.to_bytes(), two.to_bytes()])
    assert rejected(answer) == [
        ("rejected", ErrorCode.FEED_FROZEN),
        ("rejected", ErrorCode.FEED_FROZEN),
    ]
    assert await a.export() == exported
    assert len(await a.store.equivocations()) == 1
    frozen = await a.store.fetchone(
        "SELECT frozen, head_seq FROM feeds WHERE author = ? AND scope = ?", (h.node_id, world.gen)
    )
    assert tuple(frozen) == (1, 3)
    # Other feeds of the scope are unaffected.
    msg = await world.b.node.author("message", world.gen, {"text": "B carries on"})
    await world.c.settle()
    assert await a.store.get_envelope(msg.id or "") is not None


async def test_a_random_blob_is_a_malformed_request(world: World) -> None:
    h, a = world.hostile, world.a
    before = await held(a)
    for body in (b"not json", b'{"envelopes":{}}', b'{"envelopes":[],"extra":1}', b"[]"):
        answer = await h.send(a, "POST", INBOX, body)
        assert (answer.status, answer.code) == (400, ErrorCode.REQUEST_MALFORMED), body
    answer = await h.inbox(a, [b'"an envelope"', b"42", b"{}"])
    assert rejected(answer) == [
        ("rejected", ErrorCode.NOT_OBJECT),
        ("rejected", ErrorCode.NOT_OBJECT),
        ("rejected", ErrorCode.MISSING_FIELD),
    ]
    assert await held(a) == before


# --- a hostile peer answering our pulls --------------------------------------------------------


async def test_hostile_answers_to_pulls_are_refused_without_harm(
    cluster: Any, hostile: HostilePeer
) -> None:
    """The sync worker pulls from a member that lies: each lie is refused with a code,
    the worker carries on, and nothing of it is stored."""
    answers: dict[str, tuple[int, bytes]] = {}

    async def answer(request: Any) -> tuple[int, bytes]:
        kind = "heads" if request.path.endswith("/heads") else "feed"
        if request.path.endswith("/heads") and "direct:" in request.path:
            return 200, b'{"heads":{}}'
        return answers[kind]

    await hostile.serve(answer)
    async with cluster(1) as c:
        a = c.nodes[0]
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        first_id = await hostile.join(a, gen.id)
        first = await a.store.get_envelope(first_id)
        assert first is not None
        before = await held(a)
        heads = b'{"heads":{"%s":1000000}}' % hostile.node_id.encode()
        lies = [
            (200, b'{"envelopes":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "json.too_deep"),
            (200, b"not json at all", "request.malformed"),
            (200, b'{"envelopes":"none"}', "request.malformed"),
            (500, b'{"error":{"code":"boom","message":"x"}}', "boom"),
            # The one envelope we hold, again and again, while claiming a million more.
            (200, b'{"envelopes":[' + first.to_bytes() + b"]}", None),
        ]
        for status, feed, code in lies:
            answers["heads"] = (200, heads)
            answers["feed"] = (status, feed)
            hostile.received.clear()
            a.fed.last_errors.clear()
            assert await a.fed.sync_once() == 0
            feed_requests = [p for p in hostile.received if "/feed?" in p]
            assert len(feed_requests) == 1, (code, hostile.received)  # no endless loop
            errors = [e["error"] for e in a.fed.last_errors]
            if code is None:
                assert errors == []
            else:
                assert len(errors) == 1
                assert code in errors[0]
            assert await held(a) == before
