"""The round controls on a proposal's page, in Debian's Chromium on a 360 px screen: the
facilitator tests an objection and extends the round, the secretary records a stance
given aloud in a meeting, and once everyone answered the round closes early; the
decision says who stood aside. Axe finds no serious or critical violation on the way,
and the same forms work without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from phone_check import checked
from playwright.async_api import Browser, Page, expect

PHONE = {"width": 360, "height": 780}


async def _login(page: Page, base: str, handle: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Handle").fill(handle)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def _round_with_an_objection(web: Any) -> tuple[str, str]:
    """Ana's proposal in its consent round, Ben's objection; Carl the circle's secretary,
    a meeting scheduled. The proposal's root and the objection."""
    a, b = web.a.node, web.b.node
    # Carl joins as secretary by the circle's decision (a shared circle, §13.14).
    carl = {
        "op": "member",
        "member": a.actor_of("carl"),
        "status": "active",
        "roles": ["secretary"],
    }
    await web.cluster.decide_structure(web.a, web.circle, [carl])
    root = await a.gov.propose(web.circle, "ana", "Shared office", "Rent one together.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await a.gov.move(root, "ana", phase)
    await a.gov.schedule_meeting(
        web.circle, "carl", "Monthly meeting", a.clock.now() + dt.timedelta(hours=1)
    )
    await web.cluster.settle()
    objection = await b.gov.stance(root, "ben", "object", "I prefer blue walls")
    await web.cluster.settle()
    return root, objection


async def test_the_round_controls_on_a_phone(web: Any, chromium: Browser) -> None:
    root, _ = await _round_with_an_objection(web)
    ana_ctx = await chromium.new_context(viewport=PHONE)
    carl_ctx = await chromium.new_context(viewport=PHONE)
    ana, carl = await ana_ctx.new_page(), await carl_ctx.new_page()
    await _login(ana, web.a.url, "ana", web.password)
    await _login(carl, web.a.url, "carl", web.password)

    await ana.goto(f"{web.a.url}/proposals/{root}")
    await expect(ana.get_by_role("button", name="Extend the round")).to_be_visible()
    await checked(ana, "round-objection")
    # The facilitator tests Ben's objection: not one to integrate.
    test = ana.locator("form[action$='/test']")
    await test.get_by_label("Not an objection: it no longer blocks").check()
    await test.get_by_label("Why").fill("a preference, not a harm to the aim")
    await test.get_by_role("button", name="Record the test").click()
    await expect(ana.get_by_text("not an objection to integrate")).to_be_visible()
    # An extension to a deadline earlier than the round's is refused beside the field.
    await ana.get_by_label("Extend the round until how many hours from now?").fill("2")
    await ana.get_by_role("button", name="Extend the round").click()
    await expect(ana.locator("#extend")).to_contain_text("later than now and the current one")
    await checked(ana, "round-extend-refused")
    await ana.get_by_label("Extend the round until how many hours from now?").fill("100")
    await ana.get_by_role("button", name="Extend the round").click()
    await expect(ana.locator("#extend-hours")).to_have_value("")
    view = await web.a.node.gov.proposal(root)
    assert view.state.deadline == web.a.node.clock.now().replace(microsecond=0) + dt.timedelta(
        hours=100
    )

    # The secretary records Ana's stance, given aloud in the meeting: she stands aside.
    await carl.goto(f"{web.a.url}/proposals/{root}")
    await carl.get_by_text("Record a stance given aloud in a meeting").click()
    record = carl.locator("#record")
    await record.get_by_label("Member").select_option(web.a.node.actor_of("ana"))
    await record.get_by_label("Stand aside (I do not block, and do not consent)").check()
    await record.get_by_label("Reason (needed unless you consent)").fill("I will not use it")
    await checked(carl, "round-secretary")
    await record.get_by_role("button", name="Record their stance").click()
    await expect(carl.get_by_text("(recorded by the secretary in a meeting)")).to_be_visible()
    # The stances read on the phone without scrolling the table sideways.
    overflow = await carl.evaluate(
        "[...document.querySelectorAll('main table')].map(t => t.scrollWidth - t.clientWidth)"
    )
    assert overflow, "no table"
    assert max(overflow) <= 0, overflow
    # Carl's own stance: now everyone has answered.
    await carl.locator("#stance").get_by_label("Consent", exact=True).check()
    await carl.get_by_role("button", name="Give my stance").click()
    await web.cluster.settle()

    await ana.goto(f"{web.a.url}/proposals/{root}")
    close = ana.get_by_role("button", name="Close the round now and record the decision")
    await expect(close).to_be_visible()
    await close.click()
    await expect(ana.locator("#outcome")).to_contain_text("Adopted")
    await expect(ana.locator("#stood-aside")).to_contain_text("Ana")
    await expect(ana.get_by_text("objection is not one to integrate")).to_be_visible()
    await checked(ana, "round-decided")
    await ana.goto(f"{web.a.url}/circles/{web.circle}/logbook")
    await expect(ana.get_by_text("stood aside: Ana", exact=False)).to_be_visible()
    await expect(
        ana.get_by_text("recorded by the secretary in a meeting", exact=False)
    ).to_be_visible()
    await checked(ana, "round-logbook")
    await ana.goto(f"{web.a.url}/circles/{web.circle}/logbook.html")  # the printable one
    # People by name there; the secretary's recording said in words.
    await expect(ana.locator("body")).to_contain_text("Stood aside: Ana (I will not use it)")
    await expect(ana.locator("body")).to_contain_text("recorded in a meeting by the secretary")
    await ana_ctx.close()
    await carl_ctx.close()


async def test_the_round_controls_work_without_javascript(web: Any, browser: Any) -> None:
    root, objection = await _round_with_an_objection(web)
    ben = browser(web.b.url)
    await ben.login("ben")
    status, page = await ben.get(f"/proposals/{root}")
    assert status == 200
    assert "Extend the round" not in page  # Ben is no facilitator
    assert "Stand aside" in page
    # Ben, who objected, co-writes the amendment once the round moves to integrating.
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/proposals/{root}")
    status, page = await ana.post(f"/proposals/{root}/extend", {"hours": "0"})
    assert status == 400
    status, page = await ana.post(f"/proposals/{root}/test", {"objection": objection})
    assert status == 400
    assert "Choose the finding" in page
    await ana.post(f"/proposals/{root}/move", {"phase": "integrating"})
    await web.cluster.settle()
    status, page = await ben.get(f"/proposals/{root}")
    assert "Amend (make version 2)" in page
    status, _ = await ben.post(
        f"/proposals/{root}/amend",
        {
            "title": "Shared office",
            "text": "Rent one together, with blue walls.",
            "changes": "blue walls",
            "coauthors": web.a.node.actor_of("ana"),
        },
    )
    assert status == 200
    await web.cluster.settle()
    view = await web.a.node.gov.proposal(root)
    assert view.state.current.author == web.b.node.actor_of("ben")
    assert view.state.current.coauthors == (web.a.node.actor_of("ana"),)
    status, page = await ana.get(f"/proposals/{root}")
    assert "Version 2 by ben (Node B)" in page
    assert " with Ana" in page
