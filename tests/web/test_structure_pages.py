"""A structural proposal through the pages (PROTOCOL.md §13.14): the new-proposal form
of a federated circle proposes a change of members, roles or the charter; the proposal
page says in plain words what it would do; once adopted the home carries it out."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from phone_check import accessible
from playwright.async_api import Browser, expect

PHONE = {"width": 360, "height": 780}


async def test_a_structural_proposal_from_the_form_changes_the_circle_once_adopted(
    web: Any, browser: Any
) -> None:
    ben = web.b.node.actor_of("ben")
    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get(f"/circles/{web.circle}")
    assert status == 200
    assert "Change the circle (optional)" in page
    assert "the node of Node B" in page  # an organization's node, by its name

    form = {
        "title": "Ben keeps the minutes",
        "text": "Ben becomes our secretary, and rounds get shorter.",
        "structure_member": ben,
        "structure_status": "active",
        "structure_roles": "secretary",
        "charter_change": "1",
        "charter_aim": "Coordinate the coalition",
        "charter_domain": "",
        "charter_round_hours": "0",
        "charter_silence": "absent",
    }
    # A wrong round length: the form says so and keeps what was typed.
    status, page = await ana.post(f"/circles/{web.circle}/proposals", form)
    assert status == 400
    assert "The round length must be from 1 to 2160." in page
    assert "Ben becomes our secretary" in html.unescape(page)

    status, page = await ana.post(
        f"/circles/{web.circle}/proposals", {**form, "charter_round_hours": "48"}
    )
    assert status == 200
    words = html.unescape(page)
    assert "If the circle consents, this proposal would:" in words
    assert "give ben (Node B)" in words
    assert "(Node B) the roles: secretary" in words
    assert "change the aim to “Coordinate the coalition”" in words
    assert "change the round length from 72 to 48 hours" in words

    gov = web.a.node.gov
    [row] = [p for p in await gov.proposals(web.circle) if p["title"] == form["title"]]
    root = row["root"]
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    view = await gov.proposal(root)
    await gov.stance(view.state.version_id, "ana", "consent")
    web.cluster.clock.advance(dt.timedelta(hours=73))
    await gov.decide(root, "ana")
    await web.cluster.settle()
    for n in (web.a, web.b):
        held = await n.node.circle(web.circle)
        assert held.members[ben].roles == ("secretary",)
        [charter] = [r for r in await n.node.circles() if r["id"] == web.circle]
        assert (charter["aim"], charter["round_hours"]) == ("Coordinate the coalition", 48)
    status, page = await ana.get(f"/proposals/{root}")
    assert "This proposal changed the circle" in page


async def test_the_structural_proposal_form_in_a_phone_browser(web: Any, chromium: Browser) -> None:
    ctx = await chromium.new_context(viewport=PHONE)
    ana = await ctx.new_page()
    await ana.goto(web.a.url + "/login")
    await ana.get_by_label("Handle").fill("ana")
    await ana.get_by_label("Password").fill(web.password)
    await ana.get_by_role("button", name="Log in").click()
    await ana.goto(f"{web.a.url}/circles/{web.circle}")
    await ana.get_by_text("New proposal").click()
    await ana.get_by_text("Change the circle (optional)").click()
    await accessible(ana, "structural proposal form")
    await ana.locator("#new-proposal-title").fill("Ben leaves the circle")
    await ana.get_by_label("Proposal", exact=True).fill("He asked to step back.")
    await ana.get_by_label("Who").select_option(web.b.node.actor_of("ben"))
    await ana.get_by_role("radio", name="leaves the circle").check()
    await ana.get_by_role("button", name="Propose").click()
    await expect(ana.locator("h1")).to_have_text("Ben leaves the circle")
    await expect(ana.locator("#structure li")).to_have_text("remove ben (Node B) from the circle")
    await accessible(ana, "structural proposal")
    await ctx.close()


async def test_a_charter_change_from_the_form_keeps_what_the_form_does_not_show(
    web: Any, browser: Any
) -> None:
    """The form edits the aim, domain, round length and silence; the charter's quorum and
    role register stay as they are, and a role the register declares can be given."""
    a = web.a.node
    [row] = [r for r in await a.circles() if r["id"] == web.circle]
    treasurer = {"name": "treasurer", "description": "Keeps the books", "term_months": 12}
    charter = {**row["charter"], "quorum": 60, "roles": [treasurer]}
    await web.cluster.decide_structure(web.a, web.circle, [{"op": "charter", "charter": charter}])
    await web.cluster.settle()
    ben = web.b.node.actor_of("ben")
    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get(f"/circles/{web.circle}")
    assert 'name="structure_roles" value="treasurer"' in page
    form = {
        "title": "Ben keeps the books",
        "text": "And our aim says what we do.",
        "structure_member": ben,
        "structure_status": "active",
        "structure_roles": "treasurer",
        "charter_change": "1",
        "charter_aim": "Win the campaign for accountable policing",
        "charter_domain": "",
        "charter_round_hours": "72",
        "charter_silence": "absent",
    }
    status, page = await ana.post(f"/circles/{web.circle}/proposals", form)
    assert status == 200, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[:1500]
    assert "the roles: treasurer" in html.unescape(page)
    gov = a.gov
    [row] = [p for p in await gov.proposals(web.circle) if p["title"] == form["title"]]
    root = row["root"]
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    view = await gov.proposal(root)
    await gov.stance(view.state.version_id, "ana", "consent")
    await web.cluster.settle()  # the quorum of 60% needs Ben's answer too
    await web.b.node.gov.stance(view.state.version_id, "ben", "consent")
    await web.cluster.settle()
    web.cluster.clock.advance(dt.timedelta(hours=73))
    await gov.decide(root, "ana")
    await web.cluster.settle()
    for n in (web.a, web.b):
        [held] = [r for r in await n.node.circles() if r["id"] == web.circle]
        assert held["aim"] == "Win the campaign for accountable policing"
        assert held["charter"]["quorum"] == 60
        assert [r["name"] for r in held["charter"]["roles"]] == ["treasurer"]
        circle = await n.node.circle(web.circle)
        assert circle.members[ben].roles == ("treasurer",)
