"""The public site in Debian's Chromium on a 360 px screen, JavaScript off: axe finds no
serious or critical violation on the public home, an article and a public campaign, and
nothing is wider than the screen; the editor's page, a circle's articles and the
campaign form with its Public box pass too."""

from __future__ import annotations

from typing import Any

from phone_check import PHONE, checked
from playwright.async_api import Browser, expect


async def test_the_public_site_on_a_phone(web: Any, chromium: Browser, public_site: Any) -> None:
    ctx = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(web.a.node.config.name)
    # Axe needs script; the same page is checked again with it on, below.
    await page.get_by_role("link", name="What Kind of Ally Are You?").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("What Kind of Ally Are You?")
    await ctx.close()

    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/")
    await checked(page, "public-home")
    await page.goto(web.a.url + "/articles/what-kind-of-ally-are-you")
    await checked(page, "public-article")
    await page.goto(web.a.url + f"/public/campaigns/{public_site.ids['campaign']}")
    await expect(page.locator("main")).to_contain_text("Dana Reyes")
    await checked(page, "public-campaign")
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.a.url + f"/editor/{public_site.ids['what-kind-of-ally-are-you']}")
    await checked(page, "editor-article")
    await page.goto(web.a.url + "/admin/public")
    await checked(page, "admin-public")
    # A circle's articles: the list with the form of a new one, and one article's page.
    circle = public_site.ids["circle"]
    made = await web.a.node.articles.circle.write(
        circle, "ana", title="How to fight", slug="", summary="Know who decides.", body="*Act*."
    )
    await page.goto(web.a.url + f"/circles/{circle}/articles")
    await page.get_by_text("New article").click()
    await checked(page, "circle-articles")
    await page.goto(web.a.url + f"/circles/{circle}/articles/{made}")
    await page.get_by_text("Write a new version").click()
    await checked(page, "circle-article")
    await page.goto(web.a.url + f"/campaigns/{public_site.ids['campaign']}")
    await page.get_by_text("Change the campaign").click()
    await expect(page.get_by_label("Public")).to_be_checked()
    await checked(page, "campaign-public-box")
    await ctx.close()
