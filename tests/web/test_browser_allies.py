"""Become an ally in Debian's Chromium on a 360 px screen: a stranger fills in the form
with JavaScript off (a refusal keeps what was typed), and axe finds no serious or
critical violation on the form, the form with its problems, the thanks page and the
admins' list of allies; nothing is wider than the screen."""

from __future__ import annotations

from typing import Any

from phone_check import PHONE, checked
from playwright.async_api import Browser, Page, expect


async def _fill(page: Page) -> None:
    await page.get_by_label("Your name").fill("Dolores Huerta")
    await page.get_by_label("Your e-mail address").fill("dolores@example.org")
    await page.get_by_label("Your town").fill("Riverton")
    await page.get_by_label("I can march").check()


async def test_becoming_an_ally_on_a_phone(web: Any, chromium: Browser) -> None:
    ctx = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/")
    nav = page.get_by_role("navigation", name="Site")
    await nav.get_by_role("link", name="Become an ally").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Become an ally")
    await _fill(page)
    await page.get_by_label("I agree").check()
    await page.get_by_role("button", name="Become an ally").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    await ctx.close()
    [ally] = await web.a.node.allies.all()
    assert ally.can == ("march",)

    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/allies")
    await checked(page, "allies-form")
    await _fill(page)
    # The browser's own check stops an empty town; sent anyway (as an old browser
    # would), the node refuses it and keeps what was typed.
    await page.locator("form#ally").evaluate("f => f.noValidate = true")
    await page.get_by_label("Your town").fill("")
    await page.get_by_role("button", name="Become an ally").click()
    await expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    await expect(page.get_by_label("Your name")).to_have_value("Dolores Huerta")
    await checked(page, "allies-form-refused")
    await page.goto(web.a.url + "/allies/thanks")
    await checked(page, "allies-thanks")
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.a.url + "/admin/allies")
    await expect(page.get_by_role("heading", level=2, name="Dolores Huerta")).to_be_visible()
    await checked(page, "admin-allies")
    await page.get_by_label("Show allies who can").select_option("march")
    await page.get_by_role("button", name="Show").click()
    await expect(page.get_by_role("status")).to_contain_text("1 of 1 allies can march.")
    await page.get_by_role("link", name="Erase Dolores Huerta…").click()
    await checked(page, "admin-ally-erase")
    await ctx.close()
