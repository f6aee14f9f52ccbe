"""The web UI over plain HTTP (no JavaScript): login, sessions, CSRF, roles, pages."""

from __future__ import annotations

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
