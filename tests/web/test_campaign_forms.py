"""The campaign's longer forms on pages of their own, over plain HTTP: a demand's new
wording, a new demand and a recurring action are linked from a campaign page that no
longer repeats the targets in a form per demand; each refused form comes back on its
page with what was typed."""

from __future__ import annotations

import re
from typing import Any

from multidict import MultiDict


async def _campaign(web: Any, officials: int = 3) -> tuple[str, list[str], str]:
    """A campaign of the general circle with ``officials`` mayors and a demand of mayors."""
    campaigns = web.a.node.campaigns
    cid = await campaigns.create_campaign(
        web.circle, "ana", name="Accountable policing", goal="Body cameras on every officer."
    )
    targets = [
        await campaigns.put_target(
            cid,
            "ana",
            {"name": f"Mayor Number{i}", "office_type": "mayor", "jurisdiction": f"Town {i}"},
        )
        for i in range(officials)
    ]
    demand = await campaigns.put_demand(
        cid, "ana", title="Body cameras", text="Require body cameras.", office_type="mayor"
    )
    return cid, targets, demand


async def _post_all(who: Any, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
    """A form with repeated fields (check boxes, rows), as a browser sends it."""
    data = MultiDict([("_csrf", who.csrf), *fields])
    async with who.http.post(who.base + path, data=data, allow_redirects=True) as r:
        return r.status, await r.text()


async def test_the_campaign_page_links_to_the_forms_of_demands_and_plans(
    web: Any, browser: Any
) -> None:
    cid, targets, demand = await _campaign(web)
    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get(f"/campaigns/{cid}")
    assert status == 200
    # Each official once, in the scoreboard: no form lists them all again.
    assert page.count("Mayor Number1") == 1
    assert f'action="/campaigns/{cid}/demands' not in page
    assert f'action="/campaigns/{cid}/plans"' not in page
    for link in (f"/demands/{demand}", "/demands/new", "/plans/new"):
        assert f'href="/campaigns/{cid}{link}"' in page, link

    status, page = await ana.get(f"/campaigns/{cid}/demands/{demand}")
    assert status == 200
    assert "Change the wording of Body cameras" in page
    assert 'value="Body cameras"' in page
    assert "Mayor Number1 only" in page  # whom it may be asked of
    status, page = await ana.post(
        f"/campaigns/{cid}/demands/{demand}",
        {"title": "", "text": "Typed and kept", "asked_of": "mayor"},
    )
    assert status == 400
    assert "Change the wording of Body cameras" in page
    assert "Typed and kept" in page
    assert "The title must not be empty." in page
    status, page = await ana.post(
        f"/campaigns/{cid}/demands/{demand}",
        {"title": "Body cameras, always on", "text": "Always on.", "asked_of": "mayor"},
    )
    assert status == 200
    assert "<h1>Accountable policing</h1>" in page
    assert "Body cameras, always on" in page

    status, page = await ana.get(f"/campaigns/{cid}/demands/new")
    assert status == 200
    status, page = await ana.post(
        f"/campaigns/{cid}/demands", {"title": "Chokehold ban", "text": "", "asked_of": "mayor"}
    )
    assert status == 400
    assert 'value="Chokehold ban"' in page

    status, page = await ana.get(f"/campaigns/{cid}/plans/new")
    assert status == 200
    assert page.count('name="targets"') == 3
    status, page = await _post_all(
        ana,
        f"/campaigns/{cid}/plans",
        [("title", ""), ("channel", "call"), ("weekday", "1"), ("starts", "2026-03-03"),
         ("targets", targets[1]), ("script", "Call script kept")],
    )  # fmt: skip
    assert status == 400
    assert "Call script kept" in page
    assert re.search(rf'value="{re.escape(targets[1])}" checked', page)
    assert not re.search(rf'value="{re.escape(targets[0])}" checked', page)
    status, page = await _post_all(
        ana,
        f"/campaigns/{cid}/plans",
        [("title", "Tuesday call day"), ("channel", "call"), ("weekday", "1"),
         ("starts", "2026-03-03"), ("targets", targets[1])],
    )  # fmt: skip
    assert status == 200
    assert "Planned: Tuesday call day." in page
    plans = (await web.a.node.campaigns.campaign(cid)).plans
    assert [p.body.targets for p in plans] == [[targets[1]]]


async def test_a_winners_pledge_is_kept_or_broken_on_the_target_page(
    web: Any, browser: Any
) -> None:
    campaigns = web.a.node.campaigns
    cid, _targets, _demand = await _campaign(web, officials=0)
    candidacy = {"election_date": "2026-11-03", "office": "Mayor of Riverton"}
    fields: dict[str, Any] = {
        "name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton",
        "candidacy": candidacy,
    }  # fmt: skip
    dana = await campaigns.put_target(cid, "ana", fields)
    demands = {
        title: await campaigns.put_demand(
            cid, "ana", title=title, text=f"{title}, in every precinct.", office_type="mayor"
        )
        for title in ("Chokehold ban", "Certification")
    }
    for demand in demands.values():
        await campaigns.record_answer(cid, "ana", target=dana, demand=demand, answer="pledged")
    fields["candidacy"] = {**candidacy, "result": "won"}
    await campaigns.put_target(cid, "ana", fields, target_id=dana)

    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get(f"/campaigns/{cid}/targets/{dana}")
    assert status == 200
    shown = page.split('id="commitments-h"')[1].split("</section>")[0]
    assert "Chokehold ban, in every precinct." in shown
    assert "pledged before the election" in shown
    assert "made 2026-11-03" in shown
    ban = demands["Chokehold ban"]
    assert f'action="/campaigns/{cid}/targets/{dana}/pledges/{ban}"' in shown

    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{dana}/pledges/{ban}", {"kept": "kept"}
    )
    assert status == 200
    found = await campaigns.commitments(cid, dana)
    assert [(c.demand_id, c.what, c.made.isoformat(), c.kept, c.id is None) for c in found] == [
        (ban, "Chokehold ban, in every precinct.", "2026-11-03", "kept", False),
        (demands["Certification"], "Certification, in every precinct.", "2026-11-03", "open", True),
    ]
    shown = page.split('id="commitments-h"')[1].split("</section>")[0]
    assert f"/pledges/{ban}" not in shown
    assert f"/commitments/{found[0].id}" in shown  # now a recorded one, to open again
    # Once recorded, the pledge is gone: a second "Kept" is refused and records nothing.
    status, page = await ana.post(
        f"/campaigns/{cid}/targets/{dana}/pledges/{ban}", {"kept": "broken"}
    )
    assert status == 400
    assert "not one of this target&#39;s commitments to record" in page
    assert len(await campaigns.commitments(cid, dana)) == 2


def _office(page: str, n: int, field: str) -> str | None:
    found = re.search(rf'name="office-{n}-{field}"[^>]* value="([^"]*)"', page)
    return None if found is None else found.group(1)


async def test_the_target_form_edits_every_office(web: Any, browser: Any) -> None:
    campaigns = web.a.node.campaigns
    cid, _targets, _demand = await _campaign(web, officials=0)
    offices = [
        {"classification": "primary", "address": "1 City Hall Sq", "voice": "612-555-0100"},
        {"classification": "district", "address": "40 River Rd", "voice": "612-555-0140"},
    ]
    fields = {"name": "Dana Whitfield", "office_type": "mayor", "jurisdiction": "Riverton"}
    dana = await campaigns.put_target(cid, "ana", {**fields, "offices": offices})
    ana = browser(web.a.url)
    await ana.login("ana")
    edit = f"/campaigns/{cid}/targets/{dana}/edit"
    status, page = await ana.get(edit)
    assert status == 200
    assert [_office(page, n, "address") for n in range(4)] == [
        "1 City Hall Sq", "40 River Rd", "", None
    ]  # fmt: skip
    assert _office(page, 1, "phone") == "612-555-0140"
    assert 'name="office-0-remove"' in page
    assert 'name="office-2-remove"' not in page  # the blank row adds one

    form = {
        **fields,
        "office-0-classification": "primary", "office-0-address": "1 City Hall Sq",
        "office-0-phone": "612-555-0100", "office-0-remove": "1",
        "office-1-classification": "district", "office-1-address": "40 River Rd",
        "office-1-phone": "612-555-0199",
        "office-2-new": "1", "office-2-classification": "capitol",
        "office-2-address": "75 Rev Dr", "office-2-phone": "x" * 600,
        "name": "",
    }  # fmt: skip
    status, page = await ana.post(edit, form)
    assert status == 400
    assert "The name as shown must not be empty." in page
    assert "phone of office 3" in page
    assert _office(page, 2, "address") == "75 Rev Dr"  # what was typed, kept
    assert _office(page, 1, "phone") == "612-555-0199"
    assert re.search(r'name="office-0-remove" value="1" checked', page)
    assert _office(page, 3, "address") is None
    body = (await campaigns.target(cid, dana)).target.body
    assert [o.voice for o in body.offices] == ["612-555-0100", "612-555-0140"]

    status, page = await ana.post(edit, {**form, "name": "Dana Whitfield", "office-2-phone": ""})
    assert status == 200, page
    body = (await campaigns.target(cid, dana)).target.body
    assert [(o.classification, o.address, o.voice) for o in body.offices] == [
        ("district", "40 River Rd", "612-555-0199"),
        ("capitol", "75 Rev Dr", ""),
    ]
    assert "75 Rev Dr" in page

    many = [{"address": f"{n} Main St"} for n in range(20)]
    await campaigns.put_target(cid, "ana", {**fields, "offices": many}, target_id=dana)
    status, page = await ana.get(edit)
    assert _office(page, 19, "address") == "19 Main St"
    assert _office(page, 20, "address") is None
    assert "That is the most a target can have" in page
