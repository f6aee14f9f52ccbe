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
        circle = await c.federated_circle(a, [b], name="General")
        await a.node.set_membership(circle.id, hostile.node_id)
        joined = await hostile.join(a, circle.id)
        eve = f"eve@{hostile.node_id}"
        await a.node.set_membership(circle.id, "ana", ["facilitator"])
        await a.node.set_membership(circle.id, b.node.actor_of("ben"))
        await a.node.set_membership(circle.id, eve)
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
    await w.a.node.set_membership(w.circle, w.eve, ["leader"])
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
    await w.a.node.set_membership(w.circle, ben, status="removed")  # ... then removes him
    removal = await w.a.store.fetchone(
        "SELECT envelope_id FROM circle_order WHERE scope = ? ORDER BY pos DESC LIMIT 1",
        (w.circle,),
    )
    assert removal is not None
    # B receives the removal before the stance's position (a gap, a slow request).
    later = await _positioned(w.a, str(removal[0]))
    earlier = await _positioned(w.a, stance)
    assert later[1] == earlier[1] + 1
    assert (await _as_home(w, w.b, [later])).status == 200
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
    # The home signs a second facilitator, which its own rules refuse to write.
    body = {"member": ben, "status": "active", "roles": ["facilitator"]}
    env = sign(Draft("membership", w.circle, head[0] + 1, head[1], body, TS), w.a.key)
    answer = await _as_home(w, w.b, [(env.to_bytes(), int(last[0]) + 1, str(last[1]))])
    assert [r["status"] for r in answer.body["results"]] == ["accepted"]
    assert await _effect(w.b, envelope_id(env)) == ("refused", "circle.role_taken")
    circle = await w.b.node.circle(w.circle)
    assert circle is not None
    assert circle.holders("facilitator") == [w.a.node.actor_of("ana")]


async def test_a_charter_takes_effect_at_its_position_not_on_arrival(world: World) -> None:
    w = world
    # Eve, of the hostile peer's organization, facilitates: her moves reach B through
    # the home, after the home's own envelopes if the home sends them so.
    await w.a.node.set_membership(w.circle, "ana", [])
    await w.a.node.set_membership(w.circle, w.eve, ["facilitator"])
    root = await w.a.node.gov.propose(w.circle, "ana", "Shared van", "We buy a van.")
    await w.c.settle()
    for phase in ("presented", "questions", "reactions"):
        move = _hostile_env(w, "phase", {"proposal": root, "phase": phase}, w.eve)
        assert (await _send(w, move))["status"] == "accepted"
    await w.c.settle()
    consent = _hostile_env(w, "phase", {"proposal": root, "phase": "consent"}, w.eve)
    assert (await _send(w, consent))["status"] == "accepted"  # a round of 72 hours
    charter = await w.a.store.fetchone(
        "SELECT e.body FROM circles c JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (w.circle,),
    )
    assert charter is not None
    shorter = {**orjson.loads(charter[0]), "round_hours": 1}
    await w.a.node.author("circle", w.circle, shorter)  # the next position
    later = await _positioned(w.a, await _last_position(w))
    earlier = await _positioned(w.a, envelope_id(consent))
    assert later[1] == earlier[1] + 1
    assert (await _as_home(w, w.b, [later])).status == 200
    assert (await _as_home(w, w.b, [earlier])).status == 200
    deadlines = [
        await n.store.fetchone("SELECT deadline FROM proposals WHERE root = ?", (root,))
        for n in (w.a, w.b)
    ]
    assert deadlines[1] == deadlines[0]
    rules = await w.b.store.fetchone("SELECT round_hours FROM circles WHERE id = ?", (w.circle,))
    assert rules == (1,)


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
