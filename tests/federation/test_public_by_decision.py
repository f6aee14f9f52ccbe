"""Public campaigns and articles by the circle's decision (PROTOCOL.md §13.11), across
three real nodes read over real HTTP as a stranger reads them: what the circle adopted
public shows on every member's public site with no admin action, a draft nowhere; a
later adopted version changes it everywhere; a node's admin hides a campaign on that
node only."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import aiohttp
from harness import Cluster, ClusterNode

ATOM = "{http://www.w3.org/2005/Atom}"
BODY = "## Know who decides\n\nYour *mayor* sets the police budget.\n\n![x](/media/a.png)"


async def _setup(c: Cluster) -> dict[str, Any]:
    a, b, d = c.nodes
    await c.link_all()
    await a.node.add_member("ana", "Ana")
    await b.node.add_member("ben", "Ben")
    await d.node.add_member("cleo", "Cleo")
    circle = await c.federated_circle(
        a,
        [b, d],
        name="Riverton Coalition",
        people={
            "ana": ["facilitator"],
            b.node.actor_of("ben"): [],
            d.node.actor_of("cleo"): [],
        },
    )
    await c.settle()
    return {"circle": circle.id}


async def _adopt(c: Cluster, circle: str, versions: list[str]) -> None:
    """A proposal adopting ``versions``, consented to by all three members."""
    a, b, d = c.nodes
    gov = a.node.gov
    root = await gov.propose(circle, "ana", "Adopt", "These versions.", adopts=versions)
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    await c.settle()
    await gov.stance(root, "ana", "consent")
    await b.node.gov.stance(root, "ben", "consent")
    await d.node.gov.stance(root, "cleo", "consent")
    await c.settle()
    await gov.decide(root, "ana")
    await c.settle()


async def _get(n: ClusterNode, path: str) -> tuple[int, str]:
    """A page as a stranger gets it: no session, no cookie."""
    async with aiohttp.ClientSession() as http, http.get(n.url + path) as r:
        return r.status, await r.text()


async def _campaign_shown(n: ClusterNode, campaign: str, name: str) -> bool:
    status, _page = await _get(n, f"/public/campaigns/{campaign}")
    _, home = await _get(n, "/")
    _, sitemap = await _get(n, "/sitemap.xml")
    shown = status == 200
    assert (name in home) == shown == (f"/public/campaigns/{campaign}" in sitemap)
    assert status in (200, 404)
    return shown


async def test_a_campaign_adopted_public_shows_on_every_member_until_adopted_private(
    cluster: Any,
) -> None:
    async with cluster(3) as c:
        a, _b, _d = c.nodes
        s = await _setup(c)
        camp = a.node.campaigns
        campaign = await camp.create_campaign(
            s["circle"], "ana", name="Accountable Riverton", goal="Every demand met", public=True
        )
        demand = await camp.put_demand(
            campaign, "ana", title="Body cameras", text="Every officer.", office_type="mayor"
        )
        draft = await camp.create_campaign(
            s["circle"], "ana", name="A draft idea", goal="Later", public=True
        )
        await c.settle()
        # Drafts, even with public set: on no node, to no stranger.
        for n in c.nodes:
            assert not await _campaign_shown(n, campaign, "Accountable Riverton")
        await _adopt(c, s["circle"], [campaign, demand])
        for n in c.nodes:
            assert await _campaign_shown(n, campaign, "Accountable Riverton"), n
            assert not await _campaign_shown(n, draft, "A draft idea")
            _, page = await _get(n, f"/public/campaigns/{campaign}")
            assert "Body cameras" in page
        # A new version, private, drafted: still public until the circle adopts it.
        private = await camp.update_campaign(campaign, "ana", public=False)
        await c.settle()
        for n in c.nodes:
            assert await _campaign_shown(n, campaign, "Accountable Riverton")
        await _adopt(c, s["circle"], [private])
        for n in c.nodes:
            assert not await _campaign_shown(n, campaign, "Accountable Riverton"), n


async def test_a_nodes_admin_hides_a_public_campaign_on_that_node_only(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        s = await _setup(c)
        campaign = await a.node.campaigns.create_campaign(
            s["circle"], "ana", name="Accountable Riverton", goal="Every demand met", public=True
        )
        await c.settle()
        await _adopt(c, s["circle"], [campaign])
        await b.node.add_member("bea", "Bea", "admin")
        await b.node.campaigns.set_hidden(campaign, True, "bea")
        assert not await _campaign_shown(b, campaign, "Accountable Riverton")
        assert await _campaign_shown(a, campaign, "Accountable Riverton")
        assert await _campaign_shown(d, campaign, "Accountable Riverton")
        await b.node.campaigns.set_hidden(campaign, False, "bea")
        assert await _campaign_shown(b, campaign, "Accountable Riverton")


async def _article_shown(n: ClusterNode, slug: str, title: str) -> str | None:
    """The article's page if ``n`` shows it on its home, in its feed and its sitemap
    (None if it shows it nowhere)."""
    status, page = await _get(n, f"/articles/{slug}")
    _, home = await _get(n, "/")
    _, sitemap = await _get(n, "/sitemap.xml")
    _, atom = await _get(n, "/feeds/articles.atom")
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(atom).iter(f"{ATOM}entry")]
    shown = status == 200
    assert shown == (title in home) == (f"/articles/{slug}<" in sitemap) == (title in titles)
    return page if shown else None


async def test_a_circle_article_adopted_is_published_on_every_member(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, _d = c.nodes
        s = await _setup(c)
        articles = b.node.articles.circle  # drafted by a member on a member node
        first = await articles.write(
            s["circle"], "ben", title="How to fight", slug="how-to-fight", summary="", body=BODY
        )
        await c.settle()
        for n in c.nodes:
            assert await _article_shown(n, "how-to-fight", "How to fight") is None
        # A stranger cannot read the circle's drafts.
        _status, page = await _get(a, f"/circles/{s['circle']}/articles")
        assert "How to fight" not in page
        await _adopt(c, s["circle"], [first])
        for n in c.nodes:
            page = await _article_shown(n, "how-to-fight", "How to fight")
            assert page is not None, n
            assert "From the Riverton Coalition" in page
            assert "<em>mayor</em>" in page
            assert "<img" not in page
        # A later version, drafted: the adopted one stays until the circle adopts it.
        article_id = first
        second = await articles.write(
            s["circle"], "ben", title="How to win", slug="how-to-fight", summary="",
            body="Keep up the pressure.", article_id=article_id,
        )  # fmt: skip
        await c.settle()
        for n in c.nodes:
            assert await _article_shown(n, "how-to-fight", "How to fight") is not None
        await _adopt(c, s["circle"], [second])
        for n in c.nodes:
            page = await _article_shown(n, "how-to-fight", "How to win")
            assert page is not None
            assert "Keep up the pressure." in page
            assert "Your <em>mayor</em>" not in page
        withdrawn = await articles.write(
            s["circle"], "ben", title="How to win", slug="how-to-fight", summary="",
            body="Keep up the pressure.", withdrawn=True, article_id=article_id,
        )  # fmt: skip
        await c.settle()
        await _adopt(c, s["circle"], [withdrawn])
        for n in c.nodes:
            assert await _article_shown(n, "how-to-fight", "How to win") is None
