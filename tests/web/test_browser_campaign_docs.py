"""The demo's campaign in Debian's Chromium on a 360 px screen, as docs/members.md shows
it: the campaign page, its scoreboard, an official's pressure timeline and the form that
logs an action, each passing axe and saved to test-artifacts/web/ (docs/images/ holds
copies). The campaign is ``nst demo``'s, told on two real nodes."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from node.cli.demo_campaign import Voice, tell

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 780}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE = (importlib.resources.files("axe_core_python") / "axe.min.js").read_text()


async def _shot(page: Page, name: str, part: Locator | None = None) -> None:
    """No serious or critical accessibility violation on the page; a screenshot of
    ``part`` (else what the phone's screen shows)."""
    await page.evaluate(AXE)
    result = await page.evaluate("axe.run(document).then(r => r.violations)")
    bad = [(v["id"], v["impact"]) for v in result if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = str(ARTIFACTS / f"{name}.png")
    if part is None:
        await page.screenshot(path=path)
    else:
        await part.screenshot(path=path)


async def test_the_demo_campaign_on_a_phone(web: Any, chromium: Browser) -> None:
    a, b = web.a.node, web.b.node
    voices = [Voice(a, "ana"), Voice(b, "ben")]
    told = await tell(web.circle, voices[0], voices, web.cluster.settle, a.clock.now().date())
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()

    await page.goto(f"{web.a.url}/campaigns/{told.campaign}")
    await expect(page.locator("h1")).to_contain_text("Accountable policing in Riverton")
    await _shot(page, "campaign-page")
    board = page.locator("section[aria-labelledby=board-h]")
    await expect(board).to_contain_text("committed")
    await expect(board).to_contain_text("Grace Abernathy")
    await _shot(page, "campaign-scoreboard-demo", board)

    await page.goto(f"{web.a.url}/campaigns/{told.campaign}/targets/{told.targets['mayor']}")
    form = page.locator("section.log")
    await expect(form.get_by_role("radio", name="Call")).to_be_visible()
    await _shot(page, "campaign-log-action", form)
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text("ben (Node B)")  # an action from the other node
    await expect(timeline).to_contain_text("Ana (Node A)")
    await _shot(page, "campaign-target-timeline", timeline)
    await ctx.close()
