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
        gen = await c.federated_circle(a, [b, m])
        await c.settle()

        accepted = await b.node.author("message", gen.id, {"text": "sent while a member"})
        assert await b.fed.deliver_once() == 1  # to the home only
        removed = await a.node.set_membership(gen.id, b.node_id, status="removed")
        assert removed.members[b.node_id].final_seq == accepted.envelope.seq

        # The worst order for m: the removal first, then what b wrote before it.
        [removal] = [
            raw
            for raw in await a.export()
            if parse_envelope(raw).kind == "membership" and b"removed" in raw
        ]
        assert [r.status for r in await m.fed.ingest(a.node_id, [removal])] == ["accepted"]
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
