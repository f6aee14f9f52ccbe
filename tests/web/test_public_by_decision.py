"""The pages of public-by-decision over plain HTTP: a campaign's "Public" box, which
takes effect when the circle adopts the version, and the campaign page saying so; a
circle's articles drafted through their form, kept from strangers and non-members, and
published on both nodes once a proposal made from the page's link adopts them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp


async def _adopt(web: Any, versions: list[str]) -> None:
    gov = web.a.node.gov
    root = await gov.propose(web.circle, "ana", "Adopt", "These.", adopts=versions)
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    await web.cluster.settle()
    await gov.stance(root, "ana", "consent")
    await web.b.node.gov.stance(root, "ben", "consent")
    await web.cluster.settle()
    await gov.decide(root, "ana")
    await web.cluster.settle()


async def _stranger(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
        return r.status, await r.text()


async def test_the_public_box_takes_effect_when_the_circle_adopts(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/circles/{web.circle}/campaigns")
    status, page = await ana.post(
        f"/circles/{web.circle}/campaigns",
        {"name": "Accountable policing", "goal": "Cameras.", "public": "yes"},
    )
    assert status == 200
    assert "<strong>Not public</strong>" in page
    assert "makes it public once the circle adopts it" in page
    assert "It takes effect when the circle adopts this version" in page
    cid = re.search(r'action="/campaigns/(sha256:[A-Za-z0-9_-]+)"', page).group(1)  # type: ignore[union-attr]
    for node in (web.a, web.b):
        assert (await _stranger(web.url(node, f"/public/campaigns/{cid}")))[0] == 404
    await _adopt(web, [cid])
    _, page = await ana.get(f"/campaigns/{cid}")
    assert "<strong>Public</strong> since the circle's decision of" in page
    assert re.search(r'name="public" value="yes"[^>]* checked', page)
    for node in (web.a, web.b):
        assert (await _stranger(web.url(node, f"/public/campaigns/{cid}")))[0] == 200


async def test_members_draft_a_circle_article_that_a_decision_publishes(
    web: Any, browser: Any
) -> None:
    articles = f"/circles/{web.circle}/articles"
    status, _ = await _stranger(web.url(web.a, articles))
    assert status in (302, 303)  # to the login page
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(articles)
    status, page = await ana.post(articles, {"title": "", "body": "Words"})
    assert status == 400
    assert "Words" in page  # what was typed is kept
    status, page = await ana.post(
        articles, {"title": "How to Fight", "summary": "Know who decides.", "body": "*Act*."}
    )
    assert status == 200
    assert "A draft: no public site shows it" in page
    assert "<em>Act</em>" in page
    link = re.search(r'href="(/circles/[^"]*adopts=[^"]*)"', page).group(1)  # type: ignore[union-attr]
    versions = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["adopts"]
    carl = browser(web.a.url)
    await carl.login("carl")
    await carl.get("/")
    status, page = await carl.get(articles)
    assert status == 403
    assert "How to Fight" not in page
    for node in (web.a, web.b):
        assert (await _stranger(web.url(node, "/articles/how-to-fight")))[0] == 404
    await _adopt(web, versions)
    for node in (web.a, web.b):
        status, page = await _stranger(web.url(node, "/articles/how-to-fight"))
        assert status == 200
        assert "From the Coalition general circle" in page
    _, page = await ana.get(articles)
    assert "published" in page
