"""Meetings across real nodes: minutes with guests and action items, corrected, approved
by the next meeting, an action marked done from a member node; every node holds the
same history and logbook, and `nst logbook verify` checks an export of it offline (and
refuses one whose correction was edited). A referred decision lands on the parent
circle's backlog."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import Cluster, ClusterNode, cluster

from node.governance import logbook

HOUR = dt.timedelta(hours=1)


async def _setup(c: Cluster) -> tuple[str, ClusterNode, ClusterNode]:
    a, b = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await a.node.add_member("sam", "Sam")
    await b.node.add_member("ben", "Ben")
    circle = await c.federated_circle(
        a,
        [b],
        people={
            "ana": ["facilitator"],
            "sam": ["secretary"],
            b.node.actor_of("ben"): [],
        },
    )
    await c.settle()
    return circle.id, a, b


def _verify(lines: list[bytes], *args: str) -> subprocess.CompletedProcess[bytes]:
    """The real `nst logbook verify --from FILE`, without a node."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        return subprocess.run(
            [sys.executable, "-m", "node", "logbook", "verify", *args, "--from", str(path)],
            capture_output=True,
            timeout=60,
            check=False,
            env=environ,
        )


async def _held(n: ClusterNode, meeting: str) -> dict[str, Any]:
    held = await n.node.gov.meeting(meeting)
    assert held is not None, n.name
    return {
        "approved": (held["approved_by"], held["approved_version"]),
        "versions": [
            (v["id"], v["replaces"], v["note"], v["body"].get("guests"))
            for v in await n.node.gov.minutes_versions(meeting)
        ],
        "actions": [
            (a["n"], a["what"], a["owner"], a["due"], a["done"])
            for a in await n.node.gov.actions(meeting_id=meeting)
        ],
    }


async def test_minutes_corrected_approved_and_acted_on_across_nodes() -> None:
    async with cluster(2) as c:
        circle, a, b = await _setup(c)
        ben = b.node.actor_of("ben")
        first = await a.node.gov.schedule_meeting(circle, "ana", "March assembly", c.clock.now())
        await c.settle()
        original = await a.node.gov.write_minutes(
            first,
            "sam",
            attendance=[a.node.actor_of("ana"), a.node.actor_of("sam")],
            agenda_consented=True,
            items=[
                {
                    "title": "Spring campaign",
                    "type": "explore",
                    "notes": "Leaflets in every building.",
                    "actions": [{"what": "Print the leaflets", "owner": ben, "due": "2026-12-01"}],
                }
            ],
            guests=["Rosa Parks (tenants' union)"],
        )
        await c.settle()
        # Ben was there: the secretary corrects the attendance, the items unchanged.
        versions = await b.node.gov.minutes_versions(first)
        corrected = await a.node.gov.correct_minutes(
            first,
            "sam",
            replaces=original,
            note="Ben attended.",
            attendance=[a.node.actor_of("ana"), a.node.actor_of("sam"), ben],
            agenda_consented=True,
            items=versions[-1]["body"]["items"],
            guests=["Rosa Parks (tenants' union)"],
        )
        await c.settle()
        # Ben marks his action done from his own node, naming the current version.
        await b.node.gov.mark_done(first, 1, "ben")
        await c.settle()
        second = await a.node.gov.schedule_meeting(
            circle, "ana", "April assembly", c.clock.now() + 24 * HOUR
        )
        await c.settle()
        await a.node.gov.write_minutes(
            second,
            "ana",
            attendance=[a.node.actor_of("ana"), ben],
            agenda_consented=True,
            approves=corrected,
        )
        await c.settle()
        held = {n.name: await _held(n, first) for n in c.nodes}
        assert held["A"] == held["B"]
        assert held["B"] == {
            "approved": (second, corrected),
            "versions": [
                (original, None, "", ["Rosa Parks (tenants' union)"]),
                (corrected, original, "Ben attended.", ["Rosa Parks (tenants' union)"]),
            ],
            "actions": [(1, "Print the leaflets", ben, "2026-12-01", True)],
        }
        books = {n.name: await logbook.entries(n.store, circle) for n in c.nodes}
        assert books["A"] == books["B"]
        assert [e["kind"] for e in books["B"]] == ["policy", "minutes", "correction", "minutes"]

        exported = await logbook.export_jsonl(b.store, circle, b.node.key, c.clock.now())
        proc = _verify(exported, "--signer", b.node_id)
        assert proc.returncode == 0, proc.stderr
        assert "4 logbook entries" in proc.stdout.decode()
        page = await logbook.export_html(b.store, circle)
        for shown in ("Ben attended.", "Rosa Parks", "Print the leaflets"):
            assert shown in page

        # The correction edited in the file (its note, or its attendance): refused.
        at = next(i for i, line in enumerate(exported) if b'"op":"correct"' in line)
        for old, new in ((b"Ben attended.", b"Nobody came."), (ben.encode(), b"")):
            tampered = [*exported[:at], exported[at].replace(old, new, 1), *exported[at + 1 :]]
            proc = _verify(tampered)
            assert proc.returncode == 1, proc.stdout
            assert proc.stderr.startswith(b"error: "), proc.stderr


async def test_a_referral_lands_on_the_parent_circle_backlog() -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        await c.link_all()
        await a.node.add_member("ana", "Ana")
        await b.node.add_member("ben", "Ben")
        parent = await a.node.create_circle("General circle", "Run the coalition")
        await a.node.set_membership(parent.id, "ana", ["facilitator"])
        child = await a.node.create_circle(
            "Housing circle", "Fair rents", parent=parent.id, federated=True
        )
        # Founded with its facilitator, before another node joins (later changes of a
        # shared circle need its decision, PROTOCOL.md §13.14).
        await a.node.set_membership(child.id, b.node.actor_of("ben"), ["facilitator"])
        await a.node.set_membership(child.id, b.node_id)
        await a.fed.deliver_once()
        await b.node.circle_invitations.accept(child.id, "admin")
        await c.settle()
        await c.settle()
        # The child's facilitator, on B, refers a proposal up: A, the parent's home, puts
        # it on the parent's backlog once the decision reaches it.
        root = await b.node.gov.propose(child.id, "ben", "A rent strike", "Strike in May.")
        await c.settle()
        await b.node.gov.move(root, "ben", "presented")
        await c.settle()
        await b.node.gov.move(root, "ben", "referred")
        await c.settle()
        decision = await b.node.gov.decide(root, "ben")
        await c.settle()
        (item,) = await a.node.gov.backlog(parent.id)
        assert (item["title"], item["source"], item["author"]) == (
            "A rent strike",
            decision,
            a.node_id,
        )
        assert "Housing circle" in item["note"]
        assert await a.node.gov.raise_referrals() == []  # once per decision
        assert await b.node.gov.backlog(parent.id) == []  # B holds no parent to write in
