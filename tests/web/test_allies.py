"""Become an ally, over real HTTP against a real node: a stranger's sign-up with its
consent recorded, a refusal that keeps what was typed, signing up again updating the
entry (and saying the same either way), the guard's honeypot and rate limit; the admins'
list, its filter and who may see it; inviting an ally (handed over with mail off, mailed
through a real SMTP server with mail on); the CSV export and erasure with a confirmation
step."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

PERSON = {
    "name": "Dolores Huerta",
    "address": "Dolores.Huerta@Example.org",
    "town": "Riverton",
    "note": "Free on weekends.",
}


def _pairs(data: dict[str, str], can: tuple[str, ...], consent: str) -> list[tuple[str, str]]:
    pairs = list(data.items()) + [("can", c) for c in can]
    return pairs + ([("consent", consent)] if consent else [])


async def sign_up(
    b: Any, data: dict[str, str], can: tuple[str, ...] = ("call", "host"), consent: str = "1"
) -> tuple[int, str]:
    """Open the form as a stranger does, then send it (several values for ``can``)."""
    await b.get("/allies")
    form = [("_csrf", b.csrf), *_pairs(data, can, consent)]
    async with b.http.post(b.base + "/allies", data=form) as r:
        return r.status, await r.text()


def _problems(page: str) -> list[str]:
    return re.findall(r'class="field-error">([^<]*)', page)


async def test_a_stranger_becomes_an_ally_and_their_consent_is_recorded(
    web: Any, browser: Any
) -> None:
    node = web.a.node
    stranger = browser(web.a.url)
    _, home = await stranger.get("/")
    assert 'href="/allies"' in home  # in the home and the navigation
    status, page = await stranger.get("/ally")
    assert status == 200
    assert "<h1>Become an ally</h1>" in page
    assert "never shared with other organizations" in page
    assert "<script" not in page
    status, page = await sign_up(stranger, PERSON)
    assert status == 200
    assert "<h1>Thank you</h1>" in page
    [ally] = await node.allies.all()
    assert (ally.name, ally.address, ally.town, ally.can) == (
        "Dolores Huerta",
        "dolores.huerta@example.org",
        "Riverton",
        ("call", "host"),
    )
    [row] = await node.allies.export()
    assert row["consent_version"] == "1"
    assert row["consent_given_at"] == ally.signed_up_at
    words = await node.store.fetchall("SELECT words, version FROM ally_consents")
    assert [(w.split(" keeps ")[0], v) for w, v in words] == [(node.config.name, "1")]

    # A forged form (no CSRF token of this browser) does nothing.
    async with stranger.http.post(web.url(web.a, "/allies"), data=_pairs(PERSON, (), "1")) as r:
        assert r.status == 403


async def test_a_refused_sign_up_keeps_what_was_typed(web: Any, browser: Any) -> None:
    stranger = browser(web.a.url)
    typed = {**PERSON, "address": "dolores at home", "town": ""}
    status, page = await sign_up(stranger, typed, can=(), consent="")
    assert status == 400
    assert 'value="dolores at home"' in page
    assert 'value="Dolores Huerta"' in page
    assert "Free on weekends." in page
    assert _problems(page) == [
        "Give your e-mail address, such as name@example.org.",
        "Give your town: 1 to 120 characters.",
        "Tick at least one thing you can do.",
        "Tick the box to agree to how we keep what you give us; without it we keep nothing.",
    ]
    assert 'id="ally-address" name="address"' in page
    assert 'aria-invalid="true"' in page
    status, page = await sign_up(stranger, PERSON, can=("march",), consent="0")
    assert status == 400
    assert "The words about what we keep changed" in page
    assert 'value="march" checked' in page
    assert await web.a.node.allies.all() == []


async def test_signing_up_again_updates_the_entry_and_says_the_same(web: Any, browser: Any) -> None:
    node = web.a.node
    first = browser(web.a.url)
    _, said_first = await sign_up(first, PERSON)
    again = browser(web.a.url)
    changed = {**PERSON, "address": "  DOLORES.huerta@example.ORG ", "town": "Eastside"}
    _, said_again = await sign_up(again, changed, can=("testify",))
    assert said_again == said_first  # nothing tells whether the address was known
    [ally] = await node.allies.all()
    assert (ally.town, ally.can) == ("Eastside", ("testify",))
    consents = await node.store.fetchall("SELECT address FROM ally_consents")
    assert consents == [("dolores.huerta@example.org",)] * 2


async def test_the_honeypot_and_the_rate_limit_keep_robots_out(web: Any, browser: Any) -> None:
    node = web.a.node
    robot = browser(web.a.url)
    status, page = await sign_up(robot, {**PERSON, "website": "http://spam.example"})
    assert status == 200
    assert "<h1>Thank you</h1>" in page
    assert await node.allies.all() == []

    flood = browser(web.a.url)
    for n in range(9):  # the robot's sending counted too: ten in all
        status, _ = await sign_up(flood, {**PERSON, "address": f"p{n}@example.org"})
        assert status == 200
    status, page = await sign_up(flood, {**PERSON, "address": "late@example.org"})
    assert status == 429
    assert 'value="late@example.org"' in page
    assert "public.rate_limited" in page
    assert len(await node.allies.all()) == 9


async def test_admins_list_and_filter_allies_and_no_one_else_sees_them(
    web: Any, browser: Any
) -> None:
    stranger = browser(web.a.url)
    await sign_up(stranger, PERSON, can=("call", "host"))
    await sign_up(stranger, {**PERSON, "name": "Bayard Rustin", "address": "b@example.org",
                             "town": "Westport"}, can=("march",))  # fmt: skip

    async with stranger.http.get(web.url(web.a, "/admin/allies"), allow_redirects=False) as r:
        assert r.status == 303
        assert r.headers["Location"] == "/login?next=/admin/allies"
    carl = browser(web.a.url)
    await carl.login("carl")
    for path in ("/admin/allies", "/admin/allies.csv"):
        status, page = await carl.get(path)
        assert status == 403
        assert "Dolores" not in page

    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get("/admin")
    assert 'href="/admin/allies"' in page
    status, page = await ana.get("/admin/allies")
    assert status == 200
    assert "<h2>Dolores Huerta</h2>" in page
    assert "Riverton · can call officials, host a meeting" in page
    assert "<h2>Bayard Rustin</h2>" in page
    assert "2 allies." in page
    status, page = await ana.get("/admin/allies?can=march")
    assert "<h2>Bayard Rustin</h2>" in page
    assert "Dolores Huerta</h2>" not in page
    assert "1 of 2 allies can march." in page
    status, page = await ana.get("/admin/allies?can=testify")
    assert "No ally can testify at hearings yet." in page


async def test_an_ally_is_invited_by_hand_when_mail_is_off(web: Any, browser: Any) -> None:
    node = web.a.node
    await sign_up(browser(web.a.url), PERSON)
    [ally] = await node.allies.all()
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get("/admin/allies")
    assert 'value="dolores.huerta"' in page  # a handle proposed from the name
    status, page = await ana.post(f"/admin/allies/{ally.id}/invite", {"handle": "Bad Handle!"})
    assert status == 400
    assert 'value="Bad Handle!"' in page
    assert "handle is not in the right form" in page
    status, page = await ana.post(f"/admin/allies/{ally.id}/invite", {"handle": "dolores"})
    assert status == 200
    assert "A one-time link for Dolores Huerta" in page
    link = re.search(r"(/join/[A-Za-z0-9_-]+)", page)
    assert link is not None
    [invited] = await node.allies.all()
    assert (invited.invited_by, invited.invited_as) == ("ana", "dolores")
    assert invited.invited_at is not None
    joiner = browser(web.a.url)
    status, page = await joiner.get(link.group(1))
    assert status == 200
    assert "dolores" in page
    _, page = await ana.get("/admin/allies")
    assert "Invited to become a member as dolores by ana" in page


async def test_an_ally_is_invited_by_mail_when_mail_is_on(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = web.a.node
    node.config = replace(node.config, mail=smtp.mail_config())
    await sign_up(browser(web.a.url), PERSON)
    [ally] = await node.allies.all()
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get("/admin/allies")
    status, page = await ana.post(f"/admin/allies/{ally.id}/invite", {"handle": "dolores"})
    assert status == 200
    assert "the invitation is on its way to their e-mail address" in page
    assert "/join/" not in page
    await node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    assert msg["To"] == "dolores.huerta@example.org"
    text = msg.get_body(("plain",)).get_content()
    assert "your handle is dolores" in text
    assert "You receive this because you signed up as an ally" in text
    link = re.search(r"(/join/\S+)", text)
    assert link is not None
    status, page = await browser(web.a.url).get(link.group(1))
    assert status == 200
    assert "Dolores Huerta" in page

    # Erased before they used it: the invitation and the mail go with the entry.
    await ana.get(f"/admin/allies/{ally.id}/erase")
    status, _ = await ana.post(f"/admin/allies/{ally.id}/erase", {})
    assert status == 200
    assert await node.store.fetchall("SELECT recipient FROM mail_outbox") == []
    assert await node.accounts.invitations() == []
    status, page = await browser(web.a.url).get(link.group(1))
    assert "Dolores Huerta" not in page


async def test_admins_export_and_erase_an_ally(web: Any, browser: Any) -> None:
    node = web.a.node
    await sign_up(browser(web.a.url), PERSON)
    [ally] = await node.allies.all()
    ana = browser(web.a.url)
    await ana.login("ana")
    async with ana.http.get(web.url(web.a, "/admin/allies.csv")) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in r.headers["Content-Disposition"]
        lines = (await r.text()).splitlines()
    assert lines[0].startswith("name,email,town,can_call,can_march,can_testify,can_host,note")
    assert lines[1].startswith(
        "Dolores Huerta,dolores.huerta@example.org,Riverton,yes,no,no,yes,Free on weekends."
    )

    status, page = await ana.get(f"/admin/allies/{ally.id}/erase")
    assert status == 200
    assert "Erase Dolores Huerta?" in page
    assert await node.allies.all() != []  # the confirmation page erases nothing
    status, _ = await ana.post(f"/admin/allies/{ally.id}/erase", {}, csrf="forged")
    assert status == 403
    assert await node.allies.all() != []
    status, page = await ana.post(f"/admin/allies/{ally.id}/erase", {})
    assert status == 200
    assert "Dolores Huerta is erased" in page
    assert await node.allies.all() == []
    kept = await node.store.fetchall(
        "SELECT address, length(address_hash), erased_at IS NOT NULL FROM ally_consents"
    )
    assert kept == [(None, 64, 1)]
    status, _ = await ana.get(f"/admin/allies/{ally.id}/erase")
    assert status == 404
