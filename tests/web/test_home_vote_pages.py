"""Moving a silent home on the circle page (PROTOCOL.md §13.15): a member node's admin
sees, once the charter's timeout has passed, how long the home has been silent and the
votes so far by organization, and votes in plain words; before the timeout there is no
such section, and a vote posted anyway is refused in words. Without JavaScript, and in
Debian's Chromium on a 360 px screen with axe."""

from __future__ import annotations

import datetime as dt
import html
import importlib.resources
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page

PHONE = {"width": 360, "height": 780}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE = (importlib.resources.files("axe_core_python") / "axe.min.js").read_text()
SILENT = "Node A's node has not been heard from for 15 days. The circle's charter lets the"
VOTE = "Vote to move the home to Node B"


async def _fits(page: Page, name: str) -> None:
    """Nothing wider than the phone, no serious accessibility problem; a screenshot."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide"
    await page.evaluate(AXE)
    result = await page.evaluate("axe.run(document).then(r => r.violations)")
    bad = [(v["id"], v["impact"]) for v in result if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _bea(web: Any) -> None:
    """Bea, B's admin, joins the circle by its decision (a shared circle, §13.14)."""
    await web.b.node.add_member("bea", "Bea", "admin", web.password)
    bea = {"op": "member", "member": web.b.node.actor_of("bea"), "status": "active"}
    await web.cluster.decide_structure(web.a, web.circle, [bea])
    await web.cluster.settle()


async def _silent_home(web: Any) -> None:
    """Node A, the circle's home, stops; B's clock passes the charter's 14 days."""
    await _bea(web)
    await web.cluster.stop(web.a)
    web.cluster.clock.advance(dt.timedelta(days=15))


async def test_an_admin_votes_to_move_the_silent_home(web: Any, browser: Any) -> None:
    await _bea(web)
    bea = browser(web.b.url)
    await bea.login("bea")
    # The home was heard from today: nothing to vote on, and a vote is refused in words.
    status, page = await bea.get(f"/circles/{web.circle}")
    assert status == 200
    assert "The circle's home is silent" not in html.unescape(page)
    status, page = await bea.post(f"/circles/{web.circle}/home-vote", {"to": web.b.node_id})
    assert status == 400
    assert "heard from too recently" in page

    await web.cluster.stop(web.a)
    web.cluster.clock.advance(dt.timedelta(days=15))
    await bea.login("bea")  # the session ended while the clock moved on
    status, page = await bea.get(f"/circles/{web.circle}")
    words = html.unescape(page)
    assert SILENT in words
    assert "move the home after 14 days." in words
    assert "Not voted yet: Node B." in words
    assert VOTE in words
    # A member who is no admin sees no vote.
    ben = browser(web.b.url)
    await ben.login("ben")
    status, page = await ben.get(f"/circles/{web.circle}")
    assert VOTE not in html.unescape(page)
    status, page = await ben.post(f"/circles/{web.circle}/home-vote", {"to": web.b.node_id})
    assert status == 403
    assert "Your organization's admins cast its vote." in html.unescape(page)

    status, page = await bea.post(f"/circles/{web.circle}/home-vote", {"to": web.b.node_id})
    assert status == 200
    words = html.unescape(page)
    # B was the one vote needed (a circle of two): the home moved to it at once.
    assert "Your organization voted to move the home to Node B." in words
    assert "Its home, the node that keeps its acts in order, is Node B." in words
    assert "The circle's home is silent" not in words


async def test_the_vote_on_a_phone(web: Any, chromium: Browser) -> None:
    await _silent_home(web)
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.b.url + "/login")
    await page.get_by_label("Handle").fill("bea")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{web.b.url}/circles/{web.circle}")
    await page.get_by_text(SILENT).wait_for()
    await _fits(page, "home-vote")
    await page.get_by_role("button", name=VOTE).click()
    await page.get_by_text("Your organization voted to move the home to Node B.").wait_for()
    await page.get_by_text("Its home, the node that keeps its acts in order, is Node B.").wait_for()
    await _fits(page, "home-moved")
    await ctx.close()
