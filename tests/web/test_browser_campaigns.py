"""Campaign pages in Debian's Chromium on a 360 px screen: an action logged in three taps
shows in the target's pressure timeline; axe finds no serious or critical violation on
the campaign page with its scoreboard, the target page, or the pages of the longer forms
(a demand's wording, a recurring action, a target's record with its offices)."""

from __future__ import annotations

from typing import Any

from phone_check import checked
from playwright.async_api import Browser, Page, expect

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 780}


async def _login(page: Page, base: str, handle: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Handle").fill(handle)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def test_an_action_in_three_taps_on_a_phone(web: Any, chromium: Browser) -> None:
    campaigns = web.a.node.campaigns
    cid = await campaigns.create_campaign(
        web.circle,
        "ana",
        name="Accountable policing",
        goal="Body cameras on every officer, and a chokehold ban.",
    )
    target = await campaigns.put_target(
        cid,
        "ana",
        {"name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton",
         "offices": [{"classification": "primary", "voice": "612-555-0100"}],
         "sources": [{"url": "https://riverton.example/mayor", "checked": "2026-01-05"}]},
    )  # fmt: skip
    await campaigns.put_demand(
        cid, "ana", title="Body cameras", text="Require body cameras.", office_type="mayor"
    )
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await _login(page, web.a.url, "ana", web.password)
    await page.goto(f"{web.a.url}/campaigns/{cid}")
    await expect(page.locator("table.board")).to_contain_text("not asked yet")
    await checked(page, "campaign")
    await page.locator("table.board").get_by_role("link", name="Dana Whitfield").click()  # 1
    await page.get_by_role("radio", name="Call").check()  # 2
    await page.get_by_role("button", name="Log the action").click()  # 3
    await expect(page.locator("#timeline")).to_contain_text("Call")
    await expect(page.locator("#timeline")).to_contain_text("Ana (")
    assert page.url.startswith(f"{web.a.url}/campaigns/{cid}/targets/{target}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await checked(page, "campaign-target")
    await page.goto(f"{web.a.url}/campaigns/{cid}")
    await expect(page.locator("table.board")).to_contain_text("0 days ago")
    await checked(page, "campaign-scoreboard")
    await ctx.close()


async def test_the_campaign_forms_pages_on_a_phone(web: Any, chromium: Browser) -> None:
    """The pages of a demand's wording, a recurring action and a target's record (its
    offices a row each) fit a 360 px screen and pass axe; a refused record keeps the
    office typed into the blank row."""
    campaigns = web.a.node.campaigns
    cid = await campaigns.create_campaign(web.circle, "ana", name="Accountable", goal="Cameras.")
    target = await campaigns.put_target(
        cid,
        "ana",
        {"name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton",
         "offices": [{"classification": "primary", "address": "1 City Hall Sq",
                      "voice": "612-555-0100"}]},
    )  # fmt: skip
    demand = await campaigns.put_demand(
        cid, "ana", title="Body cameras", text="Require body cameras.", office_type="mayor"
    )
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await _login(page, web.a.url, "ana", web.password)
    await page.goto(f"{web.a.url}/campaigns/{cid}")
    await page.get_by_role("link", name="Change the wording of Body cameras").click()
    assert page.url == f"{web.a.url}/campaigns/{cid}/demands/{demand}"
    await checked(page, "campaign-demand-wording")
    await page.goto(f"{web.a.url}/campaigns/{cid}")
    await page.get_by_role("link", name="Plan a recurring action").click()
    await expect(page.get_by_label("Dana Whitfield")).to_be_visible()
    await checked(page, "campaign-plan")
    await page.goto(f"{web.a.url}/campaigns/{cid}/targets/{target}/edit")
    extra = page.get_by_role("group", name="Add an office")
    await extra.get_by_label("Address (optional)").fill("40 River Rd")
    await page.get_by_label("Name as shown").fill("")
    await page.evaluate("document.querySelector('form#target').noValidate = true")
    await page.get_by_role("button", name="Save the target").click()
    await expect(page.locator(".error-summary")).to_be_visible()
    await expect(extra.get_by_label("Address (optional)")).to_have_value("40 River Rd")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await checked(page, "campaign-target-form")
    await ctx.close()
