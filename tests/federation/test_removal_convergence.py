"""The home node orders its circle: a member removed while its envelopes are in flight
leaves every node holding the same envelopes, whatever order they arrive in."""

from __future__ import annotations

from typing import Any

from protocol import parse_envelope


async def ids_in(node: Any, scope: str) -> set[str]:
    rows = await node.store.fetchall("SELECT id FROM envelopes WHERE scope = ?", (scope,))
    return {r[0] for r in rows}


async def test_a_removed_members_last_accepted_envelope_stands_everywhere(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, m = c.nodes  # a is the home, b will be removed, m stays
        await c.link_all()
        await a.node.add_member("ana", "Ana")
        gen = await c.federated_circle(a, [b, m], people={"ana": ["facilitator"]})
        await c.settle()

        accepted = await b.node.author("message", gen.id, {"text": "sent while a member"})
        assert await b.fed.deliver_once() == 1  # to the home only
        remove_b = {"op": "member", "member": b.node_id, "status": "removed"}
        await c.decide_structure(a, gen.id, [remove_b])  # the circle decides it (§13.14)
        removed = await a.node.circle(gen.id)
        assert removed is not None
        assert removed.members[b.node_id].final_seq == accepted.envelope.seq

        # The worst order for m: the decision and the removal first (the home's feed up
        # to it), then what b wrote before it.
        held_seq = (await m.store.heads(gen.id))[a.node_id]
        upto_removal = [
            raw
            for raw in await a.export()
            if (env := parse_envelope(raw)).scope == gen.id
            and env.author == a.node_id
            and env.seq > held_seq
        ]
        assert parse_envelope(upto_removal[-1]).kind == "membership"
        ingested = await m.fed.ingest(a.node_id, upto_removal)
        assert {r.status for r in ingested} == {"accepted"}
        [late] = await m.fed.ingest(a.node_id, [accepted.envelope.to_bytes()])
        assert late.status == "accepted"

        # After the removal the home refuses b, and so would everyone else.
        after = await b.node.author("message", gen.id, {"text": "sent after removal"})
        await c.settle()

        held = [await ids_in(n, gen.id) for n in (a, m)]
        assert held[0] == held[1]
        assert accepted.id in held[0]
        assert after.id not in held[0]
        [refused] = await m.fed.ingest(a.node_id, [after.envelope.to_bytes()])
        assert (refused.status, refused.code) == ("rejected", "authority.not_member")


async def test_members_take_a_circles_envelopes_from_its_home_alone(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, m = c.nodes
        await c.link_all()
        gen = await c.federated_circle(a, [b, m])
        await c.settle()
        sent = await b.node.author("message", gen.id, {"text": "hello"})
        before = await ids_in(m, gen.id)

        [answer] = await b.fed.client.inbox(m.node_id, m.url, [sent.envelope.to_bytes()])

        assert (answer["status"], answer["code"]) == ("rejected", "authority.not_via_home")
        assert await ids_in(m, gen.id) == before
        await c.settle()  # through the home it arrives
        assert sent.id in await ids_in(m, gen.id)
        outbox = await b.store.fetchall("SELECT DISTINCT peer FROM outbox")
        assert outbox == []
