"""The consent process across three real nodes: a federated circle homed on A, with a
member of each organization; the circle order (§13) brings every node to the same state,
whatever the timing; forged decisions become disputes everywhere."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import sys
from typing import Any

import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError

HOUR = dt.timedelta(hours=1)


async def _governance(n: ClusterNode, circle: str) -> dict[str, Any]:
    """Everything derived from the circle order, as one node holds it."""
    return {
        "order": await n.store.fetchall(
            "SELECT pos, envelope_id, at FROM circle_order WHERE scope = ? ORDER BY pos",
            (circle,),
        ),
        "effects": await n.store.fetchall(
            "SELECT pos, envelope_id, process, status, code FROM gov_effects"
            " WHERE scope = ? ORDER BY pos",
            (circle,),
        ),
        "proposals": await n.store.fetchall(
            "SELECT root, phase, version_id, outcome, decision_id, review_done, state"
            " FROM proposals WHERE circle_id = ? ORDER BY root",
            (circle,),
        ),
        "disputes": await n.store.fetchall(
            "SELECT envelope_id, code FROM disputes WHERE scope = ? ORDER BY envelope_id",
            (circle,),
        ),
    }


async def _membership_refs(
    n: ClusterNode, circle: str, member: str
) -> list[tuple[list[str], list[str]]]:
    """(roles, refs) of every membership of the home naming ``member``, in order."""
    from node.store.codec import envelope_from_row

    rows = await n.store.fetchall(
        "SELECT header, body FROM envelopes WHERE scope = ? AND kind = 'membership'"
        " AND author = ? ORDER BY seq",
        (circle, n.node_id),
    )
    out = []
    for header, body in rows:
        env = envelope_from_row(header, body)
        if env.body is not None and env.body["member"] == member:
            out.append((list(env.body.get("roles", [])), list(env.refs)))
    return out


async def _same_everywhere(c: Cluster, circle: str) -> dict[str, Any]:
    states = [await _governance(n, circle) for n in c.nodes]
    assert states[1] == states[0]
    assert states[2] == states[0]
    return states[0]


async def _open_round(c: Cluster, a: ClusterNode, root: str) -> None:
    for phase in ("presented", "questions", "reactions", "consent"):
        await a.node.gov.move(root, "ana", phase)
    await c.settle()


async def test_objection_amendment_adoption_and_review_across_three_nodes(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        # Ben proposes on his own node; it takes effect there when the home orders it.
        root = await b.node.gov.propose(
            circle,
            "ben",
            "Joint rent campaign",
            "All three unions.",
            review_date=dt.date(2027, 3, 1),
        )
        pending = await b.node.gov.proposal(root)
        assert pending is None  # not ordered yet
        # Pushes alone (no pull): the home orders it and echoes it back with its position.
        while sum([await n.fed.deliver_once() for n in c.nodes]):
            pass
        assert await b.node.gov.proposal(root) is not None
        await c.settle()
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None, n
            assert view.state.phase == "draft"
            assert view.state.proposer == b.node.actor_of("ben")
        for phase in ("presented", "questions"):
            await a.node.gov.move(root, "ana", phase)
        await c.settle()
        question = await d.node.gov.ask(root, "cleo", "Who pays for the flyers?")
        await c.settle()
        await b.node.gov.answer(question, "ben", "Each union its own.")
        await a.node.gov.move(root, "ana", "reactions")
        await c.settle()
        await d.node.gov.react(root, "cleo", "Worried about money.")
        await c.settle()
        for n in c.nodes:
            talk = await n.node.gov.discussion(root)
            assert [(t["purpose"], t["text"]) for t in talk] == [
                ("question", "Who pays for the flyers?"),
                ("answer", "Each union its own."),
                ("reaction", "Worried about money."),
            ], n
        await a.node.gov.move(root, "ana", "consent")
        await c.settle()

        objection = await d.node.gov.stance(root, "cleo", "object", "we cannot fund a third")
        await b.node.gov.stance(root, "ben", "consent")
        await c.settle()
        with pytest.raises(DomainError) as exc:
            await a.node.gov.decide(root, "ana")
        assert exc.value.code == "consent.objection_unresolved"
        await a.node.gov.move(root, "ana", "integrating")
        await c.settle()
        v2 = await b.node.gov.amend(
            root,
            "ben",
            "Joint rent campaign",
            "Two unions fund it, one gives time.",
            "time instead of money for Cleo's union",
        )
        await c.settle()
        await a.node.gov.move(root, "ana", "consent")
        await c.settle()
        await a.node.gov.stance(v2, "ana", "consent")
        await b.node.gov.stance(v2, "ben", "consent")
        await d.node.gov.stance(v2, "cleo", "concern", "review the time split in spring")
        await c.settle()
        decision = await a.node.gov.decide(root, "ana")
        await c.settle()

        state = await _same_everywhere(c, circle)
        assert state["disputes"] == []
        assert all(e[3] == "applied" for e in state["effects"])
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted", n
            assert view.decision_id == decision
            assert view.state.objections[0].stance == objection
            assert view.state.objections[0].resolved_by == v2

        # The review falls due: the home brings it back, every node sees it.
        c.clock.advance(dt.timedelta(days=120))
        (review,) = await a.node.gov.start_due_reviews()
        await c.settle()
        await _same_everywhere(c, circle)
        for n in c.nodes:
            view = await n.node.gov.proposal(review)
            assert view is not None
            assert view.state.review_of == decision


async def test_a_stance_that_reaches_the_home_after_the_deadline_is_refused_everywhere(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        root = await a.node.gov.propose(circle, "ana", "Shared office", "Rent one together.")
        await _open_round(c, a, root)
        await b.node.gov.stance(root, "ben", "consent")
        # Cleo answers in time on her node, but her node reaches the home too late.
        late = await d.node.gov.stance(root, "cleo", "object", "too expensive")
        await c.stop(d)
        await c.settle()
        c.clock.advance(73 * HOUR)
        await c.start(d)
        await c.settle()
        state = await _same_everywhere(c, circle)
        effect = [e for e in state["effects"] if e[1] == late]
        assert effect == [(effect[0][0], late, root, "refused", "consent.round_closed")]
        # Ben's notifications leave the refused stance out, in the list and in the count.
        listed = [n["id"] for n in await b.node.notifications.recent("ben")]
        assert late not in listed
        assert listed  # Ana's proposal and phases
        assert await b.node.notifications.unread("ben") == len(listed)
        await a.node.gov.decide(root, "ana")  # silence is absence; the objection came late
        await c.settle()
        state = await _same_everywhere(c, circle)
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted"


async def test_a_member_node_offline_during_the_round_catches_up_to_the_same_state(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        root = await a.node.gov.propose(circle, "ana", "Newsletter", "Monthly, shared.")
        await c.stop(d)
        await _open_round(c, a, root)
        await a.node.gov.stance(root, "ana", "consent")
        await b.node.gov.stance(root, "ben", "consent")
        await c.settle()
        c.clock.advance(73 * HOUR)
        await a.node.gov.decide(root, "ana")
        await c.settle()
        await c.start(d)
        await c.settle()
        await _same_everywhere(c, circle)
        view = await d.node.gov.proposal(root)
        assert view is not None
        assert view.state.outcome == "adopted"
        assert view.effects[-1].body is not None
        assert view.effects[-1].body["silent"] == [d.node.actor_of("cleo")]


async def test_order_pulled_from_the_home_when_pushes_were_missed(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, _, d = await c.coalition()
        root = await a.node.gov.propose(circle, "ana", "Banner", "Red.")
        await _open_round(c, a, root)
        # D's queue at the home is lost (e.g. the home was restored from a backup):
        # D pulls feeds and the order.
        await a.store.write(lambda conn: conn.execute("DELETE FROM outbox"))
        await a.node.gov.stance(root, "ana", "consent")
        await a.store.write(lambda conn: conn.execute("DELETE FROM outbox"))
        await c.settle()
        await _same_everywhere(c, circle)
        view = await d.node.gov.proposal(root)
        assert view is not None
        assert len(view.state.stances) == 1


async def _forge(a: ClusterNode, circle: str, body: dict[str, Any]) -> str:
    """The home signs a decision its own checks would not make (a dishonest home)."""
    result = await a.node.author("decision", circle, body, actor=a.node.actor_of("ana"))
    assert result.id is not None
    return result.id


async def test_forged_decisions_are_disputes_on_every_node(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        root = await a.node.gov.propose(circle, "ana", "Dues", "Double them.")
        other = await a.node.gov.propose(circle, "ana", "Other", "Unrelated.")
        await _open_round(c, a, root)
        await _open_round(c, a, other)
        ok_a = await a.node.gov.stance(root, "ana", "consent")
        ok_b = await b.node.gov.stance(root, "ben", "consent")
        objection = await d.node.gov.stance(root, "cleo", "object", "members cannot pay")
        stray = await b.node.gov.stance(other, "ben", "consent")
        await c.settle()
        forged = {
            # the objection left out of the count
            "consent.objection_omitted": {
                "proposal": root,
                "outcome": "adopted",
                "stances": sorted([ok_a, ok_b]),
            },
            # a stance on another proposal counted
            "consent.bad_decision": {
                "proposal": root,
                "outcome": "adopted",
                "stances": sorted([ok_a, ok_b, stray]),
            },
        }
        ids = {code: await _forge(a, circle, body) for code, body in forged.items()}
        await c.settle()
        state = await _same_everywhere(c, circle)
        assert sorted(state["disputes"]) == sorted((i, code) for code, i in ids.items())
        for n in c.nodes:
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome is None  # never adopted
            disputes = await n.node.gov.disputes()
            assert {x["envelope_id"] for x in disputes} == set(ids.values())
        assert objection not in forged["consent.objection_omitted"]["stances"]

        # An old version adopted after an amendment.
        await a.node.gov.move(root, "ana", "integrating")
        await a.node.gov.amend(root, "ana", "Dues", "Raise them by a third.", "smaller step")
        await c.settle()
        await a.node.gov.move(root, "ana", "consent")
        old = await _forge(a, circle, {"proposal": root, "outcome": "adopted", "stances": [ok_a]})
        await c.settle()
        state = await _same_everywhere(c, circle)
        assert (old, "consent.wrong_version") in state["disputes"]


async def test_an_election_across_three_nodes(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        ben, cleo = b.node.actor_of("ben"), d.node.actor_of("cleo")
        election = await a.node.gov.open_selection(circle, "ana", "secretary", "Minutes", 12)
        await c.settle()
        await b.node.gov.nominate(election, "ben", cleo)
        await d.node.gov.nominate(election, "cleo", ben)
        await c.settle()
        for n in c.nodes:  # sealed everywhere: only commitments travelled
            state = await n.node.gov.selection(election)
            assert state is not None
            assert len(state.nominations) == 2
            assert all(x.nominee is None for x in state.nominations.values())
        await a.node.gov.move_selection(election, "ana", "nomination_round")
        await c.settle()
        await b.node.gov.reveal(election, "ben", "she writes clearly")
        await d.node.gov.reveal(election, "cleo", "he is organised")
        await c.settle()
        await a.node.gov.move_selection(election, "ana", "change_round")
        await c.settle()
        await a.node.gov.move_selection(election, "ana", "consent", candidate=cleo)
        await c.settle()
        await b.node.gov.selection_stance(election, "ben", cleo, "object", "she is overloaded")
        await d.node.gov.selection_stance(election, "cleo", cleo, "consent")
        await c.settle()
        await a.node.gov.move_selection(election, "ana", "consent", candidate=ben)
        await c.settle()
        for n, handle in ((a, "ana"), (b, "ben"), (d, "cleo")):
            await n.node.gov.selection_stance(election, handle, ben, "consent")
        await c.settle()
        result = await a.node.gov.record_selection(election, "ana")
        await c.settle()
        await _same_everywhere(c, circle)
        # The home's membership names the result it carries out (§13.14), and stands.
        given = await _membership_refs(a, circle, ben)
        assert given[-1] == (["secretary"], [result])
        for n in c.nodes:
            state = await n.node.gov.selection(election)
            assert state is not None
            assert state.selected == ben
            held = await n.node.circle(circle)
            assert held is not None
            assert held.holders("secretary") == [ben]  # the home gave the role


async def test_the_logbook_is_the_same_everywhere_and_verifies_offline(
    cluster: Any, tmp_path: Any
) -> None:
    from node.cli.data import write_export
    from node.governance import logbook

    async with cluster(3) as c:
        circle, a, b, d = await c.coalition()
        root = await b.node.gov.propose(circle, "ben", "Shared van", "Buy one together.")
        await c.settle()
        await _open_round(c, a, root)
        await b.node.author(
            "message", circle, {"text": "I can drive"}, actor=b.node.actor_of("ben")
        )
        for n, handle in ((a, "ana"), (b, "ben"), (d, "cleo")):
            await n.node.gov.stance(root, handle, "consent")
        await c.settle()
        forged = await _forge(a, circle, {"proposal": root, "outcome": "adopted", "stances": []})
        decision = await a.node.gov.decide(root, "ana")
        await c.settle()
        # A meeting, minuted on the facilitator's node, reaches every logbook.
        meeting = await a.node.gov.schedule_meeting(
            circle,
            "ana",
            "Coalition assembly",
            c.clock.now() + HOUR,
            [{"title": "Shared van", "type": "decide", "proposal": root}],
        )
        await c.settle()
        await a.node.gov.write_minutes(
            meeting,
            "ana",
            attendance=[a.node.actor_of("ana"), b.node.actor_of("ben"), d.node.actor_of("cleo")],
            agenda_consented=True,
            items=[
                {"title": "Shared van", "type": "decide", "proposal": root, "decision": decision}
            ],
        )
        await c.settle()
        for n in c.nodes:
            (held,) = await n.node.gov.meetings(circle)
            assert held["minutes_id"] is not None, n
        heads = {n.name: (await logbook.entries(n.store, circle))[-1]["hash"] for n in c.nodes}
        assert len(set(heads.values())) == 1
        # D, a member node, exports the circle homed on A: the positions are A's, the
        # export (and its signature) D's.
        exported = b"\n".join(
            await logbook.export_jsonl(d.store, circle, d.node.key, c.clock.now())
        )
        report = await logbook.verify_export(exported, signer=d.node_id)
        assert report.entries == 3  # the charter, the adoption, the minutes
        assert report.head == heads["A"]
        assert report.signer == d.node_id
        assert [p for p, _ in report.disputed] == [
            e[0] for e in (await _governance(d, circle))["effects"] if e[1] == forged
        ]
        page = await logbook.export_html(d.store, circle)
        assert "Shared van" in page
        assert "adopted" in page

        lines = exported.split(b"\n")
        entry = next(i for i, ln in enumerate(lines) if ln.startswith(b'{"entry":'))
        tampered = [
            (
                [*lines[:entry], lines[entry].replace(b'"n":1', b'"n":2'), *lines[entry + 1 :]],
                "logbook.bad_hash",
            ),
            (lines[:3] + lines[4:], "logbook.bad_order"),  # a position left out
            ([lines[0], *lines[1:entry][::-1], *lines[entry:]], "logbook.bad_order"),
        ]
        for bad, code in tampered:
            with pytest.raises(logbook.LogbookError) as exc:
                await logbook.verify_export(b"\n".join(bad))
            assert exc.value.code == code
        # The CLI verifies the same file without a node.
        path = tmp_path / "logbook.jsonl"
        path.write_bytes(exported)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "node",
            "logbook",
            "verify",
            "--from",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err
        assert f"3 logbook entries, head {heads['A']}" in out.decode()
        assert f"exported and signed by {d.node_id} at " in out.decode()
        assert "(not the circle's home: the positions in it are the home's" in out.decode()
        assert "disputed decision (consent.bad_decision)" in out.decode()
        # A whole node's export verifies too: the circle's history replayed, same head.
        whole = io.BytesIO()
        await write_export(b.store, whole, b.node.key)
        replayed = await logbook.verify_node_export(whole.getvalue(), circle, signer=b.node_id)
        assert (replayed.entries, replayed.head) == (3, heads["A"])


async def test_member_nodes_name_their_delegates_and_double_links_hold(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, _d = await c.coalition()
        await b.node.add_member("bo", "Bo")
        bo = b.node.actor_of("bo")
        # B's own board, a sub-circle of the coalition's general circle.
        board = await b.node.create_circle("B board", "Run B", parent=circle)
        await b.node.set_membership(board.id, "bo")
        with pytest.raises(DomainError) as exc:
            await b.node.set_membership(board.id, "bo", ["delegate"])
        assert exc.value.code == "circle.not_in_parent"
        await b.node.gov.name_delegate(circle, "bo")
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert held.members[bo].roles == ("delegate",), n
        # The home's answer names the request it answers (§13.14).
        [request] = await a.store.fetchone(
            "SELECT request_id FROM delegations WHERE member = ?", (bo,)
        )
        assert (await _membership_refs(a, circle, bo))[-1] == (["delegate"], [request])
        # Now Bo may carry the board's link up; the general circle's home signed it.
        linked = await b.node.set_membership(board.id, "bo", ["delegate"])
        assert linked.holders("delegate") == [bo]
        requests = await a.store.fetchall("SELECT member, status FROM delegations")
        assert requests == [(bo, "confirmed")]
        with pytest.raises(DomainError) as exc:
            await b.node.gov.name_delegate(circle, "nobody")
        assert exc.value.code == "member.unknown"
        # The general circle removes Bo by decision: B's board drops the link it carried.
        await c.decide_structure(a, circle, [{"op": "member", "member": bo, "status": "removed"}])
        await c.settle()
        held_board = await b.node.circle(board.id)
        assert held_board is not None
        assert held_board.holders("delegate") == []
        assert held_board.is_active(bo)  # still on the board, no longer its delegate
