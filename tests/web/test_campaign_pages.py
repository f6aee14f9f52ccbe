"""Campaign pages over plain HTTP (no JavaScript): a circle's campaigns, a campaign with
its demands and scoreboard, targets, actions, statuses, commitments, plans and pledges,
imports; each refused to non-members, refused without the CSRF token, and a refused form
shown again with what was typed."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from node.campaigns.imports_csv import template_csv


async def _campaign(web: Any) -> tuple[str, str, str]:
    """A campaign of the general circle with a mayor and a demand asked of mayors."""
    campaigns = web.a.node.campaigns
    cid = await campaigns.create_campaign(
        web.circle, "ana", name="Accountable policing", goal="Body cameras on every officer."
    )
    target = await campaigns.put_target(
        cid,
        "ana",
        {"name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton"},
    )
    demand = await campaigns.put_demand(
        cid, "ana", title="Body cameras", text="Require body cameras.", office_type="mayor"
    )
    return cid, target, demand


def _problems(page: str) -> list[str]:
    return re.findall(r'class="field-error">([^<]*)', page)


async def _id_in(page: str, prefix: str) -> str:
    found = re.search(re.escape(prefix) + r"(sha256:[A-Za-z0-9_-]+)", page)
    assert found is not None, prefix
    return found.group(1)


async def test_a_member_runs_a_campaign_through_its_pages(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/circles/{web.circle}/campaigns")
    status, page = await ana.post(
        f"/circles/{web.circle}/campaigns",
        {"name": "Accountable policing", "goal": "Body cameras on every officer."},
    )
    assert status == 200, _problems(page)
    assert "<h1>Accountable policing</h1>" in page
    assert "draft" in page
    cid = await _id_in(page, 'action="/campaigns/')
    assert "adopts=" in page  # the link that proposes adopting the drafts

    status, page = await ana.post(
        f"/campaigns/{cid}/targets",
        {"name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton",
         "office-0-phone": "612-555-0100", "sources": "https://riverton.example/mayor",
         "checked": "2026-01-05"},
    )  # fmt: skip
    assert status == 200, _problems(page)
    assert "<h1>Dana Whitfield</h1>" in page
    assert "612-555-0100" in page
    assert "Sources checked 2026-01-05" in page
    target = await _id_in(page, f"/campaigns/{cid}/targets/")
    await ana.get(f"/campaigns/{cid}")
    status, page = await ana.post(
        f"/campaigns/{cid}/demands",
        {"title": "Body cameras", "text": "Require them.", "asked_of": "mayor"},
    )
    assert status == 200, _problems(page)
    assert "Body cameras" in page
    assert "every mayor" in page
    assert "not asked yet" in page
    assert "never contacted" in page

    await ana.get(f"/campaigns/{cid}/targets/{target}")
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/actions",
        {"channel": "call", "date": "", "outcome": "Left a message"},
    )
    assert status == 200, _problems(page)
    timeline = page.split('id="timeline-h"')[1]
    assert "Call: Left a message" in timeline
    assert "Ana (" in timeline
    demand = (await web.a.node.campaigns.campaign(cid)).demands[0].id
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/statuses",
        {"demand": demand, "status": "asked", "date": "2026-01-06", "quote": "We will see."},
    )
    assert status == 200, _problems(page)
    assert "Status: asked" in page
    assert "We will see." in page
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/commitments",
        {"what": "A body-camera policy by spring", "made": "2026-01-06", "due": "2026-04-01"},
    )
    assert status == 200, _problems(page)
    commitment = await _id_in(page, f"/campaigns/{cid}/targets/{target}/commitments/")
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/commitments/{commitment}", {"kept": "kept"}
    )
    assert status == 200, _problems(page)
    assert "Commitment (kept): A body-camera policy by spring" in page

    status, page = await ana.get(f"/campaigns/{cid}")
    assert "asked" in page.split('id="board-h"')[1].split("</table>")[0]
    today = web.a.node.clock.now().date()
    status, page = await ana.post(
        f"/campaigns/{cid}/plans",
        {"title": "Call day", "channel": "call", "weekday": str(today.weekday()),
         "starts": today.isoformat()},
    )  # fmt: skip
    assert status == 200, _problems(page)
    assert "Nobody has pledged yet." in page
    _, home = await ana.get("/")
    assert "Call day" in home
    assert "take part" in home
    plan = await _id_in(page, f"/campaigns/{cid}/plans/")
    status, page = await ana.post(
        f"/campaigns/{cid}/plans/{plan.removesuffix('/pledge')}/pledge",
        {"date": today.isoformat(), "back": "/"},
    )
    assert status == 200, _problems(page)
    assert "What needs you now" in page
    assert "you pledged" in page


async def test_a_non_member_is_refused_every_campaign_page(web: Any, browser: Any) -> None:
    cid, target, _demand = await _campaign(web)
    carl = browser(web.a.url)
    await carl.login("carl")
    await carl.get("/")
    for path in (
        f"/circles/{web.circle}/campaigns",
        f"/campaigns/{cid}",
        f"/campaigns/{cid}/targets",
        f"/campaigns/{cid}/targets/{target}",
        f"/campaigns/{cid}/import",
        f"/campaigns/{cid}/targets.csv",
    ):
        status, page = await carl.get(path)
        assert status == 403, path
        assert "circle.members_only" in page
    status, _ = await carl.post(
        f"/campaigns/{cid}/targets/{target}/actions", {"channel": "call", "date": "2026-01-06"}
    )
    assert status == 403
    detail = await web.a.node.campaigns.target(cid, target)
    assert detail.timeline == ()


async def test_a_campaign_form_without_the_csrf_token_is_refused(web: Any, browser: Any) -> None:
    cid, target, _demand = await _campaign(web)
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/campaigns/{cid}/targets/{target}")
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/actions", {"channel": "call"}, csrf="forged"
    )
    assert status == 403
    assert "auth.csrf" in page
    assert (await web.a.node.campaigns.target(cid, target)).timeline == ()
    status, _ = await ana.post(
        f"/circles/{web.circle}/campaigns", {"name": "X", "goal": "Y"}, csrf="forged"
    )
    assert status == 403
    assert len(await web.a.node.campaigns.campaigns(web.circle)) == 1


async def test_refused_campaign_forms_keep_what_was_typed(web: Any, browser: Any) -> None:
    cid, target, _demand = await _campaign(web)
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/circles/{web.circle}/campaigns")
    status, page = await ana.post(
        f"/circles/{web.circle}/campaigns", {"name": "Named but aimless", "goal": ""}
    )
    assert status == 400
    assert "The goal must not be empty." in page
    assert 'value="Named but aimless"' in page
    status, page = await ana.post(
        f"/campaigns/{cid}/targets",
        {"name": "Sam Ortiz", "office_type": "District Attorney!", "jurisdiction": "Kent County",
         "website": "not a web address"},
    )  # fmt: skip
    assert status == 400
    assert 'value="Sam Ortiz"' in page
    assert 'value="Kent County"' in page
    assert "The office is not in the right form" in page
    assert "The website is not in the right form" in page
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{target}/actions",
        {"channel": "carrier pigeon", "outcome": "Typed and kept"},
    )
    assert status == 400
    assert "Choose the way you contacted them from the list." in page
    assert 'value="Typed and kept"' in page
    assert (await web.a.node.campaigns.target(cid, target)).timeline == ()


async def test_targets_are_imported_after_a_dry_run(web: Any, browser: Any) -> None:
    cid, _target, _demand = await _campaign(web)
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/campaigns/{cid}/import")
    status, template = await ana.get("/campaigns/template.csv")
    assert status == 200
    assert template == template_csv()

    async def upload(files: list[tuple[str, str]]) -> tuple[int, str]:
        form = aiohttp.FormData()
        form.add_field("_csrf", ana.csrf)
        for name, text in files:
            form.add_field("files", text.encode(), filename=name, content_type="text/csv")
        async with ana.http.post(f"{ana.base}/campaigns/{cid}/import", data=form) as r:
            return r.status, await r.text()

    bad = "name,office_type,jurisdiction\nSam Ortiz,district_attorney,\n"
    status, page = await upload([("people.csv", template_csv()), ("bad.csv", bad)])
    assert status == 200, _problems(page)
    assert "bad.csv, line 2" in page
    assert "1 new" in page
    good = "name,office_type,jurisdiction\nSam Ortiz,district_attorney,Kent County\n"
    status, page = await upload([("people.csv", template_csv()), ("more.csv", good)])
    assert "2 new" in page
    assert "problem" not in page
    assert len((await web.a.node.campaigns.campaign(cid)).targets) == 1  # a dry run only
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    status, page = await ana.post(f"/campaigns/{cid}/import/confirm", {"key": key.group(1)})
    assert status == 200, _problems(page)
    assert "Imported: 2 new and 0 changed targets" in page
    assert "Sam Ortiz" in page
    assert "Dana Whitfield" in page
    status, page = await ana.post(f"/campaigns/{cid}/import/confirm", {"key": key.group(1)})
    assert status == 400
    assert "import.expired" in page
    status, export = await ana.get(f"/campaigns/{cid}/targets.csv")
    assert status == 200
    assert "Sam Ortiz" in export
    assert "Kent County" in export
