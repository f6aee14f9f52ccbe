"""The web UI over plain HTTP (no JavaScript): login, sessions, CSRF, roles, pages."""

from __future__ import annotations

import dataclasses
import html
import re
import time
from typing import Any


async def test_login_logout_and_wrong_passwords(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    status, page = await b.get("/")
    assert status == 200
    assert 'href="/login">Members: log in</a>' in page  # a stranger's home: the public one
    assert await b.login("ana", "wrong password") == 401
    assert await b.login("nobody", "wrong password") == 401
    assert await b.login("ana") == 200
    status, page = await b.get("/")
    assert "What needs you now" in page
    assert "Coalition general circle" in page
    status, page = await b.post("/logout", {})
    assert "Log in" in page
    status, page = await b.get("/")
    assert "What needs you now" not in page


async def test_repeated_failures_are_throttled(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    for _ in range(5):
        assert await b.login("ana", "not it") == 401
    assert await b.login("ana") == 429  # even the right password, for a while


async def test_a_post_without_the_csrf_token_is_refused(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    await b.login("ana")
    await b.get(f"/circles/{web.circle}")
    status, page = await b.post(
        f"/circles/{web.circle}/proposals", {"title": "Forged", "text": "x"}, csrf="forged"
    )
    assert status == 403
    assert "auth.csrf" in page
    assert await web.a.node.gov.proposals(web.circle) == []


async def test_a_member_may_not_open_the_admin_page(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    await b.login("carl")
    status, page = await b.get("/admin")
    assert status == 403
    assert "auth.forbidden" in page
    admin = browser(web.a.url)
    await admin.login("ana")
    status, page = await admin.get("/admin")
    assert status == 200
    assert "Linked nodes" in page


async def test_user_text_is_escaped(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    await b.login("ana")
    await b.get(f"/circles/{web.circle}")
    status, page = await b.post(
        f"/circles/{web.circle}/proposals",
        {"title": "<script>alert(1)</script>", "text": "<b>bold</b>"},
    )
    assert status == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


async def test_password_change_ends_every_session(web: Any, browser: Any) -> None:
    one, two = browser(web.a.url), browser(web.a.url)
    await one.login("carl")
    await two.login("carl")
    await one.get("/password")
    new = "a brand new passphrase"
    await one.post("/password", {"current": web.password, "new": new, "repeat": new})
    _status, page = await two.get("/")
    assert "Members: log in" in page  # logged out: the public home
    assert await one.login("carl", new) == 200


async def test_an_admin_invites_a_member_who_joins_with_a_one_time_link(
    web: Any, browser: Any
) -> None:
    admin = browser(web.a.url)
    await admin.login("ana")
    await admin.get("/admin")
    status, page = await admin.post("/admin/invites", {"handle": "dora", "display_name": "Dora"})
    assert status == 200
    link = re.search(r"(/join/[A-Za-z0-9_-]+)", page)
    assert link is not None
    newcomer = browser(web.a.url)
    status, page = await newcomer.get(link.group(1))
    assert "Welcome, Dora" in page
    status, page = await newcomer.post(link.group(1), {"new": "short", "repeat": "short"})
    assert status == 400  # too short: nothing created
    long = "dora's long password"
    status, page = await newcomer.post(link.group(1), {"new": long, "repeat": long})
    assert "What needs you now" in page
    again = browser(web.a.url)
    status, _ = await again.get(link.group(1))
    assert status == 404  # used up
    assert await web.a.node.check_login("dora", long) is not None


async def test_an_admin_disables_a_member_and_their_sessions_end(web: Any, browser: Any) -> None:
    carl = browser(web.a.url)
    await carl.login("carl")
    admin = browser(web.a.url)
    await admin.login("ana")
    await admin.get("/admin")
    await admin.post("/admin/members", {"handle": "carl", "disabled": "yes"})
    _, page = await carl.get("/")
    assert "Members: log in" in page  # logged out: the public home
    assert await carl.login("carl") == 401


async def test_an_election_a_meeting_and_the_logbook_through_the_pages(
    web: Any, browser: Any
) -> None:
    ana, ben = browser(web.a.url), browser(web.b.url)
    await ana.login("ana")
    await ben.login("ben")
    await ana.get(f"/circles/{web.circle}")
    _, page = await ana.post(
        f"/circles/{web.circle}/elections",
        {"role": "secretary", "description": "Keeps the minutes", "term_months": "12"},
    )
    sel = (await web.a.node.gov.selections(web.circle))[0].id
    assert "Election: secretary" in page
    ben_actor = web.b.node.actor_of("ben")
    await ana.get(f"/elections/{sel}")
    await ana.post(f"/elections/{sel}", {"action": "nominate", "nominee": ben_actor})
    _, page = await ana.post(f"/elections/{sel}", {"action": "phase", "phase": "nomination_round"})
    assert ">nomination round<" in page  # the phase in words, here and on the circle
    assert "nomination_round<" not in (await ana.get(f"/circles/{web.circle}"))[1]
    await ana.get(f"/elections/{sel}")
    await ana.post(f"/elections/{sel}", {"action": "reveal", "reason": "organised"})
    await ana.post(f"/elections/{sel}", {"action": "phase", "phase": "change_round"})
    await ana.post(
        f"/elections/{sel}", {"action": "phase", "phase": "consent", "candidate": ben_actor}
    )
    await ana.post(
        f"/elections/{sel}", {"action": "stance", "candidate": ben_actor, "stance": "consent"}
    )
    await web.cluster.settle()
    await ben.get(f"/elections/{sel}")
    await ben.post(
        f"/elections/{sel}", {"action": "stance", "candidate": ben_actor, "stance": "consent"}
    )
    await web.cluster.settle()
    _, page = await ana.post(f"/elections/{sel}", {"action": "result"})
    assert "Selected:" in page
    # A meeting with its minutes.
    await ana.get(f"/circles/{web.circle}")
    _, page = await ana.post(
        f"/circles/{web.circle}/meetings",
        {"title": "Assembly", "starts": "2026-11-23T18:00", "agenda": "Rent\nFlyers"},
    )
    assert "Write the minutes" in page
    meeting = (await web.a.node.gov.meetings(web.circle))[0]["id"]
    await ana.post(
        f"/meetings/{meeting}/minutes",
        {
            "attendance": web.a.node.actor_of("ana"),
            "agenda_consented": "yes",
            "opening": "All well",
            "items": "Rent",
            "closing": "Thanks",
        },
    )
    _, page = await ana.get(f"/circles/{web.circle}/logbook")
    assert page.count('class="verified"') == 3  # charter, selection, minutes
    async with ana.http.get(f"{web.a.url}/circles/{web.circle}/logbook.jsonl") as r:
        exported = await r.read()
    from node.governance import logbook

    report = await logbook.verify_export(exported)
    assert report.entries == 3


async def test_messages_in_a_circle_and_between_organizations(web: Any, browser: Any) -> None:
    ana, ben = browser(web.a.url), browser(web.b.url)
    await ana.login("ana")
    await ben.login("ben")
    await ana.get(f"/circles/{web.circle}/messages")
    await ana.post(f"/circles/{web.circle}/messages", {"text": "Meeting at six <b>sharp</b>"})
    await web.cluster.settle()
    _, page = await ben.get(f"/circles/{web.circle}/messages")
    assert "Meeting at six &lt;b&gt;sharp&lt;/b&gt;" in page
    await ben.get(f"/messages/{web.a.node_id}")
    await ben.post(f"/messages/{web.a.node_id}", {"text": "Can you host the assembly?"})
    await web.cluster.settle()
    _, page = await ana.get("/")
    assert "1 new message" in page  # Ben's, not her own
    _, page = await ana.get(f"/messages/{web.b.node_id}")
    assert "Can you host the assembly?" in page


async def test_notifications_list_what_others_did_and_keep_the_digest_setting(
    web: Any, browser: Any
) -> None:
    root = await web.a.node.gov.propose(web.circle, "ana", "Banner colours", "Red and black.")
    await web.cluster.settle()
    ben = browser(web.b.url)
    await ben.login("ben")
    _, page = await ben.get("/")
    assert 'Notifications <span class="badge">1' in page
    _, page = await ben.get("/notifications")
    assert "Banner colours" in page
    assert f"/proposals/{root}" in page
    # Who did it, by handle and organization: never a node id.
    org_a = web.a.node.config.name
    assert f"ana ({org_a}) proposed \u201cBanner colours\u201d" in html.unescape(page)
    assert web.a.node.node_id[8:20] not in page
    _, page = await ben.get("/")
    assert 'Notifications <span class="badge">' not in page  # seen
    _, page = await ben.post("/notifications", {"digest": "daily"})
    assert 'value="daily" checked' in page
    assert "Banner colours" in page  # in the digest of the last day


async def test_home_lists_rounds_awaiting_my_stance(web: Any, browser: Any) -> None:
    gov = web.a.node.gov
    root = await gov.propose(web.circle, "ana", "Shared office", "Rent one together.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    await web.cluster.settle()
    ben = browser(web.b.url)
    await ben.login("ben")
    _, page = await ben.get("/")
    awaiting = page.split('id="tasks-h"')[1].split("</section>")[0]
    assert "Shared office" in awaiting
    await web.b.node.gov.stance(root, "ben", "consent")
    await web.cluster.settle()
    _, page = await ben.get("/")
    awaiting = page.split('id="tasks-h"')[1].split("</section>")[0]
    assert "Shared office" not in awaiting


async def test_an_admin_makes_and_revokes_a_link_invite(web: Any, browser: Any) -> None:
    admin = browser(web.a.url)
    await admin.login("ana")
    await admin.get("/admin")
    _, page = await admin.post("/admin/links", {"action": "invite", "note": "for the tenants"})
    assert "Give this invite to the other organization" in page
    (invite,) = [i for i in await web.a.node.link_invites() if i["note"] == "for the tenants"]
    _, page = await admin.post(
        "/admin/links", {"action": "revoke", "token_hash": invite["token_hash"]}
    )
    (invite,) = [i for i in await web.a.node.link_invites() if i["note"] == "for the tenants"]
    assert invite["revoked"]


# --- errors are pages of the site --------------------------------------------------------

_NAV = '<nav aria-label="Main">'


def _is_site_page(page: str) -> bool:
    return page.startswith("<!doctype html>") and _NAV in page and 'class="brand"' in page


async def test_every_error_is_a_page_of_the_site_with_its_navigation(
    web: Any, browser: Any, monkeypatch: Any
) -> None:
    carl = browser(web.a.url)
    await carl.login("carl")
    unknown = "sha256:" + "A" * 43
    for path, status, words in (
        (f"/proposals/{unknown}", 404, "This node knows no such proposal."),
        (f"/elections/{unknown}", 404, "This node knows no such election."),
        (f"/meetings/{unknown}", 404, "This node knows no such meeting."),
        ("/circles/circle:nothing-here", 404, "This node knows no such circle."),
        ("/no/such/page", 404, "There is no page at this address."),
        ("/admin", 403, "This page is for the node&#39;s admins."),
    ):
        got, page = await carl.get(path)
        assert (got, words in page, _is_site_page(page)) == (status, True, True), path
        assert "Log out carl" in page  # the member's own navigation
    await carl.get(f"/circles/{web.circle}")
    got, page = await carl.post(f"/circles/{web.circle}/proposals", {"title": "x"}, csrf="bad")
    assert (got, _is_site_page(page)) == (403, True)
    assert "The form expired or came from elsewhere" in page
    # Something sent that is too large for the node: aiohttp's own refusal, as a page.
    got, page = await carl.post(f"/circles/{web.circle}/messages", {"text": "x" * 2_000_000})
    assert (got, _is_site_page(page)) == (413, True)

    async def broken(actor: str) -> Any:
        raise RuntimeError("a fault deep inside")

    monkeypatch.setattr(web.a.node.gov, "agenda", broken)
    got, page = await carl.get("/")
    assert (got, _is_site_page(page)) == (500, True)
    assert "a fault deep inside" not in page
    assert "Traceback" not in page

    stranger = browser(web.a.url)
    for path, status in (("/no/such/page", 404), ("/join/not-a-token", 404)):
        got, page = await stranger.get(path)
        assert (got, _is_site_page(page)) == (status, True), path
        assert 'href="/login"' in page
    got, page = await stranger.post("/circles/x/proposals", {"title": "x"}, csrf="")
    assert (got, _is_site_page(page)) == (401, True)
    # The federation API keeps its own answers.
    async with stranger.http.get(f"{web.a.url}/fed/v1/nothing") as r:
        assert r.status == 404
        assert _NAV not in await r.text()


# --- a proposal waiting for the circle's home ----------------------------------------------


async def test_a_proposal_made_on_a_member_node_is_shown_at_once_as_waiting(
    web: Any, browser: Any
) -> None:
    await web.hold_deliveries()
    ben = browser(web.b.url)
    await ben.login("ben")
    await ben.get(f"/circles/{web.circle}")
    status, page = await ben.post(
        f"/circles/{web.circle}/proposals",
        {"title": "Shared van", "text": "We buy a van together.", "measures": "Insure it"},
    )
    assert status == 200
    assert "<h1>Shared van</h1>" in page
    assert "We buy a van together." in page
    assert "Insure it" in page
    assert "Waiting for Node A</strong>, the home node of this circle" in page
    assert await web.b.node.gov.proposals(web.circle) == []  # not a proposal here yet
    await web.cluster.settle()
    (made,) = await web.b.node.gov.proposals(web.circle)
    status, page = await ben.get(f"/proposals/{made['root']}")
    assert status == 200
    assert "Waiting for" not in page
    assert 'id="phase">draft</strong>' in page


# --- refused forms keep what was typed ------------------------------------------------------


async def test_a_refused_proposal_keeps_the_text_and_says_what_is_wrong_beside_the_field(
    web: Any, browser: Any
) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get(f"/circles/{web.circle}")
    assert '<input id="new-proposal-title" name="title" maxlength="200" required' in page
    assert '<textarea id="new-proposal-text" name="text" maxlength="20000" required' in page
    text = "Every union sends two people to the assembly.\nWe meet monthly."
    status, page = await ana.post(
        f"/circles/{web.circle}/proposals", {"title": "   ", "text": text}
    )
    assert status == 400
    assert "Every union sends two people to the assembly.\nWe meet monthly.</textarea>" in page
    error = '<p id="new-proposal-title-error" class="field-error">The title must not be empty.'
    assert error in page
    assert 'aria-invalid="true" aria-describedby="new-proposal-title-error"' in page
    assert '<a href="#new-proposal-title-field">The title must not be empty.</a>' in page  # summary
    assert '<details id="new" open>' in page
    assert "Expected `str`" not in page
    long = "a" * 100_000
    status, page = await ana.post(
        f"/circles/{web.circle}/proposals", {"title": "Assembly delegates", "text": long}
    )
    assert status == 400
    assert 'value="Assembly delegates"' in page
    assert (
        "The text of the proposal is too long: at most 20,000 characters (this one has 100,000)"
        in page
    )
    assert await web.a.node.gov.proposals(web.circle) == []  # nothing half-made


async def test_every_kind_of_form_keeps_what_was_typed_when_refused(web: Any, browser: Any) -> None:
    gov = web.a.node.gov
    root = await gov.propose(web.circle, "ana", "Flyers", "Print flyers.")
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, "ana", phase)
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/proposals/{root}")
    c = web.circle
    cases: list[tuple[str, dict[str, str], str, str]] = [
        (
            f"/proposals/{root}/stance",
            {"version": root, "stance": "object", "reason": "  "},
            "stance-reason-error",
            "Say why: objection needs a reason.",
        ),
        (
            f"/proposals/{root}/discuss",
            {"purpose": "question", "target": root, "text": "q" * 20_001},
            "discuss-text-error",
            "at most 20,000 characters",
        ),
        (
            f"/proposals/{root}/decide",
            {},
            "decision-error",
            "2 member(s) to answer.",
        ),
        (
            f"/circles/{c}/messages",
            {"text": "m" * 20_001},
            "message-text-error",
            "The message is too long",
        ),
        (
            f"/circles/{c}/elections",
            {"role": " ", "description": "Keeps the minutes", "term_months": "500"},
            "election-role-error",
            "The role must not be empty.",
        ),
        (
            f"/circles/{c}/meetings",
            {"title": "Assembly", "starts": "next tuesday", "agenda": "Rent"},
            "meeting-starts-error",
            "The start is not a date and time",
        ),
        (
            "/admin/invites",
            {"handle": "Dora Smith", "display_name": "Dora Smith"},
            "invite-handle-error",
            "The handle is not in the right form: use only lower-case letters",
        ),
        (
            "/admin/links",
            {"action": "link", "invite": "nst-invite-v1.not-an-invite"},
            "use-invite-invite-error",
            "The invite is damaged.",
        ),
        (
            f"/messages/{web.b.node_id}",
            {"text": "   "},
            "direct-text-error",
            "Write your message first.",
        ),
        (
            "/password",
            {"current": web.password, "new": "a long new password", "repeat": "another one"},
            "password-repeat-error",
            "The two new passwords differ",
        ),
    ]
    for path, data, error_id, words in cases:
        status, page = await ana.post(path, data)
        assert status == 400, path
        found = re.search(rf'<p id="{error_id}" class="field-error">([^<]*)</p>', page)
        assert found is not None, (path, error_id)
        assert words in found.group(1), (path, found.group(1))
        assert 'class="error-summary" role="alert"' in page
        for key, value in data.items():
            if value.strip() and path != "/password" and key != "action":
                assert value in page, (path, value[:20])
        assert "Expected `" not in page
        assert "Log out ana" in page
    assert "a long new password" not in page  # passwords are never shown again
    _, page = await ana.get("/")  # the refusals left nothing behind
    assert 'class="error-summary"' not in page
    login = browser(web.a.url)
    await login.get("/login")
    status, page = await login.post("/login", {"handle": "carl", "password": ""})
    assert status == 400
    assert 'value="carl"' in page
    assert "The password must not be empty." in page


# --- invitations shown on a page of their own -----------------------------------------------


async def test_an_invitation_is_shown_on_its_own_page_until_dismissed(
    web: Any, browser: Any
) -> None:
    admin = browser(web.a.url)
    await admin.login("ana")
    await admin.get("/admin")
    async with admin.http.post(
        f"{web.a.url}/admin/invites",
        data={"_csrf": admin.csrf, "handle": "dora", "display_name": "Dora"},
        allow_redirects=False,
    ) as r:
        assert r.status == 303
        shown = r.headers["Location"]
    assert shown.startswith("/admin/handover/")
    status, page = await admin.get(shown)
    assert status == 200
    link = re.search(r'<textarea id="secret" class="secret" readonly[^>]*>([^<]+)</textarea>', page)
    assert link is not None
    assert "/join/" in link.group(1)
    assert link.group(1).rsplit("/", 1)[1] not in shown  # the secret is never in a URL
    _, again = await admin.get(shown)  # a reload shows it again
    assert link.group(1) in again
    other = browser(web.a.url)  # another session of the same admin does not see it
    await other.login("ana")
    status, _ = await other.get(shown)
    assert status == 404
    status, page = await admin.post(shown, {})
    assert "Invite a member" in page  # back on the admin page
    status, page = await admin.get(shown)
    assert status == 404
    assert "no longer shown here" in page
    newcomer = browser(web.a.url)
    status, page = await newcomer.get(link.group(1).removeprefix(web.a.url))
    assert "Welcome, Dora" in page  # the link still works after Done


async def test_a_proposal_the_home_refuses_says_so_on_its_page(web: Any, browser: Any) -> None:
    await web.hold_deliveries()
    # The circle removes Ben, decided on the home; Ben's node does not know it yet.
    remove_ben = {"op": "member", "member": web.b.node.actor_of("ben"), "status": "removed"}
    await web.cluster.decide_structure(web.a, web.circle, [remove_ben])
    ben = browser(web.b.url)
    await ben.login("ben")
    await ben.get(f"/circles/{web.circle}")
    async with ben.http.post(
        f"{web.b.url}/circles/{web.circle}/proposals",
        data={"_csrf": ben.csrf, "title": "Late idea", "text": "Too late."},
        allow_redirects=False,
    ) as r:
        assert r.status == 303
        shown = r.headers["Location"]
    _, page = await ben.get(shown)
    assert "Waiting for Node A" in page
    await web.cluster.settle()
    status, page = await ben.get(shown)
    assert status == 200
    assert (
        "Not taken in: Node A, the circle's home node, refused this proposal."
        " There, Ben is no longer a member of the circle." in page
    )
    assert "Too late." in page


async def test_two_nodes_on_one_host_keep_their_logins_apart(web: Any, browser: Any) -> None:
    # Browsers send a host's cookies to every port of it: the demo's three nodes share
    # 127.0.0.1, and a newcomer logs in to each in turn in one browser.
    a, b = browser(web.a.url), browser(web.b.url)
    await b.http.close()
    b.http = a.http  # one cookie jar, as in one browser
    assert await a.login("ana") == 200
    assert await b.login("ben") == 200
    for who, handle in ((a, "ana"), (b, "ben")):
        status, page = await who.get("/")
        assert status == 200
        assert "What needs you now" in page
        assert f"Log out {handle}" in page


async def test_a_refused_link_says_in_words_what_to_do(web: Any, browser: Any) -> None:
    await web.b.node.add_member("bea", "Bea", "admin", web.password)
    admin = browser(web.b.url)
    await admin.login("bea")

    async def link(invite: str) -> tuple[int, str]:
        await admin.get("/admin")
        return await admin.post("/admin/links", {"action": "link", "invite": invite})

    revoked = await web.a.fed.create_invite()
    await web.a.node.revoke_link_invite(revoked.token_hash)
    status, page = await link(str(revoked))
    assert status == 400
    assert "does not know this invite" in page
    assert str(revoked) in page  # what was pasted is kept

    # B gives an address where nothing answers: A cannot prove it, and says so.
    url = "http://127.0.0.1:9"
    web.b.node.config = dataclasses.replace(web.b.node.config, public_url=url)
    status, page = await link(str(await web.a.fed.create_invite()))
    assert status == 400
    assert f"could not reach this node at {url}" in page


async def test_an_admin_accepts_an_invitation_to_another_organizations_circle(
    web: Any, browser: Any
) -> None:
    await web.b.node.add_member("bea", "Bea", "admin", web.password)
    assembly = await web.a.node.create_circle(
        "Tenants' assembly", "Bring every building's tenants together", federated=True
    )
    await web.a.node.set_membership(assembly.id, web.b.node_id)
    await web.a.node.set_membership(assembly.id, web.b.node.actor_of("ben"))
    await web.cluster.settle()

    ben = browser(web.b.url)
    await ben.login("ben")
    _, page = await ben.get("/circles")
    assert "Tenants&#39; assembly" not in page  # nothing reaches members before an answer
    admin = browser(web.b.url)
    await admin.login("bea")
    _, page = await admin.get("/admin")
    assert "Invitations to other organizations' circles" in page
    assert "Tenants&#39; assembly" in page
    assert "A circle of <strong>Node A</strong>" in page
    assert "Bring every building&#39;s tenants together" in page
    assert "Accept: join Tenants&#39; assembly" in page

    # A form without its token changes nothing.
    status, _ = await admin.post(
        "/admin/circle-invitations", {"circle": assembly.id, "action": "accept"}, csrf="forged"
    )
    assert status == 403
    assert [i.circle_id for i in await web.b.node.circle_invitations.pending()] == [assembly.id]

    status, page = await admin.post(
        "/admin/circle-invitations", {"circle": assembly.id, "action": "accept"}
    )
    assert status == 200
    assert "This node joined Tenants&#39; assembly, a circle of Node A." in page
    assert "Accept: join" not in page
    await web.cluster.settle()
    _, page = await ben.get("/circles")
    assert "Tenants&#39; assembly" in page
    status, page = await ben.get(f"/circles/{assembly.id}")
    assert status == 200
    assert "Bring every building&#39;s tenants together" in page

    # Answering again says so in words, beside the form.
    status, page = await admin.post(
        "/admin/circle-invitations", {"circle": assembly.id, "action": "decline"}
    )
    assert status == 400
    assert "There is no open invitation to this circle" in page


async def test_open_live_update_streams_do_not_hold_up_a_shutdown(web: Any, browser: Any) -> None:
    member = browser(web.a.url)
    await member.login("ana")
    async with member.http.get(web.a.url + "/live") as stream:
        assert stream.status == 200
        assert (await stream.content.readline()).startswith(b"retry:")
        started = time.monotonic()
        await web.cluster.stop(web.a)
        assert time.monotonic() - started < 5
