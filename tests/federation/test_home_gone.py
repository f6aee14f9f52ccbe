"""Moving a circle's home without it (PROTOCOL.md §13.15) across three real nodes: the
home is stopped, the clock passes the charter's timeout, the two other member nodes vote
for a new home, which writes the charter naming itself; both apply it and go on deciding,
and the old home, restarted, is an ordinary member node."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.governance import logbook
from node.store import OrderMark
from protocol import Draft, envelope_id, format_ts, sign

TIMEOUT = dt.timedelta(days=14, hours=1)  # past the charter's default home_timeout_days


async def _coalition(c: Cluster) -> tuple[str, ClusterNode, ClusterNode, ClusterNode]:
    """Org A's node homes the circle; ana (A), ben (B, facilitator) and cleo (D)."""
    a, b, d = c.nodes[:3]
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await b.node.add_member("ben", "Ben")
    await d.node.add_member("cleo", "Cleo")
    people = {"ana": [], b.node.actor_of("ben"): ["facilitator"], d.node.actor_of("cleo"): []}
    circle = await c.federated_circle(a, [b, d], people=people)
    await c.settle()
    return circle.id, a, b, d


async def _order(n: ClusterNode, circle: str) -> list[tuple[int, str, str]]:
    rows = await n.store.fetchall(
        "SELECT o.pos, o.envelope_id, g.status FROM circle_order o"
        " LEFT JOIN gov_effects g ON g.envelope_id = o.envelope_id WHERE o.scope = ?"
        " ORDER BY o.pos",
        (circle,),
    )
    return [(int(p), str(i), str(s)) for p, i, s in rows]


async def _home(n: ClusterNode, circle: str) -> str:
    held = await n.node.circle(circle)
    assert held is not None
    return held.home


async def _decide(c: Cluster, b: ClusterNode, circle: str, structure: list[Any]) -> None:
    """Ben (B, the facilitator) takes a structural proposal to adoption, alone in the
    round past its deadline; the home carries it out."""
    gov = b.node.gov
    root = await gov.propose(circle, "ben", "Change the circle", "As listed.", structure=structure)
    await c.settle()
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ben", phase)
        await c.settle()
    view = await gov.proposal(root)
    assert view is not None
    await gov.stance(view.state.version_id, "ben", "consent")
    await c.settle()
    c.clock.advance(dt.timedelta(hours=73))
    await gov.decide(root, "ben")
    await c.settle()


async def _vote_both(c: Cluster, circle: str, b: ClusterNode, d: ClusterNode) -> None:
    await d.node.gov.vote_home_move(circle, b.node_id)
    await c.settle()
    await b.node.gov.vote_home_move(circle, b.node_id)
    await c.settle()


async def test_the_members_move_a_stopped_home_and_go_on_deciding(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        # A orders one more act that never leaves it, and stops.
        late = await a.node.gov.propose(circle, "ana", "Late plan", "Ordered by A alone.")
        await c.stop(a)
        # Before the timeout, a vote is refused.
        with pytest.raises(DomainError) as err:
            await b.node.gov.vote_home_move(circle, b.node_id)
        assert err.value.code == "home.not_timed_out"

        c.clock.advance(TIMEOUT)
        await d.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        assert await _home(b, circle) == a.node_id  # one vote of two: no move yet
        await b.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        for n in (b, d):
            assert await _home(n, circle) == b.node_id, n
            assert await n.node.gov.disputes() == [], n
        assert await _order(b, circle) == await _order(d, circle)
        move_id = (await _order(b, circle))[-1][1]
        move = await b.store.get_envelope(move_id)
        assert move is not None
        assert move.kind == "circle"
        assert move.author == b.node_id

        # The circle goes on deciding, ordered by B: cleo's proposal is adopted.
        gov_b, gov_d = b.node.gov, d.node.gov
        root = await gov_d.propose(circle, "cleo", "Meet monthly", "Once a month.")
        await c.settle()
        for phase in ("presented", "questions", "reactions", "consent"):
            await gov_b.move(root, "ben", phase)
        view = await gov_b.proposal(root)
        assert view is not None
        await gov_b.stance(view.state.version_id, "ben", "consent")
        await c.settle()
        await gov_d.stance(view.state.version_id, "cleo", "consent")
        await c.settle()
        c.clock.advance(dt.timedelta(hours=73))
        await gov_b.decide(root, "ben")
        await c.settle()
        orders = [await _order(n, circle) for n in (b, d)]
        assert orders[0] == orders[1]
        assert all(status == "applied" for _, _, status in orders[0])
        for n in (b, d):
            row = await n.store.fetchone("SELECT outcome FROM proposals WHERE root = ?", (root,))
            assert row is not None
            assert row[0] == "adopted", n

        # The old home, restarted, takes the move and is an ordinary member node.
        await c.start(a)
        c.clock.advance(dt.timedelta(hours=1))  # past the others' backoff towards A
        await b.fed.deliver_once()
        assert await _home(a, circle) == b.node_id
        [void] = await a.node.gov.disputes()
        assert (void["envelope_id"], void["code"]) == (late, "home.void")
        await c.settle()
        assert await _home(a, circle) == b.node_id
        assert await _order(a, circle) == await _order(b, circle)
        # Every node's logbook replays offline through the move, and a rebuild from the
        # log and the order reaches the same home.
        for n in c.nodes:
            data = await n.node.gov.logbook_export(circle, "jsonl")
            report = await logbook.verify_export(data, signer=n.node.node_id)
            assert report.disputed == [], n
            await n.store.rebuild_projections()
            assert await _home(n, circle) == b.node_id, n
        # Its late act's position was void: shown to its admins, and sent again to B,
        # which ordered it after the move.
        assert await _order(a, circle) == await _order(b, circle)
        assert await a.node.gov.disputes() == []
        moved_at = next(p for p, i, _ in await _order(b, circle) if i == move_id)
        late_at = next(p for p, i, _ in await _order(b, circle) if i == late)
        assert late_at > moved_at
        again = await a.node.gov.propose(circle, "ana", "Meet in spring", "In April.")
        await c.settle()
        for n in c.nodes:
            assert await n.store.fetchone("SELECT 1 FROM proposals WHERE root = ?", (again,))
            assert await n.node.gov.disputes() == [], n
        assert await _order(a, circle) == await _order(b, circle) == await _order(d, circle)


async def _forge(
    c: Cluster, circle: str, n: ClusterNode, to: ClusterNode, refs: tuple[str, ...]
) -> list[str | None]:
    """``n`` signs a charter naming itself home with ``refs`` as its votes, at the
    position after the last, and pushes it to ``to``; the codes of the answer."""
    head, prev = await n.store.fetchone(
        "SELECT head_seq, head_id FROM feeds WHERE author = ? AND scope = ?", (n.node_id, circle)
    )
    [pos] = await n.store.fetchone("SELECT max(pos) FROM circle_order WHERE scope = ?", (circle,))
    now = format_ts(c.clock.now())
    body = {
        "name": "General",
        "aim": "Coordinate the General",
        "federated": True,
        "home": n.node_id,
    }
    draft = Draft(
        kind="circle", scope=circle, seq=head + 1, prev=prev, body=body, ts=now, refs=refs
    )
    env = sign(draft, n.key)
    results = await n.fed.client.inbox(
        to.node_id, to.url, [env.to_bytes()], order=[OrderMark(pos + 1, now)]
    )
    assert await to.store.get_envelope(envelope_id(env)) is None
    return [r.get("code") for r in results]


async def test_a_move_with_incomplete_or_forged_votes_is_refused(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        await c.stop(a)
        c.clock.advance(TIMEOUT)
        mine = await b.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        # B alone: D did not vote.
        assert await _forge(c, circle, b, d, (mine,)) == ["home.votes_incomplete"]
        # An envelope that is no vote stands in for D's.
        [acceptance] = await b.store.fetchone(
            "SELECT id FROM envelopes WHERE author = ? AND scope = ? AND kind = 'membership'",
            (b.node_id, circle),
        )
        assert await _forge(c, circle, b, d, (mine, acceptance)) == ["home.bad_vote"]
        # D votes for itself: B's charter has no vote of D's for B.
        theirs = await d.node.gov.vote_home_move(circle, d.node_id)
        await c.settle()
        assert await _forge(c, circle, b, d, (mine, theirs)) == ["home.bad_vote"]
        assert await _home(d, circle) == a.node_id
        assert await _home(b, circle) == a.node_id


@pytest.mark.parametrize("how", ["by decision", "without the home"])
async def test_a_node_invited_after_the_move_joins_the_new_home(cluster: Any, how: str) -> None:
    async with cluster(4) as c:
        circle, a, b, d = await _coalition(c)
        e = c.nodes[3]
        if how == "without the home":
            await c.stop(a)
            c.clock.advance(TIMEOUT)
            await _vote_both(c, circle, b, d)
        else:
            charter = {"name": "General", "aim": "Coordinate the General", "federated": True}
            charter["home"] = b.node_id
            await _decide(c, b, circle, [{"op": "charter", "charter": charter}])
        assert await _home(b, circle) == b.node_id
        # B, the home now, invites E's node by the circle's decision; E's admin accepts.
        change = {"op": "member", "member": e.node_id, "status": "active"}
        await _decide(c, b, circle, [change])
        [invitation] = await e.node.circle_invitations.pending()
        assert invitation.home == b.node_id
        await e.node.circle_invitations.accept(circle, "admin")
        await c.settle()
        assert await _home(e, circle) == b.node_id
        assert await _order(e, circle) == await _order(b, circle)
        assert await e.node.gov.disputes() == []
        held = await e.node.circle(circle)
        assert held is not None
        assert held.is_active(e.node_id)


async def test_a_home_back_before_the_move_completes_stays_the_home(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        await c.stop(a)
        c.clock.advance(TIMEOUT)
        await b.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        # A is back and orders an act before D votes: the home was heard from.
        await c.start(a)
        c.clock.advance(dt.timedelta(hours=1))  # past the others' backoff towards A
        await a.node.gov.propose(circle, "ana", "Still here", "A runs again.")
        await c.settle()
        with pytest.raises(DomainError) as err:
            await d.node.gov.vote_home_move(circle, b.node_id)
        assert err.value.code == "home.not_timed_out"
        assert await b.node.gov.complete_home_moves() == []
        # B withdraws its vote; the circle is A's as before, on every node.
        await b.node.gov.vote_home_move(circle, b.node_id, withdraw=True)
        await c.settle()
        silence = await d.node.gov.home_silence(circle)
        assert silence is not None
        assert silence.votes == {}
        assert not silence.timed_out
        for n in c.nodes:
            assert await _home(n, circle) == a.node_id, n
        assert await _order(a, circle) == await _order(b, circle) == await _order(d, circle)


async def test_the_new_home_catches_up_from_the_voter_that_holds_the_last_position(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        # A's last act reaches D only: B is offline then.
        await c.stop(b)
        last = await a.node.gov.propose(circle, "ana", "Last word", "Before A goes.")
        await c.settle([a, d])
        await c.stop(a)
        await c.start(b)
        c.clock.advance(TIMEOUT)
        behind = await _order(b, circle)
        assert [i for _, i, _ in await _order(d, circle)][-1] == last
        assert last not in [i for _, i, _ in behind]

        await d.node.gov.vote_home_move(circle, b.node_id)
        await b.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        for n in (b, d):
            assert await _home(n, circle) == b.node_id, n
            assert await n.node.gov.disputes() == [], n
        orders = [await _order(n, circle) for n in (b, d)]
        assert orders[0] == orders[1]
        assert [i for _, i, _ in orders[0]][-2] == last  # then the charter moving the home


async def test_a_quiet_home_sees_the_votes_and_stays_by_acting(cluster: Any) -> None:
    """The home is not gone, its circle only quiet: its admins see the votes, and any act
    of the circle ends the silence, so the move cannot complete."""
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        c.clock.advance(TIMEOUT)
        await b.node.gov.vote_home_move(circle, b.node_id)
        await c.settle()
        assert await a.node.gov.votes_against_us() == [(circle, "General", b.node_id)]
        await a.node.gov.propose(circle, "ana", "Still here", "A quiet month.")
        await c.settle()
        assert await a.node.gov.votes_against_us() == []
        with pytest.raises(DomainError) as err:
            await d.node.gov.vote_home_move(circle, b.node_id)
        assert err.value.code == "home.not_timed_out"
        for n in c.nodes:
            assert await _home(n, circle) == a.node_id, n
