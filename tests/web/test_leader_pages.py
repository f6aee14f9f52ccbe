"""The leader of a sub-circle chosen by its parent in the web UI (PROTOCOL.md §13.16): the
parent's form to choose it (names, not ids; what was typed kept), the sub-circle's own
election form that no longer offers the leader and says why, the election's page and the
sub-circle's roles page naming the parent; in Chromium at 360 px they pass axe."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from phone_check import accessible
from playwright.async_api import Browser as Chromium
from playwright.async_api import expect

PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 780}
PARENT = "Coalition general circle"


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def _outreach(web: Any) -> str:
    """Outreach, a circle of A whose charter names the coalition's circle as its parent;
    Ana facilitates it, Carl keeps its minutes."""
    node = web.a.node
    team = await node.create_circle("Outreach", "Reach people", parent=web.circle)
    await node.set_membership(team.id, "ana", ["facilitator"])
    await node.set_membership(team.id, "carl", ["secretary"])
    return str(team.id)


async def _select(web: Any, sel: str, who: str) -> None:
    gov = web.a.node.gov
    await gov.nominate(sel, "ana", who)
    await gov.move_selection(sel, "ana", "nomination_round")
    await gov.reveal(sel, "ana")
    await gov.move_selection(sel, "ana", "change_round")
    deadline = web.cluster.clock.now() + dt.timedelta(hours=1)
    await gov.move_selection(sel, "ana", "consent", candidate=who, deadline=deadline)
    await gov.selection_stance(sel, "ana", who, "consent")
    web.cluster.clock.advance(dt.timedelta(hours=2))
    await gov.record_selection(sel, "ana")


async def test_the_parent_chooses_a_sub_circles_leader_in_forms(web: Any, browser: Any) -> None:
    team = await _outreach(web)
    ana = browser(web.a.url)
    assert await ana.login("ana") == 200
    status, html = await ana.get(f"/circles/{web.circle}")
    assert status == 200
    assert "Choose the leader of a sub-circle" in html
    assert "Choose the leader of Outreach" in _words(html)
    # Nothing described: refused in words, the term typed kept.
    path = f"/circles/{web.circle}/leader-elections"
    status, html = await ana.post(path, {"for_circle": team, "term_months": "6"})
    assert status == 400
    assert "role description" in _words(html).lower()
    assert 'value="6"' in html
    status, html = await ana.post(
        path, {"for_circle": team, "description": "Leads the outreach", "term_months": "6"}
    )
    assert status == 200
    assert "Election: leader of Outreach" in _words(html)
    # Outreach's own form offers no leader, and says who chooses it.
    status, html = await ana.get(f"/circles/{team}")
    assert f"The leader of Outreach is not elected here: {PARENT}" in _words(html)
    assert '<option value="leader">' not in html
    assert '<option value="secretary">' in html
    status, html = await ana.post(
        f"/circles/{team}/elections",
        {"role": "leader", "description": "Our own leader", "term_months": "12"},
    )
    assert status == 400
    words = _words(html)
    assert f"The leader of Outreach is chosen by {PARENT}, its parent circle" in words
    assert "Our own leader" in html  # what was typed is kept
    assert await web.a.node.gov.selections(team) == []


async def test_a_chosen_leader_on_a_phone(web: Any, chromium: Chromium) -> None:
    team = await _outreach(web)
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.url(web.a, "/login"))
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.url(web.a, f"/circles/{web.circle}"))
    await page.get_by_text("Choose the leader of a sub-circle").click()
    await page.get_by_label("Choose the leader of Outreach").check()
    await accessible(page, "parent's form")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.get_by_role("button", name="Open the election").last.click()
    await expect(page.get_by_role("heading", name="Election: leader of Outreach")).to_be_visible()
    await accessible(page, "election")
    sel = page.url.rsplit("/", 1)[1]
    await _select(web, sel, web.a.node.actor_of("ana"))
    await page.goto(web.url(web.a, f"/circles/{team}/roles"))
    leader = page.locator("section", has=page.get_by_role("heading", name="Leader"))
    await expect(leader).to_contain_text(f"Chosen by {PARENT}")
    await expect(leader).to_contain_text("Ana (Node A)")
    await expect(leader).to_contain_text("term ends")
    await expect(leader.get_by_role("link", name=PARENT)).to_have_attribute(
        "href", f"/circles/{web.circle}"
    )
    await accessible(page, "roles")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await ctx.close()
