"""What every browser test checks of a page: axe finds no serious or critical violation,
nothing is wider than the screen (the 360 px phone, or the page's viewport), and a
screenshot is kept as an artifact. Axe is evaluated for the check only: the pages run
none."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from playwright.async_api import Page

PHONE = {"width": 360, "height": 780}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE = (importlib.resources.files("axe_core_python") / "axe.min.js").read_text()


async def accessible(page: Page, name: str) -> None:
    """No serious or critical accessibility violation on the page."""
    await page.evaluate(AXE)
    result = await page.evaluate("axe.run(document).then(r => r.violations)")
    bad = [
        (v["id"], v["impact"], [(n["target"], n.get("failureSummary")) for n in v["nodes"]][:3])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"


async def checked(page: Page, name: str) -> None:
    """No serious or critical accessibility violation, nothing wider than the screen;
    a screenshot as an artifact."""
    await accessible(page, name)
    screen = page.viewport_size["width"] if page.viewport_size else PHONE["width"]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= screen, f"{name}: {width} px wide"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
