"""The public site as a stranger reads it (no login, no JavaScript): the public home, the
articles (published only), a public campaign (never a draft or a member's name), the
Atom feeds, the sitemap and robots.txt."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp

ATOM = "{http://www.w3.org/2005/Atom}"


async def _get(url: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
        return r.status, await r.text(), r.headers


async def test_a_stranger_reads_the_public_home(web: Any, public_site: Any) -> None:
    ids = public_site.ids
    status, page, _ = await _get(web.url(web.a, "/"))
    assert status == 200
    assert '<html lang="en">' in page
    assert f"<h1>{web.a.node.config.name}</h1>" in page
    assert 'href="/login">Members: log in</a>' in page
    assert f'href="/public/campaigns/{ids["campaign"]}">Accountable policing</a>' in page
    assert 'href="/articles/what-kind-of-ally-are-you"' in page
    assert 'href="/brief"' in page
    assert public_site.secret not in page
    assert "An idea not yet agreed" not in page
    assert '<meta name="description"' in page
    assert '<meta property="og:title"' in page
    assert "<script" not in page
    assert public_site.personal(page) == []


async def test_articles_are_read_published_only(web: Any, public_site: Any) -> None:
    status, page, _ = await _get(web.url(web.a, "/articles/what-kind-of-ally-are-you"))
    assert status == 200
    assert "<h1>What Kind of Ally Are You?</h1>" in page
    assert "<em>words</em>" in page
    assert '<meta property="og:type" content="article">' in page
    assert public_site.personal(page) == []
    status, page, _ = await _get(web.url(web.a, f"/articles/a-draft-{public_site.secret}"))
    assert status == 404
    assert public_site.secret not in page
    status, page, _ = await _get(web.url(web.a, "/articles"))
    assert "How to Fight for Criminal Justice Reform" in page
    assert public_site.secret not in page


async def test_a_public_campaign_shows_its_public_parts_only(web: Any, public_site: Any) -> None:
    ids = public_site.ids
    status, page, _ = await _get(web.url(web.a, f"/public/campaigns/{ids['campaign']}"))
    assert status == 200
    assert "<h1>Accountable policing</h1>" in page
    assert "Body cameras" in page
    assert "Require body cameras." in page
    assert "Dana Reyes" in page
    assert "in talks" in page
    assert "2026-05-05" in page
    assert "call 2 times" in page
    assert "e-mail 1 time" in page
    assert "A pilot of body cameras by June." in page
    assert "Pat Unvetted" not in page
    assert public_site.secret not in page
    assert public_site.personal(page) == []
    for hidden in (ids["draft_campaign"], ids["mayor"]):
        status, page, _ = await _get(web.url(web.a, f"/public/campaigns/{hidden}"))
        assert status == 404
    await web.a.node.campaigns.set_hidden(ids["campaign"], True, "ana")
    status, _, _ = await _get(web.url(web.a, f"/public/campaigns/{ids['campaign']}"))
    assert status == 404


async def test_feeds_are_atom_with_entries(web: Any, public_site: Any) -> None:
    ids = public_site.ids
    status, text, headers = await _get(web.url(web.a, "/feeds/articles.atom"))
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(text)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert sorted(titles) == [
        "How to Fight for Criminal Justice Reform",
        "What Kind of Ally Are You?",
    ]
    content = feed.find(f"{ATOM}entry/{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    assert "<em>words</em>" in (content.text or "")

    status, text, _ = await _get(web.url(web.a, "/feeds/campaigns.atom"))
    feed = ET.fromstring(text)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].findtext(f"{ATOM}updated") == "2026-05-06T00:00:00Z"
    links = {e.find(f"{ATOM}link").get("href") for e in entries}  # type: ignore[union-attr]
    assert links == {web.url(web.a, f"/public/campaigns/{ids['campaign']}")}
    assert public_site.personal(text) == []


async def test_sitemap_and_robots_list_the_public_pages(web: Any, public_site: Any) -> None:
    ids = public_site.ids
    status, text, _ = await _get(web.url(web.a, "/sitemap.xml"))
    assert status == 200
    locs = {
        e.text for e in ET.fromstring(text).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    }
    assert locs == {
        web.url(web.a, p)
        for p in ("/", "/articles", "/brief", "/allies",
                  "/articles/how-to-fight-for-criminal-justice-reform",
                  "/articles/what-kind-of-ally-are-you", f"/public/campaigns/{ids['campaign']}")
    }  # fmt: skip
    status, text, _ = await _get(web.url(web.a, "/robots.txt"))
    assert status == 200
    assert f"Sitemap: {web.url(web.a, '/sitemap.xml')}" in text
    assert "Allow: /allies\n" in text


async def test_a_member_still_gets_their_home_and_can_see_the_public_one(
    web: Any, browser: Any, public_site: Any
) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get("/")
    assert status == 200
    assert "Members: log in" not in page
    status, page = await ana.get("/public")
    assert status == 200
    assert "Recent articles" in page


async def test_pages_say_the_nodes_language(web: Any, public_site: Any) -> None:
    node = web.a.node
    node.config = dataclasses.replace(node.config, language="es-MX")
    for path in ("/", "/articles/what-kind-of-ally-are-you", "/login", "/articles/none"):
        _, page, _ = await _get(web.url(web.a, path))
        assert '<html lang="es-MX">' in page, path
