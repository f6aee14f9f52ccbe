"""Delegates and the role register in the web UI: three organizations' admins name their
delegates over real HTTP (forms, CSRF, no JavaScript), a request waits for the circle's
home and is refused in words when the organization's seats are full; in Chromium at
360 px, the delegates section and the register page pass axe."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from harness import cluster
from phone_check import accessible
from playwright.async_api import Browser as Chromium
from playwright.async_api import Page, expect

PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 780}
PEOPLE = {"A": ("al", "amy"), "B": ("ben", "bea", "bix"), "C": ("cleo", "cy")}


async def _login(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_each_organization_names_its_delegates_in_the_web_ui(browser: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        for n in c.nodes:
            await n.node.add_member("admin", f"Admin {n.name}", "admin", PASSWORD)
            for handle in PEOPLE[n.name]:
                await n.node.add_member(handle, handle.capitalize(), "member", PASSWORD)
        # Each admin takes part in the circle (its pages are its members').
        admins_in = {n.node.actor_of("admin"): [] for n in c.nodes}
        circle = (await c.federated_circle(a, [b, d], name="Coalition", people=admins_in)).id
        await c.settle()
        for n in c.nodes:
            await n.node.load_org_names()
        admins = {}
        for n in c.nodes:
            admins[n.name] = browser(n.url)
            assert await admins[n.name].login("admin") == 200
            status, html = await admins[n.name].get(f"/circles/{circle}")
            assert status == 200
            assert "Our delegates" in html
        # A plain member sees no such section, and may not post to it.
        ben = browser(b.url)
        await ben.login("ben")
        status, html = await ben.get(f"/circles/{circle}")
        assert "Our delegates" not in html
        status, _ = await ben.post(f"/circles/{circle}/delegates", {"handle": "ben"})
        assert status == 403
        # Without the form's CSRF token nothing is named.
        status, _ = await admins["B"].post(
            f"/circles/{circle}/delegates", {"handle": "ben"}, csrf="forged"
        )
        assert status == 403
        # B names three before the home answered any: each waits for the home.
        for name, handles in PEOPLE.items():
            for handle in handles:
                status, html = await admins[name].post(
                    f"/circles/{circle}/delegates", {"action": "name", "handle": handle}
                )
                assert status == 200, _words(html)
        _, html = await admins["B"].get(f"/circles/{circle}")
        assert _words(html).count("waiting for the home") == 3
        _, html = await admins["A"].get(f"/circles/{circle}")  # the home: at once
        assert "waiting for the home" not in html
        assert _words(html).count("Withdraw") == 2
        await c.settle()
        six = sorted(n.node.actor_of(h) for n in c.nodes for h in PEOPLE[n.name] if h != "bix")
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert sorted(held.holders("delegate")) == six, n
        # The home refused B's third: its seats were full. Said in words on B.
        _, html = await admins["B"].get(f"/circles/{circle}")
        text = _words(html)
        assert "waiting for the home" not in text
        assert "The home refused naming them: the organization has as many delegates" in text
        assert "circle.role_taken" not in text
        # B withdraws Bea: waiting, then gone everywhere.
        await admins["B"].post(
            f"/circles/{circle}/delegates", {"action": "withdraw", "handle": "bea"}
        )
        _, html = await admins["B"].get(f"/circles/{circle}")
        assert "withdrawn, not confirmed yet" in _words(html)
        await c.settle()
        bea = b.node.actor_of("bea")
        for n in c.nodes:
            held = await n.node.circle(circle)
            assert held is not None
            assert bea not in held.holders("delegate"), n
            assert held.is_active(bea), n


async def test_delegates_and_the_role_register_on_a_phone(web: Any, chromium: Chromium) -> None:
    a, node = web.a, web.a.node
    carl = node.actor_of("carl")
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await _login(page, web.url(a, "/login"))
    await page.goto(web.url(a, f"/circles/{web.circle}"))
    section = page.locator("#our-delegates")
    await expect(section).to_contain_text("Our delegates")
    await page.get_by_label("Name a delegate").select_option("carl")
    await page.get_by_role("button", name="Name as delegate").click()
    await expect(page.locator("#our-delegates")).to_contain_text("Carl")
    await expect(page.get_by_role("button", name="Withdraw Carl")).to_be_visible()
    await accessible(page, "delegates")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    # Carl is elected secretary for three months; 70 days on, the term is due.
    gov = node.gov
    sel = await gov.open_selection(web.circle, "ana", "secretary", "Minutes", 3)
    await gov.nominate(sel, "ana", carl)
    await gov.move_selection(sel, "ana", "nomination_round")
    await gov.reveal(sel, "ana")
    await gov.move_selection(sel, "ana", "change_round")
    deadline = web.cluster.clock.now() + dt.timedelta(hours=1)
    await gov.move_selection(sel, "ana", "consent", candidate=carl, deadline=deadline)
    await gov.selection_stance(sel, "ana", carl, "consent")
    web.cluster.clock.advance(dt.timedelta(hours=2))
    await gov.record_selection(sel, "ana")
    web.cluster.clock.advance(dt.timedelta(days=70))
    await _login(page, web.url(a, "/login"))  # the session ran out in those 70 days
    await page.goto(web.url(a, f"/circles/{web.circle}"))
    await page.get_by_role("link", name="Roles").click()
    await expect(
        page.get_by_role("heading", name="Roles of Coalition general circle")
    ).to_be_visible()
    secretary = page.locator("section", has=page.get_by_role("heading", name="Secretary"))
    await expect(secretary).to_contain_text("due for a new election")
    await expect(secretary).to_contain_text("term ends")
    delegate = page.locator("section", has=page.get_by_role("heading", name="Delegate"))
    await expect(delegate).to_contain_text("Up to 2 per organization")
    await accessible(page, "register")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    await ctx.close()
