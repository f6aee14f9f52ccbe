"""Acceptance: a coalition of three organizations governs a shared circle across their
real nodes, as its facilitator (Ana, Org A, the circle's home), its secretary (Sam, Org A)
and the member organizations (Org B: Ben, Bea; Org C: Cleo, Cy) go through it, each
outcome checked on all three nodes (PROTOCOL.md §13.7–§13.14):

- a change of the circle's structure made without a decision is refused everywhere, and
  the same change made by a decision is applied everywhere;
- an organization leaves the circle on its own;
- each organization names two delegates and an election of the charter's treasurer
  keeps every one of them;
- a meeting holds a round the secretary records, its minutes with action items are
  corrected and approved at the next meeting, and the real `nst logbook verify --from`
  checks the logbook's export offline.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import Cluster, ClusterNode

from node.domain.errors import DomainError
from node.governance import logbook
from node.store import LocalDraft
from node.store.log import append_local

HOUR = dt.timedelta(hours=1)
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
TREASURER = {"name": "treasurer", "description": "Keeps the coalition's money", "term_months": 6}
# The charter the coalition decides on: it declares a treasurer.
CHARTER = {
    "name": "General",
    "aim": "Coordinate the General",
    "federated": True,
    "roles": [TREASURER],
}


async def _coalition(c: Cluster) -> tuple[str, ClusterNode, ClusterNode, ClusterNode]:
    """Org A's node homes the circle and founds it with Ana (facilitator), Sam
    (secretary), Al, Ben and Bea of B and Cleo of C; B's and C's admins accept."""
    a, b, d = c.nodes
    await c.link_all()
    for n, people in ((a, ("ana", "sam", "al")), (b, ("ben", "bea")), (d, ("cleo", "cy"))):
        # The first of each organization's people is its node's admin.
        await n.node.add_member(people[0], people[0].capitalize(), "admin", PASSWORD)
        for handle in people[1:]:
            await n.node.add_member(handle, handle.capitalize())
    people: dict[str, list[str]] = {"ana": ["facilitator"], "sam": ["secretary"], "al": []}
    for n, handle in ((b, "ben"), (b, "bea"), (d, "cleo")):
        people[n.node.actor_of(handle)] = []
    circle = await c.federated_circle(a, [b, d], people=people)
    await c.settle()
    return circle.id, a, b, d


async def _effect(n: ClusterNode, envelope: str) -> tuple[str, str | None]:
    row = await n.store.fetchone(
        "SELECT status, code FROM gov_effects WHERE envelope_id = ?", (envelope,)
    )
    assert row is not None, n
    return row[0], row[1]


async def _signed_anyway(n: ClusterNode, scope: str, kind: str, body: dict[str, Any]) -> str:
    """What a hostile home does: it signs and orders its envelope past its own node's
    checks (as a node that does not run this code would); the rules at its position
    judge it on every node, its own included."""
    now = n.clock.now()
    result = await n.store.write(
        lambda conn: append_local(conn, LocalDraft(kind, scope, body), n.node.key, now)
    )
    assert result.id is not None
    return result.id


async def _name_delegates(n: ClusterNode, admin: str, circle: str, handles: list[str]) -> list[str]:
    """The node's admin logs in to its web UI and names each person in the circle page's
    delegates form, as a browser without JavaScript would; what each answer page says."""
    jar = aiohttp.CookieJar(unsafe=True)
    said = []
    async with aiohttp.ClientSession(cookie_jar=jar) as http:

        async def send(method: str, path: str, data: dict[str, str] | None = None) -> str:
            async with http.request(method, n.url + path, data=data) as r:
                assert r.status == 200, (n, path, r.status)
                return await r.text()

        csrf = _CSRF.search(await send("GET", "/login"))
        assert csrf is not None
        login = {"_csrf": csrf.group(1), "handle": admin, "password": PASSWORD}
        page = await send("POST", "/login", login)
        for handle in handles:
            csrf = _CSRF.search(await send("GET", f"/circles/{circle}"))
            assert csrf is not None
            form = {"_csrf": csrf.group(1), "action": "name", "handle": handle}
            page = await send("POST", f"/circles/{circle}/delegates", form)
            said.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split()))
    return said


def _verify(lines: list[bytes], *args: str) -> subprocess.CompletedProcess[bytes]:
    """The real `nst logbook verify --from FILE`, without a node."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        return subprocess.run(
            [sys.executable, "-m", "node", "logbook", "verify", *args, "--from", str(path)],
            capture_output=True,
            timeout=120,
            check=False,
            env=environ,
        )


async def test_structure_changes_only_by_the_circles_decision(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        cy = d.node.actor_of("cy")
        # Ana, as the home's admin, tries to add Cy by herself: the reference home
        # refuses to write it, and writes nothing (it has no command that changes a
        # charter but carrying out a decision).
        before = await a.export()
        with pytest.raises(DomainError) as err:
            await a.node.set_membership(circle, cy, [])
        assert err.value.code == "circle.not_decided"
        assert await a.export() == before

        # A hostile home signs it anyway, and a charter declaring a treasurer: every node,
        # its own included, keeps both and refuses their effect; B and C show them to
        # their admins as disputes.
        forced = [
            await _signed_anyway(a, circle, "membership", {"member": cy, "status": "active"}),
            await _signed_anyway(a, circle, "circle", CHARTER),
        ]
        await c.settle()
        for n in c.nodes:
            for env_id in forced:
                assert await _effect(n, env_id) == ("refused", "circle.not_decided"), n
            held = await n.node.circle(circle)
            assert held is not None
            assert cy not in held.members, n
            assert "treasurer" not in held.seats, n
        for n in (b, d):
            disputes = await n.node.gov.disputes()
            assert sorted(x["envelope_id"] for x in disputes) == sorted(forced), n

        # The same change, proposed by Ana and adopted by the circle, is carried out by
        # the home and applied on every node.
        decision = await c.decide_structure(
            a,
            circle,
            [
                {"op": "member", "member": cy, "status": "active"},
                {"op": "charter", "charter": CHARTER},
            ],
        )
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert held.is_active(cy), n
            assert held.seats["treasurer"].term_months == 6, n
            entries = await logbook.entries(n.store, circle)
            assert decision in [e["envelope"] for e in entries], n
            assert [e["kind"] for e in entries][-2:] == ["decision", "policy"], n


async def test_an_organization_leaves_on_its_own(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        # Org C's admin leaves: no proposal, no decision, nobody else asked.
        await d.node.circle_invitations.leave(circle, "admin")
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None, n
            assert not held.is_active(d.node_id), n
            assert held.is_active(b.node_id), n
            assert await n.node.gov.disputes() == [], n
        # The two organizations left go on: B's member still takes part.
        root = await b.node.gov.propose(circle, "ben", "Meet monthly", "First Mondays.")
        await c.settle()
        for n in (a, b):
            view = await n.node.gov.proposal(root)
            assert view is not None, n
            assert view.state.phase == "draft", n
        assert await d.node.gov.proposal(root) is None  # C hears no more of the circle


async def test_delegates_of_every_organization_survive_an_election(cluster: Any) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        cy = d.node.actor_of("cy")
        await c.decide_structure(
            a,
            circle,
            [
                {"op": "member", "member": cy, "status": "active"},
                {"op": "charter", "charter": CHARTER},
            ],
        )
        await c.settle()
        # Each organization's admin names two of its people in the circle page's form:
        # at once on the home, as a request to the home on the others.
        said = await _name_delegates(a, "ana", circle, ["sam", "al"])
        assert "Sam is now a delegate." in said[0]
        assert "Al is now a delegate." in said[1]
        for n, admin, handles in ((b, "ben", ["ben", "bea"]), (d, "cleo", ["cleo", "cy"])):
            said = await _name_delegates(n, admin, circle, handles)
            for handle, page in zip(handles, said, strict=True):
                waits = f"naming {handle.capitalize()} as a delegate waits for the circle's home"
                assert waits in page, page
        await c.settle()
        delegates = sorted(
            n.node.actor_of(h)
            for n, hs in ((a, ("sam", "al")), (b, ("ben", "bea")), (d, ("cleo", "cy")))
            for h in hs
        )
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert sorted(held.holders("delegate")) == delegates, n
        for n in (b, d):
            shown = await n.node.gov.delegations(circle)
            assert [x.state for x in shown] == ["delegate", "delegate"], n

        # The circle elects Ben its treasurer; the six delegates keep their role.
        ben = b.node.actor_of("ben")
        gov = a.node.gov
        sel = await gov.open_selection(circle, "ana", "treasurer", "Keeps the money", 6)
        await c.settle()
        await b.node.gov.nominate(sel, "bea", ben)
        await c.settle()
        await gov.move_selection(sel, "ana", "nomination_round")
        await c.settle()
        await b.node.gov.reveal(sel, "bea", "She keeps our books already")
        await c.settle()
        await gov.move_selection(sel, "ana", "change_round")
        deadline = c.clock.now() + 2 * HOUR
        await gov.move_selection(sel, "ana", "consent", candidate=ben, deadline=deadline)
        await c.settle()
        await gov.selection_stance(sel, "ana", ben, "consent")
        await b.node.gov.selection_stance(sel, "bea", ben, "consent")
        await d.node.gov.selection_stance(sel, "cleo", ben, "concern", "Two roles is a lot")
        await c.settle()
        c.clock.advance(3 * HOUR)
        await gov.record_selection(sel, "ana")
        await c.settle()
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert held.holders("treasurer") == [ben], n
            assert sorted(held.holders("delegate")) == delegates, n
            assert sorted(held.members[ben].roles) == ["delegate", "treasurer"], n
            assert await n.node.gov.disputes() == [], n
            kinds = [e["kind"] for e in await logbook.entries(n.store, circle)]
            assert kinds[-1] == "selection", n


async def test_a_meeting_round_minutes_correction_and_approval_verify_offline(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        circle, a, b, d = await _coalition(c)
        ana, sam = a.node.actor_of("ana"), a.node.actor_of("sam")
        ben, bea, cleo = b.node.actor_of("ben"), b.node.actor_of("bea"), d.node.actor_of("cleo")
        # Ben proposes from Org B's node; Ana takes it to the consent round.
        root = await b.node.gov.propose(circle, "ben", "Rent strike fund", "Pool 5% of dues.")
        await c.settle()
        meeting = await a.node.gov.schedule_meeting(
            circle,
            "sam",
            "December assembly",
            c.clock.now() + HOUR,
            agenda=[{"title": "Rent strike fund", "type": "decide", "proposal": root}],
        )
        for phase in ("presented", "questions", "reactions", "consent"):
            await a.node.gov.move(root, "ana", phase)
        await c.settle()
        c.clock.advance(HOUR)
        view = await a.node.gov.proposal(root)
        assert view is not None
        version = view.state.version_id
        # In the room: Ana and Ben consent on their nodes, Bea stands aside; Cleo, who
        # came in person, gives hers aloud and Sam records it; Al says nothing.
        await a.node.gov.stance(version, "ana", "consent")
        await b.node.gov.stance(version, "ben", "consent")
        await b.node.gov.stance(version, "bea", "stand_aside", "I manage the current fund")
        recorded = await a.node.gov.stance(
            version, "sam", "concern", "Review it in spring", member=cleo, meeting=meeting
        )
        await a.node.gov.stance(version, "sam", "consent")
        await c.settle()
        c.clock.advance(73 * HOUR)
        decision = await a.node.gov.decide(
            root, "ana", statement="The fund is set up.", rationale="Strikers need support."
        )
        await c.settle()
        for n in c.nodes:
            assert await _effect(n, recorded) == ("applied", None), n
            view = await n.node.gov.proposal(root)
            assert view is not None
            assert view.state.outcome == "adopted", n

        item = {
            "title": "Rent strike fund",
            "type": "decide",
            "proposal": root,
            "decision": decision,
            "notes": "Adopted; Bea stood aside.",
            "actions": [{"what": "Open the bank account", "owner": bea, "due": "2027-01-15"}],
        }
        minutes = await a.node.gov.write_minutes(
            meeting, "sam", attendance=[ana, sam, ben, bea], agenda_consented=True, items=[item]
        )
        await c.settle()
        # Cleo was there too: Sam corrects the minutes, whole.
        corrected = await a.node.gov.correct_minutes(
            meeting,
            "sam",
            replaces=minutes,
            note="Cleo attended.",
            attendance=[ana, sam, ben, bea, cleo],
            agenda_consented=True,
            items=[item],
        )
        await c.settle()
        await b.node.gov.mark_done(meeting, 1, "bea")
        await c.settle()
        # The next meeting approves the corrected minutes.
        january = await a.node.gov.schedule_meeting(
            circle, "ana", "January assembly", c.clock.now() + 24 * HOUR
        )
        await c.settle()
        c.clock.advance(25 * HOUR)
        await a.node.gov.write_minutes(
            january, "sam", attendance=[ana, sam, cleo], agenda_consented=True, approves=corrected
        )
        await c.settle()

        books = [await logbook.entries(n.store, circle) for n in c.nodes]
        assert books[0] == books[1] == books[2]
        kinds = [e["kind"] for e in books[0]]
        assert kinds == ["policy", "decision", "minutes", "correction", "minutes"]
        for n in c.nodes:
            held = await n.node.gov.meeting(meeting)
            assert held is not None
            assert (held["approved_by"], held["approved_version"]) == (january, corrected), n
            actions = await n.node.gov.actions(meeting_id=meeting)
            assert [(x["what"], x["owner"], x["done"]) for x in actions] == [
                ("Open the bank account", bea, True)
            ], n

        # Org C exports the logbook; the real command verifies it offline, and the
        # printable logbook says whose stance the secretary recorded.
        exported = await logbook.export_jsonl(d.store, circle, d.node.key, c.clock.now())
        proc = _verify(exported, "--signer", d.node_id)
        assert proc.returncode == 0, proc.stderr
        assert "5 logbook entries" in proc.stdout.decode()
        raw = (await d.node.gov.logbook_export(circle, "html")).decode()
        page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
        for shown in (
            "The fund is set up.",
            "Stood aside: bea (Node B) (I manage the current fund)",
            "The stance of Cleo was recorded in a meeting by the secretary, sam (Node A)",
            "Cleo attended.",
            "Open the bank account",
        ):
            assert shown in page, shown
        # One byte of the correction changed: the offline check refuses the file.
        at = next(i for i, line in enumerate(exported) if b'"op":"correct"' in line)
        tampered = [
            *exported[:at],
            exported[at].replace(b"Cleo attended.", b"Nobody came."),
            *exported[at + 1 :],
        ]
        proc = _verify(tampered)
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.startswith(b"error: "), proc.stderr
