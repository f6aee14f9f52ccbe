"""The account page's mail section in Debian's Chromium on a 360 px screen: a member gives
an address, confirms it by the link of the real mail that arrived, chooses what to
receive and stops it all; axe finds no serious or critical violation at each step, and
nothing is wider than the screen."""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

PHONE = {"width": 360, "height": 780}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE = (importlib.resources.files("axe_core_python") / "axe.min.js").read_text()


async def _checked(page: Page, name: str) -> None:
    await page.evaluate(AXE)
    result = await page.evaluate("axe.run(document).then(r => r.violations)")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


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
    await _checked(page, "account-mail")

    await page.get_by_label("Your e-mail address").fill("carl at home")
    await page.get_by_role("button", name="Send the confirmation link").click()
    # The browser's own check of type=email stops it, or the node refuses it: either way
    # the address stays as typed and nothing is sent.
    await expect(page.get_by_label("Your e-mail address")).to_have_value("carl at home")
    await page.get_by_label("Your e-mail address").fill("carl@riverside.example")
    await page.get_by_role("button", name="Send the confirmation link").click()
    await expect(page.locator("#mail")).to_contain_text("Waiting for your confirmation")
    await _checked(page, "account-mail-pending")

    await node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    link = re.search(r"(/account/mail/confirm/\S+)", msg.get_body(("plain",)).get_content())
    assert link is not None
    await page.goto(web.a.url + link.group(1))
    await _checked(page, "account-mail-confirm")
    await page.get_by_role("button", name="Confirm my address").click()
    await expect(page.locator("#mail")).to_contain_text("carl@riverside.example")

    await page.get_by_label("The daily digest of what happened in my circles").check()
    await page.get_by_role("button", name="Keep these choices").click()
    await expect(
        page.get_by_label("The daily digest of what happened in my circles")
    ).to_be_checked()
    assert (await node.mail.members.choices("carl")).digest
    await _checked(page, "account-mail-chosen")

    await page.get_by_role("button", name="Stop all mail and forget my address").click()
    await expect(page.locator("#mail")).to_contain_text("No address yet")
    assert (await node.mail.members.choices("carl")).address is None
    await ctx.close()
