"""A hostile peer: linked with the home node A of a federated circle and a member of it,
it sends crafted requests and envelopes on purpose. For each attack the receiver answers
with the right code and stores nothing of it (compared on its export and feed tables)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import orjson
import pytest
from harness import Cluster, ClusterNode, HostilePeer
from nacl.signing import SigningKey

from federation.client import PeerError, scope_path
from federation.limits import MAX_BATCH, MAX_REQUEST_BYTES
from node.cli.data import write_export
from protocol import Envelope, ErrorCode, b64encode, sha256_id
from protocol.canonical import encode
from protocol.requests import NONCE, SIGNATURE, sign_request, verify_response

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
        gen = await c.federated_circle(a, [b], name="General", invite=[hostile.node_id])
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


async def test_equivocation_evidence_is_exported_proven_offline_and_imported(
    world: World, tmp_path: Path
) -> None:
    h, a = world.hostile, world.a
    one, one_id = h.envelope(world.gen, 2, world.joined)
    other, other_id = h.envelope(world.gen, 2, world.joined, body={"text": "the other history"})
    assert rejected(await h.inbox(a, [one.to_bytes()])) == [("accepted", None)]
    assert rejected(await h.inbox(a, [other.to_bytes()])) == [
        ("equivocation", ErrorCode.FEED_EQUIVOCATION)
    ]
    sink = io.BytesIO()
    await write_export(a.store, sink, a.node.key)
    lines = sink.getvalue().splitlines()
    evidence = [line for line in lines if line.startswith(b'{"equivocation":')]
    assert evidence == [b'{"equivocation":[' + one.to_bytes() + b"," + other.to_bytes() + b"]}"]

    # Anyone re-verifies the evidence offline, from that one line of the export.
    (tmp_path / "evidence.json").write_bytes(evidence[0])
    proof = await _nst("proto", "verify", "--equivocation", tmp_path / "evidence.json")
    assert proof.splitlines() == [
        f"proven equivocation: {h.node_id} signed two envelopes at seq 2 of {world.gen}",
        one_id,
        other_id,
    ]

    # A fresh node imports the export with its evidence, and its feed frozen; evidence
    # that proves nothing is refused, and nothing imported.
    fresh = tmp_path / "fresh"
    await _nst("init", "--name", "Copy", "--data-dir", fresh)
    forged = b'{"equivocation":[' + one.to_bytes() + b"," + one.to_bytes() + b"]}"
    (tmp_path / "forged.jsonl").write_bytes(sink.getvalue().replace(evidence[0], forged))
    refused = await _nst("import", tmp_path / "forged.jsonl", "--data-dir", fresh, ok=False)
    assert f"line {lines.index(evidence[0]) + 1}: equivocation.same_envelope:" in refused
    (tmp_path / "export.jsonl").write_bytes(sink.getvalue())
    await _nst("import", tmp_path / "export.jsonl", "--data-dir", fresh)
    conn = sqlite3.connect(fresh / "nst.sqlite3")
    try:
        kept = conn.execute("SELECT id, held_id, author, scope, seq, envelope FROM equivocations")
        assert kept.fetchall() == [(other_id, one_id, h.node_id, world.gen, 2, other.to_bytes())]
        frozen = conn.execute(
            "SELECT frozen FROM feeds WHERE author = ? AND scope = ?", (h.node_id, world.gen)
        )
        assert frozen.fetchall() == [(1,)]
    finally:
        conn.close()
    again = (await _nst("export", "--data-dir", fresh)).encode().splitlines()
    assert [line for line in again if line.startswith(b'{"equivocation":')] == evidence


async def _nst(*args: str | Path, ok: bool = True) -> str:
    """A real ``nst`` command: its stdout when it must succeed, else its stderr (and it
    must fail)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("NST_")},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert (proc.returncode == 0) == ok, err.decode()
    return out.decode() if ok else err.decode()


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


# --- numbers of any length ---------------------------------------------------------------------

LONG = ["9" * 17, "9" * 4300, "9" * 4301, "9" * 60_000, "-" + "9" * 4300, "-" + "9" * 4301]


def with_raw_body(h: HostilePeer, scope: str, seq: int, raw_body: bytes) -> bytes:
    """An envelope whose body is ``raw_body`` as given, its body_hash over those bytes and
    its signature valid: only the canonical subset's check can refuse it."""
    env, _ = h.envelope(scope, seq, None, body={"text": "PLACE"})
    header = {k: v for k, v in env.to_json().items() if k not in ("body", "sig")}
    header["body_hash"] = sha256_id(raw_body)
    header["sig"] = b64encode(h.key.sign(encode(header)).signature)
    return encode({**header, "body": {"text": "PLACE"}}).replace(b'{"text":"PLACE"}', raw_body)


async def test_integers_of_any_length_in_envelopes_are_int_range(world: World) -> None:
    h, a = world.hostile, world.a
    raw = h.envelope(world.gen, 1, None)[0].to_bytes()
    elements = []
    for number in LONG:
        n = number.encode()
        elements += [
            with_raw_body(h, world.gen, 1, b'{"text":' + n + b"}"),
            with_raw_body(h, world.gen, 1, b'{"text":"x","thread":[' + n + b"]}"),
            raw.replace(b'"seq":1,', b'"seq":' + n + b","),
            raw.replace(b'"seq":1,', b' "seq" : ' + n + b" ,"),  # not canonical
        ]
    before = await held(a)
    answer = await h.inbox(a, elements)
    assert rejected(answer) == [("rejected", ErrorCode.INT_RANGE)] * len(elements)
    assert all(len(r["message"]) < 100 for r in answer.results)
    assert await held(a) == before


@pytest.mark.parametrize("number", [*LONG, "9" * 100_000, "-" + "9" * 100_000])
async def test_integers_of_any_length_in_the_request_are_int_range(
    world: World, number: str
) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 1, None)
    body = b'{"envelopes":[%s],"order":[{"pos":%s,"at":"2026-11-22T10:00:00Z"}]}' % (
        env.to_bytes(),
        number.encode(),
    )
    before = await held(a)
    answer = await h.send(a, "POST", INBOX, body)
    assert (answer.status, answer.code) == (400, ErrorCode.INT_RANGE)
    assert len(answer.body["error"]["message"]) < 200
    assert await held(a) == before


async def test_integers_of_any_length_in_answers_to_pulls(
    cluster: Any, hostile: HostilePeer
) -> None:
    """Heads, feed pages and order pages from a peer that answers with numbers no
    integer type holds: json.int_range for the answer, or for the one envelope that
    holds it; nothing stored."""
    answers: dict[str, bytes] = {}

    async def answer(request: Any) -> tuple[int, bytes]:
        return 200, answers[request.path.rsplit("/", 1)[-1]]

    await hostile.serve(answer)
    async with cluster(1) as c:
        a = c.nodes[0]
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        first, first_id = hostile.envelope(gen.id, 1, None)
        await a.fed.ingest(hostile.node_id, [first.to_bytes()])
        second = hostile.envelope(gen.id, 2, first_id)[0].to_bytes()
        client, peer, url = a.fed.client, hostile.node_id, hostile.url
        before = await held(a)
        for number in LONG:
            n = number.encode()
            answers["heads"] = b'{"scope":"x","heads":{"%s":%s}}' % (peer.encode(), n)
            answers["order"] = b'{"order":[{"pos":%s,"id":"%s","at":"2026-11-22T10:00:00Z"}]}' % (
                n,
                sha256_id(b"x").encode(),
            )
            answers["feed"] = b'{"envelopes":[%s]}' % second.replace(b'"seq":2,', b'"seq":%s,' % n)
            answers["other"] = b'{"protocol":[%s]}' % n  # any other answer, read by call()
            for call in (
                client.heads(peer, url, gen.id),
                client.order(peer, url, gen.id),
                client.call("GET", url, peer, "/fed/v1/other"),
            ):
                with pytest.raises(PeerError) as err:
                    await call
                assert err.value.code == ErrorCode.INT_RANGE
                assert len(str(err.value)) < 300
            raws = await client.feed_raw(peer, url, gen.id, peer, 1)
            results = await a.fed.ingest(peer, raws)
            assert [(r.status, r.code) for r in results] == [("rejected", ErrorCode.INT_RANGE)]
            # The sync worker says so, and carries on.
            a.fed.last_errors.clear()
            assert await a.fed.sync_once() == 0
            assert {e["error"].split(": ")[0] for e in a.fed.last_errors} == {
                f"200 {ErrorCode.INT_RANGE}"
            }
            assert await held(a) == before


# --- what fails a whole request, and what fails one envelope (§12.4) ---------------------------


async def test_subset_faults_fail_their_envelope_and_grammar_faults_the_request(
    world: World,
) -> None:
    """The body is JSON text (RFC 8259) or the whole request is request.malformed; the
    rules of the canonical subset beyond the grammar are each envelope's own."""
    h, a = world.hostile, world.a
    raw = h.envelope(world.gen, 2, world.joined, body={"text": "hi"})[0].to_bytes()
    text = b'"text":"hi"'
    assert text in raw

    def inner(new: bytes) -> bytes:
        return raw.replace(text, new)

    def nested(depth: int) -> bytes:  # the envelope and its body count 2
        return raw.replace(
            b'"body":{', b'"body":{"x":' + b"[" * (depth - 2) + b"]" * (depth - 2) + b","
        )

    per_envelope = [
        (inner(b'"text":"\\ud800"'), ErrorCode.LONE_SURROGATE),
        (inner(b'"text":"\\udc00\\ud83d"'), ErrorCode.LONE_SURROGATE),
        (inner(b'"text":"\\ud83d\\ude00"'), ErrorCode.BODY_HASH_MISMATCH),  # a pair is text
        (nested(33), ErrorCode.TOO_DEEP),
        (nested(100), ErrorCode.TOO_DEEP),
        (nested(126), ErrorCode.TOO_DEEP),  # the body 128 deep: still the element's
        (inner(b'"text":"hi","text":"ho"'), ErrorCode.DUPLICATE_KEY),
        (inner(b'"text":"hi","\\u00e9":1'), ErrorCode.NON_ASCII_KEY),
        (inner(b'"text":1.0'), ErrorCode.FLOAT),
        (b"{" + b" " * 65536 + raw[1:], ErrorCode.TOO_LARGE),
    ]
    whole = [
        inner(b'"text":NaN'),
        inner(b'"text":-Infinity'),
        inner(b'"text":"\xff"'),
        inner(b'"text":"\xed\xa0\x80"'),  # a surrogate encoded in UTF-8
        inner(b'"text":"a\nb"'),
        inner(b'"text":"hi",'),
        inner(b'"text":"\\x41"'),
    ]
    before = await held(a)
    for bad in whole:
        for body in (
            b'{"envelopes":[' + bad + b"]}",
            b'{"envelopes":[' + per_envelope[0][0] + b"," + bad + b"]}",
        ):
            answer = await h.send(a, "POST", INBOX, body)
            assert (answer.status, answer.code) == (400, ErrorCode.REQUEST_MALFORMED), bad
    answer = await h.inbox(a, [bad for bad, _ in per_envelope])
    assert rejected(answer) == [("rejected", code) for _, code in per_envelope]
    assert await held(a) == before

    # With a good envelope among them, and positions given: each judged alone.
    lone = per_envelope[0][0]
    body = b'{"envelopes":[%s,%s,%s],"order":[null,null,null]}' % (lone, raw, lone)
    answer = await h.send(a, "POST", INBOX, body)
    assert rejected(answer) == [
        ("rejected", ErrorCode.LONE_SURROGATE),
        ("accepted", None),
        ("rejected", ErrorCode.LONE_SURROGATE),
    ]
    assert (await a.store.heads(world.gen))[h.node_id] == 2


async def test_a_feed_page_is_judged_as_an_inbox_body(cluster: Any, hostile: HostilePeer) -> None:
    answers: dict[str, bytes] = {}

    async def answer(request: Any) -> tuple[int, bytes]:
        return 200, answers[request.path.rsplit("/", 1)[-1]]

    await hostile.serve(answer)
    async with cluster(1) as c:
        a = c.nodes[0]
        await hostile.link(a)
        gen = await a.node.create_circle("General", "Coordinate", federated=True)
        await a.node.set_membership(gen.id, hostile.node_id)
        joined = await hostile.join(a, gen.id)
        first = hostile.envelope(gen.id, 2, joined, body={"text": "hi"})[0].to_bytes()
        lone = first.replace(b'"text":"hi"', b'"text":"\\ud800"')
        client, peer, url = a.fed.client, hostile.node_id, hostile.url
        answers["feed"] = b'{"envelopes":[%s,%s]}' % (lone, first)
        raws = await client.feed_raw(peer, url, gen.id, peer)
        assert raws == [lone, first]
        results = await a.fed.ingest(peer, raws)
        assert [(r.status, r.code) for r in results] == [
            ("rejected", ErrorCode.LONE_SURROGATE),
            ("accepted", None),
        ]
        answers["feed"] = b'{"envelopes":[%s]}' % first.replace(b'"text":"hi"', b'"text":"\xff"')
        with pytest.raises(PeerError) as err:
            await client.feed_raw(peer, url, gen.id, peer)
        assert err.value.code == ErrorCode.REQUEST_MALFORMED


# --- what is read before the sender is known (§12.2) -------------------------------------------


async def test_a_compressed_body_is_refused_whatever_its_digest_covers(world: World) -> None:
    """The digest covers the body as sent; a node never inflates one (it would do so
    before knowing who sent it). Refused with its code, signed, nothing stored."""
    h, a = world.hostile, world.a
    env, env_id = h.envelope(world.gen, 2, world.joined)
    plain = b'{"envelopes":[' + env.to_bytes() + b"]}"
    packed = gzip.compress(plain)
    before = await held(a)
    for signed_over in (plain, packed):
        headers = {
            **h.signed(a, "POST", INBOX, signed_over),
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        }
        resp = await h.transport.request("POST", a.url + INBOX, headers, packed)
        assert resp.status == 415
        assert orjson.loads(resp.body)["error"]["code"] == ErrorCode.REQUEST_ENCODING_UNSUPPORTED
        verify_response(resp.headers, headers[NONCE], 415, resp.body, a.node_id)
    assert await held(a) == before
    assert await a.store.get_envelope(env_id) is None
    # Sent as it is, the same envelope is taken.
    assert rejected(await h.inbox(a, [env.to_bytes()])) == [("accepted", None)]


async def test_header_values_are_taken_without_surrounding_whitespace(world: World) -> None:
    h, a = world.hostile, world.a
    env, _ = h.envelope(world.gen, 2, world.joined)
    body = b'{"envelopes":[' + env.to_bytes() + b"]}"
    padded = {name: f" \t{value}\t " for name, value in h.signed(a, "POST", INBOX, body).items()}
    assert rejected(await h.send(a, "POST", INBOX, body, headers=padded)) == [("accepted", None)]


async def test_the_request_target_is_signed_as_sent(world: World) -> None:
    """A query percent-encoded otherwise than signed is another request target: refused,
    though it decodes to the same parameters."""
    h, a = world.hostile, world.a
    path = f"{scope_path(world.gen)}/feed?author={a.node_id.replace(':', '%3A')}&after=0"
    same_query = path.replace("%3A", ":")
    assert (await h.send(a, "GET", path)).status == 200
    for sent in (same_query, path.replace("%3A", "%3a"), path.replace("after=0", "after=%30")):
        answer = await h.send(a, "GET", sent, headers=h.signed(a, "GET", path))
        assert (answer.status, answer.code) == (401, ErrorCode.AUTH_BAD_SIGNATURE), sent
        assert (await h.send(a, "GET", sent)).status == 200  # signed as sent, it is taken


async def test_a_request_is_refused_before_its_body_is_read(world: World) -> None:
    """Unsigned, or signed by a node that is not linked: answered while the body is
    still on its way (a slow or huge body costs the receiver nothing)."""
    a = world.a
    stranger = SigningKey(b"\x79" * 32)
    cases = [
        ({}, 401, ErrorCode.AUTH_MISSING),
        (sign_request(stranger, "POST", INBOX, a.node_id, b"{}", int(time.time())), 403, None),
    ]

    async def slow_body(release: asyncio.Event) -> AsyncIterator[bytes]:
        yield b'{"envelopes":['
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), 20)
        yield b"]}"

    async with aiohttp.ClientSession() as http:
        for headers, status, code in cases:
            release = asyncio.Event()
            began = time.perf_counter()
            body = slow_body(release)
            async with http.post(a.url + INBOX, data=body, headers=headers) as resp:
                assert resp.status == status
                if code is not None:
                    assert (await resp.json())["error"]["code"] == code
                assert time.perf_counter() - began < 5.0
                release.set()


async def test_query_integers_are_decimal_and_in_range(world: World) -> None:
    h, a = world.hostile, world.a
    feed = f"{scope_path(world.gen)}/feed?author={a.node_id}&"
    order = f"{scope_path(world.gen)}/order?"
    before = await held(a)
    for base in (feed, order):
        for query, code in (
            ("after=99999999999999999999", ErrorCode.INT_RANGE),
            ("after=-99999999999999999999", ErrorCode.INT_RANGE),
            ("limit=" + "9" * 5000, ErrorCode.INT_RANGE),
            ("after=%D9%A5", ErrorCode.REQUEST_MALFORMED),  # an Arabic-Indic five
            ("after=1_0", ErrorCode.REQUEST_MALFORMED),
            ("after=+5", ErrorCode.REQUEST_MALFORMED),
            ("limit=", ErrorCode.REQUEST_MALFORMED),
        ):
            answer = await h.send(a, "GET", base + query)
            assert (answer.status, answer.code) == (400, code), (base, query)
        answer = await h.send(a, "GET", base + "after=0000000000000000000001&limit=-1")
        assert answer.status == 200
    assert await held(a) == before
