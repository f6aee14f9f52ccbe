"""Records people can use: a decision's outcome statement and rationale written in the
decide form, the printable logbook (the adopted text, objections and how each was met,
concerns, who consented and who was silent, by name; the role, person and term of a
selection; a meeting's attendees) and the circle's policy register (what is in force,
what replaced what), over HTTP against the real app."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from phone_check import checked
from playwright.async_api import expect

from node.governance import logbook

pytestmark = pytest.mark.timeout(90)

HOUR = dt.timedelta(hours=1)


@dataclass
class Story:
    circle: str
    rent: str  # the first proposal's root
    rent_decision: str
    van: str  # a proposal adopted without replacing anything


async def _adopt(web: Any, title: str, text: str, **extra: Any) -> str:
    a = web.a.node
    root: str = await a.gov.propose(web.circle, "ana", title, text, **extra)
    for phase in ("presented", "questions", "reactions", "consent"):
        await a.gov.move(root, "ana", phase)
    for handle in ("ana", "carl", "dan"):
        await a.gov.stance(root, handle, "consent")
    await web.cluster.settle()
    await web.b.node.gov.stance(root, "ben", "consent")
    await web.cluster.settle()
    await a.gov.decide(root, "ana")
    return root


async def story(web: Any, ana: Any) -> Story:
    """Rent: Ben objects, the objection is integrated, Carl has a concern, Dan stays
    silent; Ana records the decision with its statement and rationale in the form. Then
    Carl is elected secretary, a meeting is minuted, and a van is bought."""
    a, b = web.a.node, web.b.node
    await a.add_member("dan", "Dan Ortiz", "member", web.password)
    # Carl and Dan join by the circle's decision (a shared circle, §13.14).
    joins = [
        {"op": "member", "member": a.actor_of(h), "status": "active", "roles": []}
        for h in ("carl", "dan")
    ]
    await web.cluster.decide_structure(web.a, web.circle, joins)
    rent = await a.gov.propose(web.circle, "ana", "Dues", "Members pay 5 a month.")
    for phase in ("presented", "questions", "reactions"):
        await a.gov.move(rent, "ana", phase)
    await a.gov.move(rent, "ana", "consent", deadline=a.clock.now() + HOUR)
    await web.cluster.settle()
    await b.gov.stance(rent, "ben", "object", "Too much for students")
    await web.cluster.settle()
    await a.gov.move(rent, "ana", "integrating")
    v2 = await a.gov.amend(
        rent, "ana", "Dues", "Members pay 5 a month, students 2.", "Students pay 2"
    )
    await a.gov.move(rent, "ana", "consent", deadline=a.clock.now() + HOUR)
    await a.gov.stance(v2, "carl", "concern", "Hard to collect in cash")
    await a.gov.stance(v2, "ana", "consent")
    await web.cluster.settle()
    await b.gov.stance(v2, "ben", "consent")
    await web.cluster.settle()
    web.cluster.clock.advance(2 * HOUR)
    await ana.get(f"/proposals/{rent}")
    status, page = await ana.post(
        f"/proposals/{rent}/decide",
        {
            "statement": "Dues are 5 a month, 2 for students.",
            "rationale": "Students could not pay the full amount.",
        },
    )
    assert status == 200
    assert "Dues are 5 a month, 2 for students." in page
    assert "Students could not pay the full amount." in page
    view = await a.gov.proposal(rent)
    assert view is not None
    assert view.decision_id is not None
    carl = a.actor_of("carl")
    sel = await a.gov.open_selection(web.circle, "ana", "secretary", "Keeps the minutes", 12)
    await a.gov.nominate(sel, "ana", carl)
    await a.gov.move_selection(sel, "ana", "nomination_round")
    await a.gov.reveal(sel, "ana", "organised")
    await a.gov.move_selection(sel, "ana", "change_round")
    await a.gov.move_selection(sel, "ana", "consent", candidate=carl)
    for handle in ("ana", "carl", "dan"):
        await a.gov.selection_stance(sel, handle, carl, "consent")
    await web.cluster.settle()
    await b.gov.selection_stance(sel, "ben", carl, "consent")
    await web.cluster.settle()
    await a.gov.record_selection(sel, "ana")
    meeting = await a.gov.schedule_meeting(
        web.circle, "ana", "Assembly", dt.datetime(2026, 11, 23, 18, tzinfo=dt.UTC)
    )
    await a.gov.write_minutes(
        meeting,
        "ana",
        attendance=[a.actor_of("ana"), b.actor_of("ben")],
        agenda_consented=True,
    )
    van = await _adopt(web, "A van", "We buy a second-hand van.")
    return Story(web.circle, rent, view.decision_id, van)


async def test_the_printable_logbook_reads_as_a_record(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    s = await story(web, ana)
    status, raw = await ana.get(f"/circles/{s.circle}/logbook.html")
    assert status == 200
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
    for words in (
        "Dues: adopted",
        "Members pay 5 a month, students 2.",  # the adopted text
        "Outcome: Dues are 5 a month, 2 for students.",
        "Rationale: Students could not pay the full amount.",
        "ben (Node B): Too much for students — met in version 2: Students pay 2",
        "Carl: Hard to collect in cash",  # a concern, by display name
        "Silent: Dan Ortiz",
        "Secretary: Carl",
        "Attending: Ana, ben (Node B)",
    ):
        assert words in page, words
    assert re.search(r"Term from (\d{4}-\d\d-\d\d) to \d{4}-\d\d-\d\d", page)
    assert re.search(r"Consented: (Ana, ben \(Node B\)|ben \(Node B\), Ana) Silent", page)
    assert web.a.node.actor_of("dan") not in page  # names, not ids
    # The record's words are in the signed decisions: the export still verifies offline,
    # and B, replaying the same order, holds the same logbook.
    async with ana.http.get(f"{web.a.url}/circles/{s.circle}/logbook.jsonl") as r:
        data = await r.read()
    report = await logbook.verify_export(data, signer=web.a.node_id)
    # The charter, the decision that let Carl and Dan join, two decisions, a selection,
    # the minutes.
    assert report.entries == 6
    heads = [
        await n.store.fetchone(
            "SELECT hash FROM logbook WHERE scope = ? ORDER BY n DESC LIMIT 1", (s.circle,)
        )
        for n in (web.a, web.b)
    ]
    assert heads[0] == heads[1] == (report.head,)


async def test_the_policy_register_shows_what_is_in_force(web: Any, browser: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    s = await story(web, ana)
    status, page = await ana.get(f"/circles/{s.circle}/policies")
    assert status == 200
    assert "In force (3)" in page  # with the decision that let Carl and Dan join
    assert "Dues are 5 a month, 2 for students." in page
    # A new proposal replaces the dues decision once adopted (``replaces``).
    dues2 = await _adopt(web, "Dues, simpler", "Everyone pays 3 a month.", replaces=s.rent_decision)
    status, page = await ana.get(f"/circles/{s.circle}/policies")
    assert "In force (3)" in page
    force, replaced = page.split('id="replaced-h"')
    assert f'href="/proposals/{dues2}"' in force
    assert f'href="/proposals/{s.van}"' in force
    assert f'href="/proposals/{s.rent}"' not in force
    assert "Replaced by" in replaced
    assert f'href="/proposals/{s.rent}"' in replaced


async def test_a_proposal_replaces_only_an_adopted_decision_of_its_circle(web: Any) -> None:
    from node.domain.errors import DomainError

    with pytest.raises(DomainError) as exc:
        await web.a.node.gov.propose(web.circle, "ana", "T", "X", replaces="sha256:" + "A" * 43)
    assert exc.value.code == "consent.unknown_decision"


PHONE = {"width": 360, "height": 780}


async def test_the_records_on_a_phone(web: Any, browser: Any, chromium: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    s = await story(web, ana)
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await page.goto(web.a.url + "/login")
    await page.get_by_label("Handle").fill("ana")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(web.a.url + f"/circles/{s.circle}/logbook.html")
    await expect(page.locator("main")).to_contain_text("Silent: Dan Ortiz")
    await checked(page, "printable logbook")
    await page.goto(web.a.url + f"/circles/{s.circle}/policies")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Policy register")
    await checked(page, "policy register")
    await ctx.close()
