"""A meeting run in a real browser at 360 px (Debian's Chromium): the facilitator writes
the minutes with a guest and an action item, corrects them; the owner of the action finds
it on their home page and marks it done. axe-core finds no serious or critical violation
on the meeting page or the home page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from phone_check import checked
from playwright.async_api import Browser, Page, expect

PHONE = {"width": 360, "height": 780}


async def _login(page: Page, base: str, handle: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Handle").fill(handle)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def test_minutes_written_corrected_and_acted_on_in_a_browser(
    web: Any, chromium: Browser
) -> None:
    a, c = web.a.node, web.cluster
    starts = c.clock.now() - dt.timedelta(hours=1)
    meeting = await a.gov.schedule_meeting(web.circle, "ana", "Winter assembly", starts)
    await c.settle()
    ana_ctx = await chromium.new_context(viewport=PHONE)
    ben_ctx = await chromium.new_context(viewport=PHONE)
    try:
        ana, ben = await ana_ctx.new_page(), await ben_ctx.new_page()
        await _login(ana, web.a.url, "ana", web.password)
        await _login(ben, web.b.url, "ben", web.password)
        await expect(ana.locator(".task-write_minutes")).to_contain_text("Winter assembly")
        await checked(ana, "home with a task")

        await ana.goto(f"{web.a.url}/meetings/{meeting}")
        await checked(ana, "meeting to minute")
        await ana.get_by_label("Guests, one name per line").fill("Rosa from the tenants' union")
        await ana.get_by_label("Items discussed, one per line").fill("Heating")
        await ana.get_by_label("Action 1", exact=True).fill("Call the landlord")
        await ana.get_by_label("Who takes action 1").select_option(b_actor(web))
        await ana.get_by_label("Due date of action 1").fill(
            (c.clock.now() - dt.timedelta(days=2)).date().isoformat()
        )
        await ana.get_by_role("button", name="Record the minutes").click()
        await expect(ana.locator("#approval")).to_have_text("not yet approved")
        await expect(ana.locator("#guests")).to_contain_text("Rosa from the tenants' union")
        await expect(ana.locator("#action-1")).to_contain_text("overdue")

        await ana.get_by_label("What was corrected").fill("Rosa's surname added.")
        await ana.get_by_label("Guests, one name per line").fill("Rosa Parks")
        await ana.get_by_role("button", name="Publish the correction").click()
        await expect(ana.locator("#corrections-h")).to_be_visible()
        await expect(ana.locator("main")).to_contain_text("Rosa's surname added.")
        await expect(ana.locator("#guests")).to_have_text("Guests: Rosa Parks")
        await checked(ana, "meeting with corrected minutes")

        await c.settle()
        await ben.goto(web.b.url + "/")
        task = ben.locator(".task-action")
        await expect(task).to_contain_text("Call the landlord")
        await expect(task).to_contain_text("overdue")
        await checked(ben, "home with an action")
        await task.get_by_role("link").click()
        await ben.locator("#action-1").get_by_role("button", name="Mark done").click()
        await c.settle()
        await expect(ben.locator("#action-1")).to_contain_text("done")
        await ben.goto(web.b.url + "/")
        await expect(ben.locator(".task-action")).to_have_count(0)
    finally:
        await ana_ctx.close()
        await ben_ctx.close()


def b_actor(web: Any) -> str:
    return str(web.b.node.actor_of("ben"))
