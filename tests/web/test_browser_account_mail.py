"""The account page's mail section in Debian's Chromium on a 360 px screen: a member gives
an address, confirms it by the link of the real mail that arrived, chooses what to
receive and stops it all; axe finds no serious or critical violation at each step, and
nothing is wider than the screen."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from phone_check import PHONE, checked
from playwright.async_api import Browser, expect


async def test_a_member_sets_up_mail_on_a_phone(web: Any, chromium: Browser, smtp: Any) -> None:
    node = web.a.node
    node.config = replace(node.config, mail=smtp.mail_config())
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("carl")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.a.url + "/password#mail")
    mail = page.locator("#mail")
    await expect(mail).to_contain_text("No address yet")
    await checked(page, "account-mail")

    await page.get_by_label("Your e-mail address").fill("carl at home")
    await page.get_by_role("button", name="Send the confirmation link").click()
    # The browser's own check of type=email stops it, or the node refuses it: either way
    # the address stays as typed and nothing is sent.
    await expect(page.get_by_label("Your e-mail address")).to_have_value("carl at home")
    await page.get_by_label("Your e-mail address").fill("carl@riverside.example")
    await page.get_by_role("button", name="Send the confirmation link").click()
    await expect(page.locator("#mail")).to_contain_text("Waiting for your confirmation")
    await checked(page, "account-mail-pending")

    await node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    link = re.search(r"(/account/mail/confirm/\S+)", msg.get_body(("plain",)).get_content())
    assert link is not None
    await page.goto(web.a.url + link.group(1))
    await checked(page, "account-mail-confirm")
    await page.get_by_role("button", name="Confirm my address").click()
    await expect(page.locator("#mail")).to_contain_text("carl@riverside.example")

    await page.get_by_label("The daily digest of what happened in my circles").check()
    await page.get_by_role("button", name="Keep these choices").click()
    await expect(
        page.get_by_label("The daily digest of what happened in my circles")
    ).to_be_checked()
    assert (await node.mail.members.choices("carl")).digest
    await checked(page, "account-mail-chosen")

    await page.get_by_role("button", name="Stop all mail and forget my address").click()
    await expect(page.locator("#mail")).to_contain_text("No address yet")
    assert (await node.mail.members.choices("carl")).address is None
    await ctx.close()
