"""The Coalition Brief in Debian's Chromium on a 360 px screen: a stranger signs up with
JavaScript off (the form and its Confirm button work without script); axe finds no
serious or critical violation on the sign-up form, the confirmation page, the
unsubscribe page, an editor's compose page and the admins' page, and nothing is wider
than the screen."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from phone_check import PHONE, checked
from playwright.async_api import Browser, expect


async def test_the_brief_on_a_phone(
    web: Any, chromium: Browser, smtp: Any, public_site: Any
) -> None:
    node = web.a.node
    node.config = replace(node.config, mail=smtp.mail_config())
    ctx = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/brief")
    await page.get_by_label("Your e-mail address").fill("dee@example.org")
    await page.get_by_label("Your town (optional)").fill("Riverside")
    await page.get_by_label("Accountable policing").check()
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    while await node.mail.worker.run_once():
        pass
    [msg] = smtp.sink.to("dee@example.org")
    link = re.search(r"(/brief/confirm\?\S+)", msg.get_body(("plain",)).get_content())
    assert link is not None
    await page.goto(web.a.url + link.group(1))
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    await ctx.close()
    assert (await node.brief.counts()) == (1, 0)

    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/brief")
    await checked(page, "brief-signup")
    await page.goto(web.a.url + "/")
    await checked(page, "brief-home")
    await page.get_by_role("button", name="Sign up").click()  # empty: refused, said
    await checked(page, "brief-refused")
    await page.goto(web.a.url + link.group(1))
    await checked(page, "brief-confirm")
    unsubscribe = node.brief.unsubscribe_link(1, "dee@example.org")
    await page.goto(unsubscribe)
    await checked(page, "brief-unsubscribe")
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.a.url + "/editor/brief/new")
    await page.get_by_label("Subject").fill("Brief #1")
    await page.get_by_label("Text").fill("Dear friends,\n\nWe *won*.")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("button", name="Send to every subscriber")).to_be_visible()
    await checked(page, "brief-compose")
    await page.goto(web.a.url + "/editor/brief")
    await checked(page, "brief-issues")
    await page.goto(web.a.url + "/admin/brief")
    await checked(page, "brief-admin")
    await ctx.close()
