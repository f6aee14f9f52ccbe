"""The Coalition Brief's sign-up as a stranger meets it over real HTTP, with the real
outbox and SMTP sink: double opt-in through a signed link, refusals of tampered and
expired links, one-click unsubscribing (the page, its button, RFC 8058's POST), and the
public forms' guard (honeypot, rate limit, waiting bound, one mail a day); an editor's
issue, tested and sent: each confirmed subscriber gets exactly one copy (Send pressed
twice, or the queueing run again after a crash) with text and HTML parts, the one-click
unsubscribe headers and the footer saying why; waiting sign-ups get none."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

import aiohttp

DEE = "dee@example.org"


async def mail_on(web: Any, smtp: Any) -> Any:
    node = web.a.node
    node.config = replace(node.config, mail=smtp.mail_config())
    return node


async def deliver(node: Any) -> None:
    while await node.mail.worker.run_once():
        pass


def link_in(msg: Any, path: str) -> str:
    found = re.search(rf"({path}\?\S+)", msg.get_body(("plain",)).get_content())
    assert found is not None, msg.get_body(("plain",)).get_content()
    return found.group(1)


async def sign_up(stranger: Any, address: str = DEE, **more: str) -> tuple[int, str]:
    await stranger.get("/brief")
    return await stranger.post("/brief", {"address": address, "from": "brief", **more})


async def subscribers(node: Any) -> list[tuple[str, bool]]:
    return [(r.address, bool(r.confirmed)) for r in await node.brief.export_rows()]


async def test_a_stranger_signs_up_confirms_and_is_subscribed(
    web: Any, browser: Any, smtp: Any, public_site: Any
) -> None:
    node = await mail_on(web, smtp)
    stranger = browser(web.a.url)
    status, page = await stranger.get("/brief")
    assert status == 200
    assert 'name="website"' in page  # the honeypot
    assert "Leave this field empty" in page
    assert "Accountable policing" in page  # a public campaign to choose
    campaign = public_site.ids["campaign"]
    status, page = await sign_up(
        stranger, "Dee@Example.org", name="Dee", town="Riverside", interest=campaign
    )
    assert status == 200
    assert "Check your mail" in page
    assert await subscribers(node) == [(DEE, False)]  # waiting: not subscribed yet
    await deliver(node)
    [msg] = smtp.sink.to(DEE)
    assert "Confirm your sign-up" in msg["Subject"]
    link = link_in(msg, "/brief/confirm")
    assert DEE not in link  # the address is signed, not shown

    status, page = await stranger.get(link)  # a link scanner's GET confirms nothing
    assert status == 200
    assert ">Confirm</button>" in page
    assert await subscribers(node) == [(DEE, False)]
    status, page = await stranger.post(
        "/brief/confirm",
        dict(zip("set", re.findall(r'name="[set]" value="([^"]*)"', page), strict=True)),
    )
    assert status == 200
    assert "You are subscribed" in page
    assert await subscribers(node) == [(DEE, True)]
    [row] = await node.brief.export_rows()
    assert (row.name, row.town, row.interests, row.wording_version) == (
        "Dee",
        "Riverside",
        "Accountable policing",
        "1",
    )


async def test_a_tampered_or_expired_link_is_refused(web: Any, browser: Any, smtp: Any) -> None:
    node = await mail_on(web, smtp)
    stranger = browser(web.a.url)
    await sign_up(stranger)
    await deliver(node)
    link = link_in(smtp.sink.to(DEE)[0], "/brief/confirm")
    tampered = re.sub(r"s=(\d+)", lambda m: f"s={int(m.group(1)) + 1}", link)
    for bad in (tampered, link[:-3], re.sub(r"e=(\d+)", "e=99999999999", link)):
        status, page = await stranger.get(bad)
        assert status == 400
        assert "public.bad_link" in page
        assert "Confirm</button>" not in page
    web.cluster.clock.advance(dt.timedelta(hours=49))
    status, page = await stranger.get(link)
    assert status == 400
    assert "public.link_expired" in page
    assert "has expired" in page
    assert await subscribers(node) == [(DEE, False)]


async def subscribe(web: Any, browser: Any, smtp: Any, address: str = DEE) -> Any:
    """A stranger signed up and confirmed; the node."""
    node = await mail_on(web, smtp)
    stranger = browser(web.a.url)
    await sign_up(stranger, address)
    await deliver(node)
    link = link_in(smtp.sink.to(address)[-1], "/brief/confirm")
    _, page = await stranger.get(link)
    fields = dict(zip("set", re.findall(r'name="[set]" value="([^"]*)"', page), strict=True))
    await stranger.post("/brief/confirm", fields)
    return node


async def test_unsubscribing_by_the_button_and_by_one_click(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = await subscribe(web, browser, smtp)
    await subscribe(web, browser, smtp, "eve@example.org")
    dee = node.brief.unsubscribe_link(1, DEE).removeprefix(node.config.url.rstrip("/"))
    eve = node.brief.unsubscribe_link(2, "eve@example.org").removeprefix(
        node.config.url.rstrip("/")
    )
    stranger = browser(web.a.url)
    status, page = await stranger.get(dee)  # the page alone changes nothing
    assert status == 200
    assert ">Unsubscribe</button>" in page
    assert sorted(await subscribers(node)) == [(DEE, True), ("eve@example.org", True)]
    status, page = await stranger.post(dee, {"List-Unsubscribe": "One-Click"}, csrf="")
    assert status == 200
    assert "You are unsubscribed" in page
    # RFC 8058: a mail program's POST, no page, no cookie, no CSRF token.
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            web.a.url + eve,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as r,
    ):
        assert r.status == 200
    assert await subscribers(node) == []
    status, page = await stranger.post(dee, {}, csrf="")  # again: still fine
    assert status == 200
    forged = dee[:-2] + "xx"
    status, page = await stranger.post(forged, {}, csrf="")
    assert status == 400
    assert "public.bad_link" in page
    rows = await node.store.fetchall(
        "SELECT address, confirmed_at IS NOT NULL, withdrawn_at IS NOT NULL FROM brief_consents"
        " ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [(DEE, 1, 1), ("eve@example.org", 1, 1)]


async def test_a_filled_honeypot_looks_accepted_and_stores_nothing(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = await mail_on(web, smtp)
    status, page = await sign_up(browser(web.a.url), website="http://spam.example")
    assert status == 200
    assert "Check your mail" in page
    assert await subscribers(node) == []
    await deliver(node)
    assert smtp.sink.messages == []


async def test_one_client_is_rate_limited_and_keeps_what_it_typed(
    web: Any, browser: Any, smtp: Any
) -> None:
    await mail_on(web, smtp)
    stranger = browser(web.a.url)
    for n in range(10):
        status, _ = await sign_up(stranger, f"p{n}@example.org")
        assert status == 200
    await stranger.get("/brief")
    async with stranger.http.post(
        web.a.url + "/brief",
        data={"_csrf": stranger.csrf, "address": "late@example.org", "town": "Lateville"},
    ) as r:
        page = await r.text()
        assert r.status == 429
        assert int(r.headers["Retry-After"]) > 0
    assert "public.rate_limited" in page
    assert 'value="late@example.org"' in page
    assert 'value="Lateville"' in page


async def test_waiting_sign_ups_are_bounded(web: Any, browser: Any, smtp: Any) -> None:
    node = await mail_on(web, smtp)
    node.brief.pending_bound = 2
    stranger = browser(web.a.url)
    assert (await sign_up(stranger, "a@example.org"))[0] == 200
    assert (await sign_up(stranger, "b@example.org"))[0] == 200
    status, page = await sign_up(stranger, "c@example.org")
    assert status == 503
    assert "public.too_many_pending" in page
    assert 'value="c@example.org"' in page
    web.cluster.clock.advance(dt.timedelta(hours=49))  # the waiting ones are forgotten
    assert (await sign_up(stranger, "c@example.org"))[0] == 200
    assert await subscribers(node) == [("c@example.org", False)]


async def test_signing_up_again_tells_nothing_and_mails_once_a_day(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = await subscribe(web, browser, smtp)
    stranger = browser(web.a.url)
    pages = []
    for _ in range(4):  # a subscribed address, given again and again
        status, page = await sign_up(stranger)
        assert status == 200
        pages.append(page.replace(stranger.csrf, ""))
    _, fresh = await sign_up(stranger, "new@example.org")
    assert {*pages, fresh.replace(stranger.csrf, "")} == {pages[0]}  # no enumeration
    await deliver(node)
    subjects = [m["Subject"] for m in smtp.sink.to(DEE)]
    assert len(subjects) == 1  # the confirmation went out today: nothing more today
    web.cluster.clock.advance(dt.timedelta(days=1))
    for _ in range(3):
        await sign_up(stranger)
    await deliver(node)
    subjects = [m["Subject"] for m in smtp.sink.to(DEE)]
    assert len(subjects) == 2
    assert "already subscribed" in subjects[1]
    assert await subscribers(node) == [(DEE, True), ("new@example.org", False)]


ANA = "ana@riverside.example"


async def confirmed_address(node: Any, smtp: Any, handle: str, address: str) -> None:
    await node.mail.members.set_address(handle, address)
    await deliver(node)
    body = smtp.sink.to(address)[-1].get_body(("plain",)).get_content()
    token = re.search(r"/account/mail/confirm/(\S+)", body)
    assert token is not None
    await node.mail.members.confirm(token.group(1))


async def test_an_editor_tests_and_sends_an_issue_once_to_each_subscriber(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = await subscribe(web, browser, smtp)
    await subscribe(web, browser, smtp, "eve@example.org")
    await sign_up(browser(web.a.url), "fay@example.org")  # never confirms
    await confirmed_address(node, smtp, "ana", ANA)
    await deliver(node)
    smtp.sink.messages.clear()

    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get("/editor/brief")
    assert status == 200
    assert "2 subscribed, 1 waiting for their confirmation" in page
    await ana.get("/editor/brief/new")
    body = "Dear friends,\n\nWe *won* the vote. [Read more](https://example.org/vote)\n\n<script>x</script>"
    status, page = await ana.post(
        "/editor/brief/new", {"subject": "Brief #1", "body": body, "action": "preview"}
    )
    assert status == 200
    assert "<em>won</em>" in page
    assert "<script>x" not in page
    assert await node.brief.issues.all() == []  # a preview saves nothing
    status, page = await ana.post(
        "/editor/brief/new", {"subject": "", "body": body, "action": "save"}
    )
    assert status == 400
    assert "We *won* the vote" in page  # kept as typed
    status, page = await ana.post(
        "/editor/brief/new", {"subject": "Brief #1", "body": body, "action": "save"}
    )
    assert status == 200
    [issue] = await node.brief.issues.all()

    status, page = await ana.post(f"/editor/brief/{issue.id}/test", {})
    assert status == 200
    assert f"A test is on its way to {ANA}" in page
    await deliver(node)
    assert [m["To"] for m in smtp.sink.messages] == [ANA]
    assert "List-Unsubscribe" not in smtp.sink.messages[0]

    for _ in range(2):  # pressed twice
        status, page = await ana.post(f"/editor/brief/{issue.id}/send", {})
        assert status == 200
    await node.brief.issues.queue_pending()
    await deliver(node)
    # A crash that lost the note of how far it queued: queueing again mails no one twice.
    await node.store.write(
        lambda c: c.execute("UPDATE brief_issues SET queued_through = 0, finished_at = NULL")
    )
    assert await node.brief.issues.queue_pending() == 0
    await deliver(node)

    assert sorted(m["To"] for m in smtp.sink.messages if m["Subject"] == "Brief #1") == [
        ANA,
        DEE,
        "eve@example.org",
    ]
    assert smtp.sink.to("fay@example.org") == []  # waiting: nothing
    [mail] = [m for m in smtp.sink.to(DEE) if m["Subject"] == "Brief #1"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert "/brief/unsubscribe?" in unsubscribe
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    site = (await node.site.home()).name
    day = node.clock.now().date().isoformat()
    assert f"you signed up for the Coalition Brief on {site} on {day}" in text
    assert f"Unsubscribe: {unsubscribe}" in text
    assert "<em>won</em>" in html
    assert "<script>" not in html
    status, page = await ana.get(f"/editor/brief/{issue.id}")
    assert "<li>3 sent</li>" not in page  # the test is not counted
    assert "<li>2 sent</li>" in page
    assert "Queued to every subscriber" in page
    status, page = await ana.post(
        f"/editor/brief/{issue.id}", {"subject": "Changed", "body": "x", "action": "save"}
    )
    assert status == 400  # a sent issue does not change

    # The unsubscribe link of the mail works as it came.
    stranger = browser(web.a.url)
    status, _ = await stranger.post(
        unsubscribe.removeprefix(node.config.url.rstrip("/")), {}, csrf=""
    )
    assert status == 200
    assert [r.address for r in await node.brief.export_rows()] == [
        "eve@example.org",
        "fay@example.org",
    ]


async def test_only_editors_send_the_brief(web: Any, browser: Any, smtp: Any) -> None:
    await mail_on(web, smtp)
    carl = browser(web.a.url)
    await carl.login("carl")
    status, page = await carl.get("/editor/brief")
    assert status == 403
    assert "article.not_editor" in page


async def test_admins_count_export_and_erase_subscribers(web: Any, browser: Any, smtp: Any) -> None:
    node = await subscribe(web, browser, smtp)
    await sign_up(browser(web.a.url), "fay@example.org", name="Fay")
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get("/admin/public")
    assert "<strong>1</strong> subscribed" in page
    _, page = await ana.get("/admin/brief")
    assert "1 subscribed, 1 waiting for their confirmation" in page
    async with ana.http.post(web.a.url + "/admin/brief/export", data={"_csrf": ana.csrf}) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/csv")
        text = await r.text()
    assert text.splitlines()[0] == "address,name,town,interests,confirmed,wording_version"
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == [DEE, "fay@example.org"]
    assert (await ana.post("/admin/brief/export", {}, csrf="forged"))[0] == 403

    carl = browser(web.a.url)
    await carl.login("carl")
    assert (await carl.get("/admin/brief"))[0] == 403
    assert (await carl.post("/admin/brief/erase", {"address": DEE}))[0] == 403

    status, page = await ana.post("/admin/brief/erase", {"address": "not an address"})
    assert status == 400
    assert 'value="not an address"' in page
    status, page = await ana.post("/admin/brief/erase", {"address": DEE})
    assert status == 200
    assert f"{DEE} is forgotten" in page
    assert "0 subscribed, 1 waiting" in page
    rows = await node.store.fetchall(
        "SELECT count(*) FROM brief_consents WHERE address = ?", (DEE,)
    )
    assert rows[0][0] == 0
