"""Web UI tests: two organizations' real nodes (the federation harness), each serving its
web UI on 127.0.0.1, with members who log in over HTTP or in Debian's Chromium.

``web`` yields a ``World``: nodes A (home of the coalition's general circle) and B, with
Ana (A, facilitator, admin) and Ben (B) in the general circle, plus Carl (A, a member in
no circle). Every password is ``PASSWORD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser as Chromium

PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _load_harness() -> Any:
    if "harness" in sys.modules:
        return sys.modules["harness"]
    path = Path(__file__).parents[1] / "federation" / "harness.py"
    spec = importlib.util.spec_from_file_location("harness", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


def _load_phone_check() -> None:
    """``phone_check`` (the axe and width check every browser test makes), importable by
    name from the test modules here, as the test directory is no package."""
    if "phone_check" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "phone_check", Path(__file__).parent / "phone_check.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["phone_check"] = module
    spec.loader.exec_module(module)


_load_phone_check()


@dataclass
class World:
    cluster: Any
    a: Any
    b: Any
    circle: str
    password: str = PASSWORD

    def url(self, node: Any, path: str = "/") -> str:
        return f"{node.url}{path}"

    async def hold_deliveries(self) -> None:
        """Stop every node's delivery and sync workers: what a node sends stays queued
        (a member node's proposal never reaches the home) until ``cluster.settle()``."""
        for n in self.cluster.nodes:
            tasks, n.tasks = n.tasks, []
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@pytest.fixture
async def web() -> AsyncIterator[World]:
    async with harness.cluster(2, workers=True) as c:
        a, b = c.nodes
        await c.link_all()
        await a.node.add_member("ana", "Ana", "admin", PASSWORD)
        await a.node.add_member("carl", "Carl", "member", PASSWORD)
        await b.node.add_member("ben", "Ben", "member", PASSWORD)
        people = {"ana": ["facilitator"], b.node.actor_of("ben"): []}
        circle = await c.federated_circle(a, [b], name="Coalition general circle", people=people)
        await c.settle()
        for n in c.nodes:
            await n.node.load_org_names()
        yield World(c, a, b, circle.id)


_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class Browser:
    """A member's HTTP session against one node's web UI (no JavaScript)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=True) as r:
            text = await r.text()
            found = _CSRF.search(text)
            if found:
                self.csrf = found.group(1)
            return r.status, text

    async def post(
        self, path: str, data: dict[str, str], *, csrf: str | None = None
    ) -> tuple[int, str]:
        form = {"_csrf": self.csrf if csrf is None else csrf, **data}
        async with self.http.post(self.base + path, data=form, allow_redirects=True) as r:
            text = await r.text()
            found = _CSRF.search(text)
            if found:
                self.csrf = found.group(1)
            return r.status, text

    async def login(self, handle: str, password: str = PASSWORD) -> int:
        await self.get("/login")
        status, _ = await self.post("/login", {"handle": handle, "password": password})
        return status


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    made: list[Browser] = []

    def make(base: str) -> Browser:
        b = Browser(base)
        made.append(b)
        return b

    yield make
    for b in made:
        await b.close()


# --- a public site to read ------------------------------------------------------------
# On node A, a private circle's adopted campaign made public (two officials, one demand,
# statuses, a commitment, contacts logged by members with notes about themselves), a
# draft official, demand and campaign that stay unseen, two published articles and a
# draft.

CIRCLE = "Police accountability working group"
SECRET = "secret-draft-words"
PERSONAL = ("Ana", "Carl", "Ben", "ana", "carl", "ben", "told me personally", CIRCLE)


async def seed(node: Any) -> dict[str, str]:
    circle = (await node.create_circle(CIRCLE, "Hold officials to account")).id
    await node.set_membership(circle, "ana", ["facilitator"])
    await node.set_membership(circle, "carl")
    campaigns = node.campaigns
    campaign = await campaigns.create_campaign(
        circle,
        "ana",
        name="Accountable policing",
        goal="Body cameras and a chokehold ban.",
        public=True,
    )
    ids = {"campaign": campaign, "circle": circle}
    ids["mayor"] = await campaigns.put_target(
        campaign,
        "ana",
        {
            "name": "Dana Reyes",
            "office_type": "mayor",
            "title": "Mayor",
            "jurisdiction": "Riverton",
        },
    )
    ids["draft_target"] = await campaigns.put_target(
        campaign, "ana", {"name": "Pat Unvetted", "office_type": "mayor", "jurisdiction": "Far"}
    )
    ids["demand"] = await campaigns.put_demand(
        campaign, "ana", title="Body cameras", text="Require body cameras.", office_type="mayor"
    )
    ids["draft_demand"] = await campaigns.put_demand(
        campaign, "ana", title=SECRET, text="Not agreed.", office_type="mayor"
    )
    ids["draft_campaign"] = await campaigns.create_campaign(
        circle, "carl", name="An idea not yet agreed", goal="Later."
    )
    root = await node.gov.propose(
        circle, "ana", "Adopt", "It.", adopts=[campaign, ids["mayor"], ids["demand"]]
    )
    for phase in ("presented", "questions", "reactions", "consent"):
        await node.gov.move(root, "ana", phase)
    for handle in ("ana", "carl"):
        await node.gov.stance(root, handle, "consent")
    await node.gov.decide(root, "ana")
    for day, channel, handle in (("2026-05-01", "call", "ana"), ("2026-05-03", "call", "carl"),
                                 ("2026-05-04", "email", "carl")):  # fmt: skip
        await campaigns.log_action(
            campaign, handle, target=ids["mayor"], channel=channel,
            date=dt.date.fromisoformat(day), notes="told me personally", response="Ana asked",
        )  # fmt: skip
    await campaigns.record_status(
        campaign, "ana", demand=ids["demand"], target=ids["mayor"], status="in_talks",
        date=dt.date(2026, 5, 5), evidence_url="https://news.example/mayor",
    )  # fmt: skip
    await campaigns.record_commitment(
        campaign, "ana", target=ids["mayor"], what="A pilot of body cameras by June.",
        made=dt.date(2026, 5, 6), demand=ids["demand"],
    )  # fmt: skip
    for title, status in (("How to Fight for Criminal Justice Reform", "published"),
                          ("What Kind of Ally Are You?", "published"),
                          (f"A draft {SECRET}", "draft")):  # fmt: skip
        saved = await node.articles.save(
            "ana", None, title=title, slug="", summary="", body=f"# {title}\n\nSome *words*.",
            status=status,
        )  # fmt: skip
        ids[saved.slug] = str(saved.id)
    return ids


def personal(text: str) -> list[str]:
    """Whatever of a member or a private circle appears in ``text``."""
    return [w for w in PERSONAL if re.search(rf"\b{re.escape(w)}\b", text)]


@dataclass
class PublicSite:
    ids: dict[str, str]
    secret: str = SECRET

    @staticmethod
    def personal(text: str) -> list[str]:
        return personal(text)


@pytest.fixture
async def public_site(web: World) -> PublicSite:
    return PublicSite(await seed(web.a.node))


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
async def chromium() -> AsyncIterator[Chromium]:
    """Debian's Chromium through Playwright (never a downloaded browser), for the
    browser tests of this folder."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()
