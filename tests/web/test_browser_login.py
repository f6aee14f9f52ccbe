"""The second factor and who reads a circle in a real browser (Debian's Chromium, a
phone-sized screen): setting up a code from an app, logging in with it, the circle's and
the admin's settings of who reads it; each page passes axe-core."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
from phone_check import checked
from playwright.async_api import Browser, Page, expect

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 780}


async def _password(page: Page, base: str, handle: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Handle").fill(handle)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def test_an_admin_sets_up_a_code_and_logs_in_with_it(web: Any, chromium: Browser) -> None:
    page = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _password(page, web.a.url, "ana", web.password)
    await page.get_by_role("link", name="Account").click()
    await page.get_by_role("button", name="Set up a code from an app").click()
    await expect(
        page.get_by_alt_text("QR code of the key for your authenticator app")
    ).to_be_visible()
    await checked(page, "second-factor-setup")
    secret = await page.get_by_label("The key, to type in by hand").input_value()
    totp = pyotp.TOTP(secret)
    await page.get_by_label("Code from your app").fill(totp.at(web.cluster.clock.now()))
    await page.get_by_role("button", name="Turn the code on").click()
    await expect(page.locator("#second-factor")).to_contain_text("On.")
    await page.get_by_role("button", name="Log out ana").click()

    await _password(page, web.a.url, "ana", web.password)
    await expect(page.get_by_role("heading", name="Log in: your code")).to_be_visible()
    await checked(page, "login-code")
    web.cluster.clock.advance(dt.timedelta(seconds=30))
    await page.get_by_label("Code from your app").fill(totp.at(web.cluster.clock.now()))
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()


async def test_who_reads_a_circle_on_its_page_and_the_admin_page(
    web: Any, chromium: Browser
) -> None:
    node = web.a.node
    await node.add_member("bea", "Bea", "member", web.password)
    board = await node.create_circle("Board", "Oversee the association's money")
    await node.set_membership(board.id, "bea", ["facilitator"])
    bea = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _password(bea, web.a.url, "bea", web.password)
    await bea.goto(f"{web.a.url}/circles/{board.id}")
    await bea.get_by_text("Who reads this circle").click()
    await bea.get_by_label("Everyone with an account on this node").check()
    await bea.get_by_role("button", name="Save").click()
    await expect(bea.locator("#readers")).to_contain_text("Everyone with an account")
    await checked(bea, "circle-readers")
    ana = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _password(ana, web.a.url, "ana", web.password)
    await ana.goto(f"{web.a.url}/admin#circles")
    await ana.get_by_label("Who reads Board").select_option("members")
    await ana.get_by_role("button", name="Save for Board").click()
    await expect(ana.get_by_label("Who reads Board")).to_have_value("members")
    await checked(ana, "admin-circles")
