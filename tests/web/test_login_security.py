"""Logging in under attack: failures from others never stop a member's correct login,
a guesser is slowed, a flood of attempts is refused rather than stalling the node, and a
second factor (a code from an app) after the password."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
from typing import Any

import pyotp

PROXY = "127.0.0.1"  # the test's connections come from here: the "reverse proxy"


def _trust_the_proxy(node: Any) -> None:
    node.config = dataclasses.replace(node.config, trusted_proxies=(PROXY,))


async def _login(b: Any, handle: str, password: str, via: str | None = None) -> tuple[int, str]:
    """A login through the proxy on behalf of the client at ``via`` (None: directly)."""
    await b.get("/login")
    headers = {"X-Forwarded-For": via} if via else {}
    data = {"_csrf": b.csrf, "handle": handle, "password": password}
    async with b.http.post(f"{b.base}/login", data=data, headers=headers) as r:
        text = await r.text()
        found = re.search(r'name="_csrf" value="([^"]+)"', text)
        if found:
            b.csrf = found.group(1)
        return r.status, text


async def test_no_failed_logins_from_others_stop_a_members_correct_login(
    web: Any, browser: Any
) -> None:
    # Without a trusted proxy every member behind it is one client: an attacker there
    # hammering other handles does not hold up Ana.
    attacker = browser(web.a.url)
    for handle in ("carl", "dora", "root", "admin", "carl", "carl", "carl"):
        assert (await _login(attacker, handle, "guess"))[0] == 401
    ana = browser(web.a.url)
    status, page = await _login(ana, "ana", web.password)
    assert (status, "What needs you now" in page) == (200, True)

    # Behind the trusted proxy: an attacker hammers Ana's handle (and others) from their
    # own address, from the proxy's own address, from other addresses, and with a
    # forged header naming Ana's address; Ana still logs in at once.
    _trust_the_proxy(web.a.node)
    ana_at = "198.51.100.7"
    answers = {}
    for via in ("203.0.113.9", f"{ana_at}, 203.0.113.9", None):
        answers[via] = [(await _login(attacker, "ana", "guess", via))[0] for _ in range(6)]
    for n in range(4):
        await _login(attacker, "ana", "guess", f"203.0.113.{20 + n}")
        await _login(attacker, "carl", "guess", f"203.0.113.{20 + n}")
    status, page = await _login(browser(web.a.url), "ana", web.password, ana_at)
    assert (status, "What needs you now" in page) == (200, True)
    # The attacker was slowed: after five failures, refused until a short delay passes.
    assert answers["203.0.113.9"][:5] == [401] * 5
    assert answers["203.0.113.9"][5] == 429
    assert 429 in answers[f"{ana_at}, 203.0.113.9"]  # the forged address did not help


async def test_a_guesser_waits_longer_after_each_failure_never_locked_out(
    web: Any, browser: Any
) -> None:
    b = browser(web.a.url)
    for _ in range(5):
        assert (await _login(b, "ana", "not it"))[0] == 401
    async with b.http.post(
        f"{web.a.url}/login", data={"_csrf": b.csrf, "handle": "ana", "password": web.password}
    ) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "1"
    await asyncio.sleep(1.05)
    assert (await _login(b, "ana", "not it either"))[0] == 401
    async with b.http.post(
        f"{web.a.url}/login", data={"_csrf": b.csrf, "handle": "ana", "password": web.password}
    ) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "2"
    await asyncio.sleep(2.05)
    status, page = await _login(b, "ana", web.password)
    assert (status, "What needs you now" in page) == (200, True)


async def test_a_flood_of_logins_is_refused_at_once_rather_than_stalling_the_node(
    web: Any, browser: Any
) -> None:
    _trust_the_proxy(web.a.node)
    flood = browser(web.a.url)
    await flood.get("/login")

    async def attempt(n: int) -> tuple[int, float, str | None]:
        began = time.monotonic()
        data = {"_csrf": flood.csrf, "handle": f"user{n}", "password": "guess"}
        headers = {"X-Forwarded-For": f"203.0.{n // 200}.{n % 200 + 1}"}
        async with flood.http.post(f"{web.a.url}/login", data=data, headers=headers) as r:
            await r.read()
            return r.status, time.monotonic() - began, r.headers.get("Retry-After")

    answers = await asyncio.gather(*(attempt(n) for n in range(60)))
    busy = [a for a in answers if a[0] == 503]
    checked = [a for a in answers if a[0] == 401]
    assert len(checked) + len(busy) == 60
    assert len(checked) <= 33  # at most the queue and the one running were checked
    assert busy
    assert all(a[2] for a in busy)  # each says when to come back
    assert max(a[1] for a in busy) < min(a[1] for a in checked[-5:])  # refused at once
    status, _ = await _login(browser(web.a.url), "ana", web.password, "198.51.100.7")
    assert status == 200


# --- the second factor -----------------------------------------------------------------------


def _code(web: Any, secret: str, steps: int = 0) -> str:
    at = web.cluster.clock.now() + dt.timedelta(seconds=30 * steps)
    return str(pyotp.TOTP(secret).at(at))


async def test_a_code_from_an_app_after_the_password(web: Any, browser: Any, capsys: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get("/password")
    assert "Set up a code from an app" in page
    _, page = await ana.post("/password/second-factor", {"action": "begin"})
    secret = re.search(r'<textarea id="totp-secret"[^>]*>([A-Z2-7]+)</textarea>', page)
    assert secret is not None
    secret = secret.group(1)
    assert f"otpauth://totp/Node%20A:ana?secret={secret}" in page
    assert 'src="data:image/svg+xml' in page  # the QR code
    # Not on until confirmed: logging in asks for the password alone.
    assert await browser(web.a.url).login("ana") == 200
    status, page = await ana.post(
        "/password/second-factor", {"action": "confirm", "code": "000000"}
    )
    assert status == 400
    assert "The code is wrong, or was used already" in page
    await ana.post("/password/second-factor", {"action": "confirm", "code": _code(web, secret)})
    _, page = await ana.get("/password")
    assert "<strong>On.</strong>" in page

    # Logging in now asks for the code; the password alone opens nothing.
    other = browser(web.a.url)
    status, page = await _login(other, "ana", web.password)
    assert (status, "Log in: your code" in page) == (200, True)
    step = re.search(r'name="step" value="([^"]+)"', page)
    assert step is not None
    _, home = await other.get("/")
    assert "What needs you now" not in home
    status, page = await other.post(
        "/login/code", {"step": step.group(1), "code": _code(web, secret, 5)}
    )
    assert status == 401
    assert "The code is wrong" in page
    web.cluster.clock.advance(dt.timedelta(seconds=30))
    code = _code(web, secret)
    status, page = await other.post("/login/code", {"step": step.group(1), "code": code})
    assert (status, "What needs you now" in page) == (200, True)
    # The same code again (a replay, within its window) is refused; the next one works.
    third = browser(web.a.url)
    _, page = await _login(third, "ana", web.password)
    step = re.search(r'name="step" value="([^"]+)"', page)
    assert step is not None
    status, page = await third.post("/login/code", {"step": step.group(1), "code": code})
    assert status == 401
    web.cluster.clock.advance(dt.timedelta(seconds=30))
    status, page = await third.post(
        "/login/code", {"step": step.group(1), "code": _code(web, secret)}
    )
    assert (status, "What needs you now" in page) == (200, True)
    assert secret not in capsys.readouterr().out  # never in the log

    # Recovery: another admin turns it off for Ana (she lost her phone).
    await web.a.node.add_member("eva", "Eva", "admin", web.password)
    eva = browser(web.a.url)
    await eva.login("eva")
    _, page = await eva.get("/admin")
    assert "Turn off the code of ana (lost phone)" in page
    await eva.post("/admin/members/second-factor", {"handle": "ana"})
    status, page = await _login(browser(web.a.url), "ana", web.password)
    assert (status, "What needs you now" in page) == (200, True)
