"""Writing the public site in the web UI (no JavaScript): an editor writes, previews,
saves a draft, publishes and edits an article; a member without the editor's role is
refused; a refused form keeps what was typed; images need a known type, a bounded size
and alt text, and are served as images only; admins set the home's words, editors and
public campaigns."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
BODY = "Start *here*.\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))"


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status


def _problems(page: str) -> list[str]:
    return re.findall(r'class="field-error">([^<]*)', page)


async def test_an_editor_writes_previews_publishes_and_edits(web: Any, browser: Any) -> None:
    carl = browser(web.a.url)
    await carl.login("carl")
    status, _ = await carl.get("/editor")
    assert status == 403  # a member, not an editor
    article = {"title": "How to Fight", "slug": "", "summary": "", "body": BODY,
               "status": "published", "action": "save"}  # fmt: skip
    status, _ = await carl.post("/editor/new", article)
    assert status == 403
    assert await web.a.node.articles.all() == []

    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get("/admin/public")
    status, page = await ana.post("/admin/public/editors", {"editor": "carl"})
    assert status == 200
    assert 'value="carl" checked' in page

    status, page = await carl.get("/")
    assert 'href="/editor"' in page
    await carl.get("/editor/new")
    status, page = await carl.post("/editor/new", {**article, "action": "preview"})
    assert status == 200
    assert "<em>here</em>" in page  # the preview
    assert "<script>alert(1)" not in page
    assert 'value="How to Fight"' in page  # what was typed, kept
    assert await web.a.node.articles.all() == []  # a preview saves nothing

    status, page = await carl.post("/editor/new", {**article, "status": "draft"})
    assert status == 200
    assert "Saved as a draft" in page
    [saved] = await web.a.node.articles.all()
    assert saved.slug == "how-to-fight"
    assert saved.status == "draft"
    assert await _status(web.url(web.a, "/articles/how-to-fight")) == 404

    edited = {**article, "title": "How to Fight for Justice", "slug": "how-to-fight"}
    status, page = await carl.post(f"/editor/{saved.id}", edited)
    assert status == 200
    assert "Published at /articles/how-to-fight" in page
    async with (
        aiohttp.ClientSession() as http,
        http.get(web.url(web.a, "/articles/how-to-fight")) as r,
    ):
        text = await r.text()
    assert "<h1>How to Fight for Justice</h1>" in text
    assert "<em>here</em>" in text
    assert "<script>alert" not in text
    assert 'href="javascript' not in text  # the link is left as words
    assert "&amp;lt;" not in text  # escaped once, never twice
    assert "Carl" not in text

    status, _ = await carl.post(f"/editor/{saved.id}", edited, csrf="forged")
    assert status == 403


async def test_a_refused_article_keeps_what_was_typed(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    await web.a.node.articles.save(
        "ana", None, title="Taken", slug="taken", summary="", body="x", status="draft"
    )
    await ana.get("/editor/new")
    typed = {
        "title": "My words",
        "slug": "taken",
        "summary": "In short.",
        "body": "A long text typed with care.",
        "status": "draft",
        "action": "save",
    }
    status, page = await ana.post("/editor/new", typed)
    assert status == 400
    assert _problems(page) == ["Another article has the address /articles/taken; choose another."]
    assert 'value="My words"' in page
    assert "A long text typed with care.</textarea>" in page
    assert 'aria-invalid="true"' in page
    status, page = await ana.post("/editor/new", {**typed, "slug": "Not A Slug!"})
    assert status == 400
    assert "lower-case letters and digits joined by dashes" in page
    status, page = await ana.post("/editor/new", {**typed, "slug": "", "title": ""})
    assert status == 400
    assert "Give the article a title" in page
    assert len(await web.a.node.articles.all()) == 1


async def _upload(b: Any, data: bytes, alt: str, name: str = "photo.png") -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("_csrf", b.csrf)
    form.add_field("alt", alt)
    form.add_field("file", data, filename=name, content_type="image/png")
    async with b.http.post(b.base + "/editor/images", data=form) as r:
        return r.status, await r.text()


async def test_images_need_a_known_type_a_bounded_size_and_alt_text(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get("/editor/images")
    status, page = await _upload(ana, b"<svg onload=alert(1)></svg>", "A drawing", "x.png")
    assert status == 400
    assert "Only PNG, JPEG, GIF and WebP images" in page
    assert 'value="A drawing"' in page  # the alt text, kept
    status, page = await _upload(ana, PNG + bytes(1_000_000), "Too big")
    assert status == 400
    assert "larger than 1 MB" in page
    status, page = await _upload(ana, PNG + bytes(2_000_000), "Far too big")
    assert status == 413  # beyond what a request may carry at all
    status, page = await _upload(ana, PNG, "  ")
    assert status == 400
    assert "alt text" in page
    assert await web.a.node.articles.images() == []

    status, page = await _upload(ana, PNG, "Members marching on Main Street")
    assert status == 200
    [image] = await web.a.node.articles.images()
    assert f"![Members marching on Main Street]({image.path})" in page
    async with aiohttp.ClientSession() as http, http.get(web.url(web.a, image.path)) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r.headers["Content-Security-Policy"]
        assert await r.read() == PNG
    assert await _status(web.url(web.a, "/media/../config.toml")) == 404
    assert await _status(web.url(web.a, "/media/0123456789abcdef01234567.png")) == 404

    carl = browser(web.a.url)
    await carl.login("carl")
    await carl.get("/")
    status, _ = await _upload(carl, PNG, "Not an editor")
    assert status == 403


async def test_admins_set_the_home_and_the_public_campaigns(
    web: Any, browser: Any, public_site: Any
) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get("/admin/public")
    status, page = await ana.post(
        "/admin/public/home",
        {"name": "Riverton Justice Coalition", "aim": "We act together.",
         "causes": "Dismantling systemic racism\nLaw-enforcement reform"},
    )  # fmt: skip
    assert status == 200
    async with aiohttp.ClientSession() as http, http.get(web.url(web.a, "/")) as r:
        home = await r.text()
    assert "<h1>Riverton Justice Coalition</h1>" in home
    assert "<li>Law-enforcement reform</li>" in home
    status, page = await ana.post("/admin/public/home", {"name": "", "aim": "x", "causes": ""})
    assert status == 400
    assert "Give a name" in page

    campaign = public_site.ids["campaign"]
    assert await _status(web.url(web.a, f"/public/campaigns/{campaign}")) == 200
    _, page = await ana.get("/admin/public")
    assert "you cannot make public what the circle did not decide" in page
    status, _ = await ana.post("/admin/public/campaigns", {"hide": campaign})
    assert status == 200
    assert await _status(web.url(web.a, f"/public/campaigns/{campaign}")) == 404
    await ana.get("/admin/public")
    await ana.post("/admin/public/campaigns", {})
    assert await _status(web.url(web.a, f"/public/campaigns/{campaign}")) == 200
    carl = browser(web.a.url)
    await carl.login("carl")
    await carl.get("/")
    status, _ = await carl.post("/admin/public/campaigns", {})
    assert status == 403
