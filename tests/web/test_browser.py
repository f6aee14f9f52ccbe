"""The web UI in a real browser (Debian's Chromium through Playwright): two organizations'
nodes, two members in two browser contexts, a whole consent process with an objection
and an amendment, live updates, accessibility (axe-core), screenshots as artifacts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from phone_check import accessible, checked
from playwright.async_api import Browser, Page, expect

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 780}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


async def _login(page: Page, base: str, handle: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Handle").fill(handle)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _move(page: Page, phase: str) -> None:
    await page.get_by_label("Move to").select_option(phase)
    await page.get_by_role("button", name="Move").click()
    await expect(page.locator("#phase")).to_have_text(phase)


async def test_a_consent_process_across_two_nodes_in_two_browsers(
    web: Any, chromium: Browser
) -> None:
    ana_ctx = await chromium.new_context(viewport=PHONE)
    ben_ctx = await chromium.new_context(viewport=PHONE)
    ana, ben = await ana_ctx.new_page(), await ben_ctx.new_page()
    await _login(ana, web.a.url, "ana", web.password)
    await _login(ben, web.b.url, "ben", web.password)
    await accessible(ana, "home")
    await _shot(ana, "home")

    await ana.get_by_role("link", name="Coalition general circle").first.click()
    await ana.get_by_text("New proposal").click()
    await ana.locator("#new-proposal-title").fill("Joint rent campaign")
    await ana.get_by_label("Proposal", exact=True).fill("All member unions fund the flyers.")
    await ana.get_by_role("button", name="Propose").click()
    await expect(ana.locator("h1")).to_have_text("Joint rent campaign")
    for phase in ("presented", "questions", "reactions", "consent"):
        await _move(ana, phase)
    root = ana.url.rsplit("/", 1)[1]

    # Ben, on his own organization's node, objects; Ana's open page shows it live.
    await ben.goto(f"{web.b.url}/proposals/{root}")
    await expect(ben.locator("#phase")).to_have_text("consent", timeout=10_000)
    await ben.reload()
    await ben.get_by_role("radio", name="Object").check()
    await ben.get_by_label("Reason (needed unless you consent)").fill(
        "We cannot fund flyers this year"
    )
    await ben.get_by_role("button", name="Give my stance").click()
    await expect(ana.get_by_text("We cannot fund flyers this year").first).to_be_visible(
        timeout=15_000
    )  # no reload on Ana's side
    await accessible(ana, "proposal")
    await _shot(ana, "proposal-objection")

    # Integrate: a new version, a new round, everyone consents, the decision is recorded.
    await ana.reload()
    await _move(ana, "integrating")
    await ana.get_by_text("Amend (make version 2)").click()
    await ana.locator("#amend-text").fill("Unions fund flyers; Ben's union gives volunteer time.")
    await ana.get_by_label("What changes, and how it integrates the objections").fill(
        "time instead of money"
    )
    await ana.get_by_role("button", name="Make the new version").click()
    await _move(ana, "consent")
    await ana.get_by_role("radio", name="Consent", exact=True).check()
    await ana.get_by_role("button", name="Give my stance").click()
    await expect(ben.locator("text=version 2").first).to_be_visible(timeout=15_000)
    await ben.reload()
    await ben.get_by_role("radio", name="Consent", exact=True).check()
    await ben.get_by_role("button", name="Give my stance").click()
    await expect(ana.locator(".stance-consent")).to_have_count(2, timeout=15_000)
    await ana.reload()
    await ana.get_by_role("button", name="Record the decision").click()
    await expect(ana.locator("#outcome")).to_contain_text("Adopted")
    await expect(ben.locator("#outcome")).to_contain_text("Adopted", timeout=15_000)
    await expect(ben.get_by_text("time instead of money").first).to_be_visible()
    await _shot(ana, "proposal-adopted")
    await _shot(ben, "proposal-adopted-other-node")

    await ana.goto(f"{web.a.url}/circles/{web.circle}")
    await expect(ana.locator(".logbook .verified")).to_have_count(2)  # charter, decision
    await accessible(ana, "circle")
    await _shot(ana, "circle")
    await ana.goto(f"{web.a.url}/admin")
    await accessible(ana, "admin")
    await _shot(ana, "admin")
    await ana_ctx.close()
    await ben_ctx.close()


async def test_login_failure_csrf_and_admin_page_in_the_browser(
    web: Any, chromium: Browser
) -> None:
    ctx = await chromium.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await _login(page, web.a.url, "carl", "not the password")
    await expect(page.get_by_role("alert")).to_contain_text("Wrong handle or password.")
    await accessible(page, "login")
    await _shot(page, "login-failed")
    await _login(page, web.a.url, "carl", web.password)
    await expect(page.locator("h1")).to_have_text("What needs you now")
    await page.goto(web.a.url + "/admin")
    await expect(page.locator("h1")).to_have_text("Not allowed")
    # A form whose token was tampered with is refused, and nothing changes.
    await page.goto(web.a.url + "/password")
    await page.locator("#password input[name=_csrf]").evaluate("e => e.value = 'forged'")
    await page.get_by_label("Current password").fill(web.password)
    await page.get_by_label("New password", exact=True).fill("another long password")
    await page.get_by_label("New password again").fill("another long password")
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text(re.compile("auth.csrf"))).to_be_visible()
    assert await web.a.node.check_login("carl", web.password) is not None
    await ctx.close()


# --- the newcomer's first proposal and invitation, on a phone -------------------------------


async def test_a_member_on_a_member_node_sees_their_proposal_at_once_waiting_for_the_home(
    web: Any, chromium: Browser
) -> None:
    await web.hold_deliveries()  # the home's order cannot come back before we look
    ctx = await chromium.new_context(viewport=PHONE)
    ben = await ctx.new_page()
    await _login(ben, web.b.url, "ben", web.password)
    await ben.get_by_role("link", name="Coalition general circle").first.click()
    await ben.get_by_text("New proposal").click()
    await ben.get_by_label("Title").fill("Shared van")
    await ben.get_by_label("Proposal", exact=True).fill("We buy a van together for the flyers.")
    await ben.get_by_role("button", name="Propose").click()
    await expect(ben.locator("h1")).to_have_text("Shared van")
    await expect(ben.get_by_text("We buy a van together for the flyers.")).to_be_visible()
    waiting = ben.locator("#waiting")
    await expect(waiting).to_contain_text("Waiting for Node A")
    await expect(waiting).to_be_in_viewport()
    await checked(ben, "proposal-waiting")
    # The home's order arrives: the open page becomes the proposal's page, no reload.
    await web.cluster.settle()
    await expect(ben.locator("#phase")).to_have_text("draft", timeout=15_000)
    await expect(ben.locator("#waiting")).to_have_count(0)
    await expect(ben.get_by_text("We buy a van together for the flyers.").first).to_be_visible()
    await ctx.close()


async def test_a_refused_proposal_keeps_the_text_and_says_why_beside_the_field(
    web: Any, chromium: Browser
) -> None:
    ctx = await chromium.new_context(viewport=PHONE)
    ana = await ctx.new_page()
    await _login(ana, web.a.url, "ana", web.password)
    await ana.goto(f"{web.a.url}/circles/{web.circle}")
    await ana.get_by_text("New proposal").click()
    form = ana.locator("#new-proposal")
    title, text = form.get_by_label("Title"), form.get_by_label("Proposal", exact=True)
    assert await title.get_attribute("maxlength") == "200"
    assert await text.get_attribute("maxlength") == "20000"
    await title.fill("   ")
    await text.fill("Each union sends two people to the assembly.")
    await ana.get_by_role("button", name="Propose").click()
    await expect(ana.locator(".error-summary")).to_be_in_viewport()
    error = ana.locator("#new-proposal-title-error")
    await expect(error).to_have_text("The title must not be empty.")
    await expect(title).to_have_attribute("aria-invalid", "true")
    await expect(text).to_have_value("Each union sends two people to the assembly.")
    await checked(ana, "proposal-refused-title")
    # The summary's link takes the member to the field.
    await ana.locator(".error-summary a").click()
    await expect(error).to_be_in_viewport()

    # Far too long a text (pasted where the browser does not hold to maxlength).
    await title.fill("Assembly delegates")
    await text.evaluate("e => e.removeAttribute('maxlength')")
    await text.fill("x" * 100_000)
    await ana.get_by_role("button", name="Propose").click()
    await expect(ana.locator("#new-proposal-text-error")).to_contain_text(
        "The text of the proposal is too long: at most 20,000 characters"
    )
    await expect(title).to_have_value("Assembly delegates")
    assert len(await text.input_value()) == 100_000
    await expect(ana.get_by_text("Expected `str`")).to_have_count(0)
    await checked(ana, "proposal-refused-text")
    assert await web.a.node.gov.proposals(web.circle) == []
    await ctx.close()


async def test_an_admin_sees_each_new_invitation_on_a_page_of_its_own(
    web: Any, chromium: Browser
) -> None:
    ctx = await chromium.new_context(viewport=PHONE)
    ana = await ctx.new_page()
    await _login(ana, web.a.url, "ana", web.password)
    await ana.goto(f"{web.a.url}/admin")
    await ana.get_by_label("Handle").fill("dora")
    await ana.get_by_label("Name", exact=True).fill("Dora Lima")
    await ana.get_by_role("button", name="Create a one-time link").click()
    await expect(ana.locator("h1")).to_have_text("A one-time link for Dora Lima")
    secret = ana.get_by_label("The one-time link")
    await expect(secret).to_be_in_viewport()
    link = await secret.input_value()
    assert f"{web.a.url}/join/" in link
    assert link.rsplit("/", 1)[1] not in ana.url
    await checked(ana, "invite-member")
    await ana.reload()  # survives a reload
    await expect(secret).to_have_value(link)
    shown = ana.url
    await ana.get_by_role("button", name="Done").click()
    await expect(ana.locator("h1")).to_have_text("Admin")
    await ana.goto(shown)
    await expect(ana.locator("h1")).to_have_text("Not found")

    await ana.goto(f"{web.a.url}/admin")
    await ana.get_by_label("Invite another organization's node").fill("for the tenants' union")
    await ana.get_by_role("button", name="Create a link invite").click()
    await expect(ana.locator("h1")).to_have_text("An invite for another organization's node")
    invite = ana.get_by_label("The invite")
    await expect(invite).to_be_in_viewport()
    text = await invite.input_value()
    assert text.startswith("nst-invite-v1.")
    await checked(ana, "invite-link")
    await ana.reload()
    await expect(invite).to_have_value(text)
    await ana.get_by_role("button", name="Done").click()
    await expect(ana.locator("h1")).to_have_text("Admin")
    await checked(ana, "admin-after-invites")
    await ctx.close()


async def test_an_admin_answers_an_invitation_to_a_circle_on_a_phone(
    web: Any, chromium: Browser
) -> None:
    await web.b.node.add_member("bea", "Bea", "admin", web.password)
    assembly = await web.a.node.create_circle(
        "Tenants' assembly", "Bring every building's tenants together", federated=True
    )
    await web.a.node.set_membership(assembly.id, web.b.node_id)
    await web.cluster.settle()
    ctx = await chromium.new_context(viewport=PHONE)
    bea = await ctx.new_page()
    await _login(bea, web.b.url, "bea", web.password)
    await bea.goto(f"{web.b.url}/admin")
    invitations = bea.locator("#circle-invitations")
    await expect(invitations).to_contain_text("A circle of Node A")
    await checked(bea, "circle-invitation")
    await bea.get_by_role("button", name="Accept: join Tenants' assembly").click()
    await expect(bea.get_by_role("alert")).to_contain_text("This node joined Tenants' assembly")
    await expect(invitations).to_have_count(0)
    await ctx.close()
