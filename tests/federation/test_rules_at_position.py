"""Every governance rule on every node at the envelope's position (PROTOCOL.md §13.1):
a peer that signs what the circle's rules refuse, or a home whose envelopes arrive out
of order, leaves every node with the same effect for every position."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from harness import Cluster, ClusterNode, HostilePeer

from protocol import Draft, Envelope, envelope_id, sign

pytestmark = pytest.mark.timeout(60)

TS = "2026-11-22T10:00:00Z"


@dataclass
class World:
    c: Cluster
    a: ClusterNode  # the home
    b: ClusterNode
    hostile: HostilePeer
    circle: str
    eve: str  # a person of the hostile peer, member of the circle
    seq: int  # the hostile peer's last seq in the circle
    prev: str


@pytest.fixture
async def world(cluster: Any, hostile: HostilePeer) -> AsyncIterator[World]:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link(a, b)
        await hostile.link(a)
        await a.node.add_member("ana", "Ana")
        await b.node.add_member("ben", "Ben")
        eve = f"eve@{hostile.node_id}"
        circle = await c.federated_circle(
            a,
            [b],
            name="General",
            people={"ana": ["facilitator"], b.node.actor_of("ben"): [], eve: []},
            invite=[hostile.node_id],
        )
        joined = await hostile.join(a, circle.id)
        await c.settle()
        yield World(c, a, b, hostile, circle.id, eve, 1, joined)


async def _send(w: World, env: Envelope) -> dict[str, Any]:
    """The hostile peer's next envelope of its feed in the circle, pushed to the home."""
    answer = await w.hostile.inbox(w.a, [env.to_bytes()])
    (result,) = answer.results
    w.seq, w.prev = env.seq, envelope_id(env)
    return result


def _hostile_env(w: World, kind: str, body: dict[str, Any], actor: str | None) -> Envelope:
    draft = Draft(kind, w.circle, w.seq + 1, w.prev, body, TS, actor=actor)
    return sign(draft, w.hostile.key)


async def _effect(n: ClusterNode, env_id: str) -> tuple[str, str | None] | None:
    row = await n.store.fetchone(
        "SELECT status, code FROM gov_effects WHERE envelope_id = ?", (env_id,)
    )
    return None if row is None else (str(row[0]), row[1])


async def _effects(n: ClusterNode, circle: str) -> list[Any]:
    return await n.store.fetchall(
        "SELECT pos, envelope_id, status, code FROM gov_effects WHERE scope = ? ORDER BY pos",
        (circle,),
    )


async def _proposal(w: World, phases: tuple[str, ...]) -> str:
    root = await w.a.node.gov.propose(w.circle, "ana", "Shared van", "We buy a van.")
    for phase in phases:
        await w.a.node.gov.move(root, "ana", phase)
    await w.c.settle()
    return root


async def test_a_question_out_of_phase_is_refused_at_its_position_everywhere(
    world: World,
) -> None:
    w = world
    root = await _proposal(w, ("presented", "questions", "reactions"))
    body = {"text": "Why a van?", "thread": root, "purpose": "question"}
    env = _hostile_env(w, "message", body, w.eve)
    assert (await _send(w, env))["status"] == "accepted"
    await w.c.settle()
    for n in (w.a, w.b):
        assert await _effect(n, envelope_id(env)) == ("refused", "consent.wrong_phase"), n
        assert await n.node.gov.discussion(root) == [], n
    # A reaction now fits, and is applied on both nodes.
    react = _hostile_env(w, "message", {**body, "purpose": "reaction"}, w.eve)
    assert (await _send(w, react))["status"] == "accepted"
    await w.c.settle()
    for n in (w.a, w.b):
        assert await _effect(n, envelope_id(react)) == ("applied", None), n
        assert [t["purpose"] for t in await n.node.gov.discussion(root)] == ["reaction"]
    assert await _effects(w.a, w.circle) == await _effects(w.b, w.circle)


async def test_an_answer_to_no_question_is_refused(world: World) -> None:
    w = world
    root = await _proposal(w, ("presented", "questions"))
    body = {"text": "Because.", "thread": root, "purpose": "answer"}
    env = _hostile_env(w, "message", body, w.eve)
    assert (await _send(w, env))["status"] == "accepted"
    await w.c.settle()
    for n in (w.a, w.b):
        assert await _effect(n, envelope_id(env)) == ("refused", "consent.unknown_question"), n
        assert await n.node.gov.discussion(root) == [], n


async def test_a_delegation_request_the_rules_refuse_is_refused_at_its_position(
    world: World,
) -> None:
    w = world
    leader = {"op": "member", "member": w.eve, "status": "active", "roles": ["leader"]}
    await w.c.decide_structure(w.a, w.circle, [leader])  # a shared circle's change
    await w.c.settle()
    body = {"member": w.eve, "status": "active", "roles": ["delegate"]}
    env = _hostile_env(w, "membership", body, None)
    assert (await _send(w, env))["status"] == "accepted"
    await w.c.settle()
    for n in (w.a, w.b):
        assert await _effect(n, envelope_id(env)) == ("refused", "circle.leader_is_delegate"), n
        circle = await n.node.circle(w.circle)
        assert circle is not None
        assert circle.members[w.eve].roles == ("leader",), n


async def _as_home(w: World, target: ClusterNode, envs: list[tuple[bytes, int, str]]) -> Any:
    """Push envelopes to ``target`` as the home does, each with its position."""
    home = HostilePeer(w.a.key)  # the home's own key: a request only the home can sign
    try:
        raws = b",".join(raw for raw, _, _ in envs)
        order = [{"pos": pos, "at": at} for _, pos, at in envs]
        body = b'{"envelopes":[' + raws + b'],"order":' + orjson.dumps(order) + b"}"
        return await home.send(target, "POST", "/fed/v1/inbox", body)
    finally:
        await home.close()


async def _positions_after(n: ClusterNode, scope: str, pos: int) -> list[tuple[bytes, int, str]]:
    """Every position of the circle after ``pos`` as the home holds it."""
    rows = await n.store.fetchall(
        "SELECT envelope_id FROM circle_order WHERE scope = ? AND pos > ? ORDER BY pos",
        (scope, pos),
    )
    return [await _positioned(n, str(r[0])) for r in rows]


async def _positioned(n: ClusterNode, env_id: str) -> tuple[bytes, int, str]:
    env = await n.store.get_envelope(env_id)
    assert env is not None
    row = await n.store.fetchone(
        "SELECT pos, at FROM circle_order WHERE envelope_id = ?", (env_id,)
    )
    assert row is not None
    return env.to_bytes(), int(row[0]), str(row[1])


async def test_a_membership_takes_effect_at_its_position_not_on_arrival(world: World) -> None:
    w = world
    root = await _proposal(w, ("presented", "questions", "reactions", "consent"))
    ben = w.b.node.actor_of("ben")
    stance = await w.b.node.gov.stance(root, "ben", "consent")
    await w.b.fed.deliver_once()  # the home orders Ben's stance ...
    gone = {"op": "member", "member": ben, "status": "removed", "roles": []}
    await w.c.decide_structure(w.a, w.circle, [gone])  # ... then the circle removes him
    earlier = await _positioned(w.a, stance)
    later = await _positions_after(w.a, w.circle, earlier[1])
    assert later
    # B receives the positions after the stance (the removal last) before the stance's
    # own (a gap, a slow request).
    assert (await _as_home(w, w.b, later)).status == 200
    assert (await _as_home(w, w.b, [earlier])).status == 200
    assert await _effect(w.b, stance) == ("applied", None)
    assert await _effect(w.a, stance) == ("applied", None)
    circle = await w.b.node.circle(w.circle)
    assert circle is not None
    assert not circle.is_active(ben)
    await w.c.settle()
    assert await _effects(w.a, w.circle) == await _effects(w.b, w.circle)


async def test_a_home_membership_breaking_the_roles_is_refused_by_member_nodes(
    world: World,
) -> None:
    w = world
    ben = w.b.node.actor_of("ben")
    head = await w.a.store.fetchone(
        "SELECT head_seq, head_id FROM feeds WHERE author = ? AND scope = ?",
        (w.a.node_id, w.circle),
    )
    last = await w.a.store.fetchone(
        "SELECT max(pos), max(at) FROM circle_order WHERE scope = ?", (w.circle,)
    )
    assert head is not None
    assert last is not None
    # The circle decided Ben would facilitate too; the home signs it, though its own
    # rules refuse to write a second facilitator.
    body = {"member": ben, "status": "active", "roles": ["facilitator"]}
    decision = await w.c.decide_structure(w.a, w.circle, [{"op": "member", **body}])
    await w.c.settle()
    head = await w.a.store.fetchone(
        "SELECT head_seq, head_id FROM feeds WHERE author = ? AND scope = ?",
        (w.a.node_id, w.circle),
    )
    last = await w.a.store.fetchone(
        "SELECT max(pos), max(at) FROM circle_order WHERE scope = ?", (w.circle,)
    )
    assert head is not None
    assert last is not None
    draft = Draft("membership", w.circle, head[0] + 1, head[1], body, TS, refs=(decision,))
    env = sign(draft, w.a.key)
    answer = await _as_home(w, w.b, [(env.to_bytes(), int(last[0]) + 1, str(last[1]))])
    assert [r["status"] for r in answer.body["results"]] == ["accepted"]
    assert await _effect(w.b, envelope_id(env)) == ("refused", "circle.role_taken")
    circle = await w.b.node.circle(w.circle)
    assert circle is not None
    assert circle.holders("facilitator") == [w.a.node.actor_of("ana")]


async def test_a_charter_decided_later_leaves_an_open_round_as_it_was(world: World) -> None:
    w = world
    root = await _proposal(w, ("presented", "questions", "reactions"))
    await w.a.node.gov.move(root, "ana", "consent")  # a round of the charter's 72 hours
    charter = await w.a.store.fetchone(
        "SELECT e.body FROM circles c JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (w.circle,),
    )
    assert charter is not None
    shorter = {**orjson.loads(charter[0]), "round_hours": 1}
    # The circle decides a shorter round; the home carries it out at a later position,
    # and B, offline meanwhile, takes every position at once.
    await w.c.decide_structure(w.a, w.circle, [{"op": "charter", "charter": shorter}])
    await w.c.settle()
    deadlines = [
        await n.store.fetchone("SELECT deadline FROM proposals WHERE root = ?", (root,))
        for n in (w.a, w.b)
    ]
    assert deadlines[1] == deadlines[0]
    for n in (w.a, w.b):
        rules = await n.store.fetchone("SELECT round_hours FROM circles WHERE id = ?", (w.circle,))
        assert rules == (1,), n
    assert await _effects(w.a, w.circle) == await _effects(w.b, w.circle)


async def _last_position(w: World) -> str:
    row = await w.a.store.fetchone(
        "SELECT envelope_id FROM circle_order WHERE scope = ? ORDER BY pos DESC LIMIT 1",
        (w.circle,),
    )
    assert row is not None
    return str(row[0])


async def test_a_proposal_replacing_no_adopted_decision_is_refused(world: World) -> None:
    w = world
    root = await _proposal(w, ())  # a draft, never decided
    body = {"title": "Replace it", "text": "Something else.", "replaces": root}
    env = _hostile_env(w, "proposal", body, w.eve)
    assert (await _send(w, env))["status"] == "accepted"
    await w.c.settle()
    for n in (w.a, w.b):
        assert await _effect(n, envelope_id(env)) == ("refused", "consent.unknown_decision"), n
        assert await n.node.gov.proposal(envelope_id(env)) is None, n
