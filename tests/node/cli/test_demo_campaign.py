"""``nst demo``'s campaign, read from each of the three nodes the demo made: adopted by
the coalition's general circle, its nine demands of the mayor and the district
attorney, statuses in several states, a week of actions from every organization, the
candidates' answers and a Tuesday call day with pledges, the same on every node."""

from __future__ import annotations

import datetime as dt
import random
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from node.clock import SystemClock
from node.config import load_config
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore

SLUGS = ("riverside", "northend", "eastside")
ORGS = {"Riverside Tenants Union", "Northend Food Co-op", "Eastside Youth Network"}


def _free_base() -> int:
    for _ in range(50):
        base = random.randint(20000, 32000)  # below the ephemeral range
        try:
            for port in range(base, base + 3):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no three free ports")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo made by ``nst demo``, run until it is ready and then stopped."""
    root = tmp_path_factory.mktemp("demo")
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "demo", "--base-port", str(_free_base()), "--dir", root],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        while "Ctrl-C" not in (line := proc.stdout.readline()):
            assert line, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    return root


@pytest.fixture
async def nodes(demo_dir: Path) -> AsyncIterator[list[Node]]:
    opened = []
    try:
        for slug in SLUGS:
            cfg = load_config(demo_dir / slug, None)
            store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir)
            node = Node(cfg, store, read_key(cfg.key_path), SystemClock())
            await store.open()
            opened.append(node)
            await node.load_org_names()
        yield opened
    finally:
        for node in opened:
            await node.store.close()


async def test_the_campaign_is_adopted_and_the_same_on_every_node(nodes: list[Node]) -> None:
    boards = []
    for node in nodes:
        [summary] = await node.campaigns.campaigns()
        assert summary.name == "Accountable policing in Riverton"
        assert summary.circle_name == "Coalition general circle"
        view = await node.campaigns.campaign(summary.id)
        assert view is not None
        # Adopted by a decision of the circle: the campaign, its officials and demands.
        assert not view.standing.draft
        assert [t.standing.draft for t in view.targets] == [False] * 3
        assert [d.standing.draft for d in view.demands] == [False] * 9
        asked = [d.body.office_type for d in view.demands]
        assert (asked.count("mayor"), asked.count("district_attorney")) == (3, 6)
        assert all(d.body.reasoning and d.body.script for d in view.demands)
        names = {t.name: t.body for t in view.targets}
        assert set(names) == {"Dana Whitfield", "Marcus T. Oyelaran", "Grace Abernathy"}
        mayor = names["Dana Whitfield"]
        assert mayor.term_start is not None
        assert mayor.offices
        assert mayor.positions
        assert all(p.source for p in mayor.positions)
        assert names["Grace Abernathy"].candidacy is not None

        today = node.clock.now().date()
        board = await node.campaigns.scoreboard(summary.id, today)
        assert board is not None
        cells = [c for row in board.rows for c in row.cells if c is not None]
        assert len({c.status for c in cells} - {"not_asked"}) >= 3
        answers = {c.answer for c in cells if c.answer is not None}
        assert {"pledged", "partly", "refused"} <= answers
        boards.append([(c.target, c.demand, c.status, c.answer) for c in cells])

        # A week of actions from members of all three organizations, seen on this node.
        actions = []
        for target in view.targets:
            detail = await node.campaigns.target(summary.id, target.id, today)
            assert detail is not None
            actions += [e for e in detail.timeline if e.object == "action"]
        assert {a.by.organization for a in actions} == ORGS
        assert {today - a.date for a in actions} == {dt.timedelta(days=d) for d in range(7)}

        # The call day every Tuesday, with pledges from every organization.
        [plan] = view.plans
        assert (plan.body.weekday, plan.body.channel) == (1, "call")
        pledged = set()
        for handle in ("ana", "ravi", "noor", "tom", "kai", "sam"):
            for occurrence in await node.campaigns.week(handle, today):
                pledged |= {p.organization for p in occurrence.pledges}
        assert pledged == ORGS
    assert boards[0] == boards[1] == boards[2]


PEOPLE = {
    "ana": "Ana Ortiz", "ravi": "Ravi Shah", "lena": "Lena Berg",
    "noor": "Noor Haddad", "tom": "Tom Becker", "ines": "Ines Costa",
    "kai": "Kai Nakamura", "sam": "Sam Okafor", "mia": "Mia Rossi",
}  # fmt: skip


async def test_each_node_has_a_public_site_without_a_members_name(nodes: list[Node]) -> None:
    """Each node's public home shows the campaign and the two articles; no public page
    names a member, by name or handle, or a circle, but for the article the general
    circle published by its decision, "From the" circle."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from web_ui import install

    for node in nodes:
        app = web.Application()
        install(app, node)
        async with TestClient(TestServer(app)) as client:
            pages = {}
            for path in ("/", "/articles", "/brief", "/sitemap.xml", "/feeds/articles.atom",
                         "/feeds/campaigns.atom", "/robots.txt"):  # fmt: skip
                response = await client.get(path)
                assert response.status == 200, (node.config.name, path)
                pages[path] = await response.text()
            home = pages["/"]
            assert f"<h1>{node.config.name}</h1>" in home
            assert "Law-enforcement reform" in home
            assert "Accountable policing in Riverton" in home
            slug_by_circle = "how-to-fight-for-criminal-justice-reform"
            for slug in (slug_by_circle, "what-kind-of-ally-are-you"):
                assert f'href="/articles/{slug}"' in home
                response = await client.get(f"/articles/{slug}")
                assert response.status == 200
                pages[slug] = await response.text()
            [campaign] = await node.campaigns.public_campaigns()
            response = await client.get(f"/public/campaigns/{campaign.id}")
            pages["campaign"] = await response.text()
            assert "Dana Whitfield" in pages["campaign"]
            for path, text in pages.items():
                named = [
                    w
                    for handle, name in PEOPLE.items()
                    for w in (handle, name, name.split()[0])
                    if re.search(rf"\b{re.escape(w)}\b", text)
                ]
                assert named == [], (node.config.name, path, named)
                assert "Coalition general circle" not in text.replace(
                    "From the Coalition general circle", ""
                ).replace("<name>Coalition general circle</name>", "")
            assert "From the Coalition general circle" in pages[slug_by_circle]
