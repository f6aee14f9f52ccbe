"""The web UI over plain HTTP (no JavaScript): login, sessions, CSRF, roles, pages."""

from __future__ import annotations

import re
from typing import Any


async def test_login_logout_and_wrong_passwords(web: Any, browser: Any) -> None:
    b = browser(web.a.url)
    status, page = await b.get("/")
    assert status == 200
    assert "Log in" in page  # redirected to the login page
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
    assert "Log in" in page
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
    assert "Log in" in page
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
    await ana.post(f"/elections/{sel}", {"action": "phase", "phase": "nomination_round"})
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
    from node import logbook

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
    awaiting = page.split('id="awaiting-h"')[1].split("</section>")[0]
    assert "Shared office" in awaiting
    await web.b.node.gov.stance(root, "ben", "consent")
    await web.cluster.settle()
    _, page = await ben.get("/")
    awaiting = page.split('id="awaiting-h"')[1].split("</section>")[0]
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
