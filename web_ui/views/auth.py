"""Logging in and out: the password (throttled per handle and client, ``web_ui.throttle``),
then, for a member who turned it on, a code from their authenticator app
(``node.second_factor``) on a page of its own; and joining with an admin's one-time link."""

from __future__ import annotations

import math
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDict

from node import second_factor
from node.domain.errors import DomainError
from web_ui.context import CLIENTS, FORM, REFUSED, THROTTLE, node_of, posted, session_of
from web_ui.cookies import clear_session, login_csrf, set_login_csrf, set_session
from web_ui.errors import page_error
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.throttle import Busy

STEP_SECONDS = 300.0  # how long the code may be given after the password
STEP_TRIES = 5  # wrong codes before the password is asked again


@dataclass
class _Step:
    handle: str
    client: str
    target: str
    until: float
    tries: int = 0


class SecondSteps:
    """Logins whose password was right and that wait for the member's code: a random
    token in the code form names one. In memory; at most ``capacity`` at once."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._steps: OrderedDict[str, _Step] = OrderedDict()

    def start(self, handle: str, client: str, target: str) -> str:
        token = secrets.token_urlsafe(24)
        self._steps[token] = _Step(handle, client, target, time.monotonic() + STEP_SECONDS)
        while len(self._steps) > self.capacity:
            self._steps.popitem(last=False)
        return token

    def get(self, token: str, client: str) -> _Step | None:
        step = self._steps.get(token)
        if step is None or step.client != client or step.until < time.monotonic():
            self._steps.pop(token, None)
            return None
        return step

    def end(self, token: str) -> None:
        self._steps.pop(token, None)


STEPS = web.AppKey("web_second_steps", SecondSteps)


def _next(target: str) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def login_form(request: web.Request) -> web.Response:
    csrf = login_csrf(request, node_of(request))
    data = request.get(FORM)
    target = str(data.get("next", "/")) if data is not None else request.query.get("next", "/")
    response = render(request, "auth/login.html", {"csrf": csrf, "next": _next(target)})
    set_login_csrf(response, node_of(request), csrf)
    return response


async def _again(
    request: web.Request, form: Form, status: int, retry_after: float = 0
) -> web.Response:
    request[REFUSED] = form.state
    response = await login_form(request)
    response.set_status(status)
    if retry_after:
        response.headers["Retry-After"] = str(math.ceil(retry_after))
    return response


def _wait_words(seconds: float) -> str:
    n = math.ceil(seconds)
    return f"{n} seconds" if n > 1 else "a second"


async def login(request: web.Request) -> web.Response:
    node = node_of(request)
    form = Form("login", posted(request))
    handle = form.text("handle", "handle", limit("login.handle"), required=True).lower()
    password = form.secret("password", "password", limit("login.password"))
    target = _next(form.raw("next"))
    client = request.app[CLIENTS].of(request)
    throttle = request.app[THROTTLE]
    wait = throttle.wait(handle, client)
    if wait:
        form.fail("", f"Too many failed logins: wait {_wait_words(wait)} and try again.")
        return await _again(request, form, 429, wait)
    if form.errors:
        return await _again(request, form, 400)
    try:
        async with throttle.checking(client):
            member = await node.check_login(handle, password)
    except Busy as exc:
        form.fail("", "Many logins are being checked at once: try again in a moment.")
        return await _again(request, form, 503, exc.retry_after)
    if member is None:
        throttle.failed(handle, client)
        form.fail("", "Wrong handle or password.")
        return await _again(request, form, 401)
    if await second_factor.required(node, member.handle):
        token = request.app[STEPS].start(member.handle, client, target)
        return _code_page(request, token, target)
    throttle.succeeded(member.handle, client)
    return await _start(request, member.handle, target)


async def _start(request: web.Request, handle: str, target: str) -> web.Response:
    node = node_of(request)
    token, _ = await node.accounts.start_session(handle)
    response = web.HTTPSeeOther(target)
    set_session(response, node, token)
    raise response


def _code_page(request: web.Request, token: str, target: str, status: int = 200) -> web.Response:
    csrf = login_csrf(request, node_of(request))
    response = render(
        request, "auth/login_code.html", {"csrf": csrf, "step": token, "next": target}
    )
    response.set_status(status)
    set_login_csrf(response, node_of(request), csrf)
    return response


async def login_code(request: web.Request) -> web.Response:
    """The second step: the code from the member's authenticator app."""
    node = node_of(request)
    form = Form("login-code", posted(request))
    token = form.raw("step")[:100]
    client = request.app[CLIENTS].of(request)
    steps, throttle = request.app[STEPS], request.app[THROTTLE]
    step = steps.get(token, client)
    if step is None:
        return await _restart(
            request, "Logging in took too long: give your handle and password again.", 400
        )
    code = form.text("code", "code", limit("login.code"), required=True)
    wait = throttle.wait(step.handle, client)
    if wait:
        form.fail("", f"Too many wrong codes: wait {_wait_words(wait)} and try again.")
    if form.errors:
        request[REFUSED] = form.state
        return _code_page(request, token, step.target, 429 if wait else 400)
    if not await second_factor.check(node, step.handle, code):
        throttle.failed(step.handle, client)
        step.tries += 1
        if step.tries >= STEP_TRIES:
            steps.end(token)
            return await _restart(
                request, "Too many wrong codes: give your handle and password again.", 401
            )
        form.fail("code", "The code is wrong, or was used already: wait for the next one.")
        request[REFUSED] = form.state
        return _code_page(request, token, step.target, 401)
    steps.end(token)
    throttle.succeeded(step.handle, client)
    return await _start(request, step.handle, step.target)


async def _restart(request: web.Request, message: str, status: int) -> web.Response:
    """Back to the password: the login form, saying why."""
    form = Form("login", MultiDict({"next": _next(posted(request).get("next", "/"))}))
    form.fail("", message)
    return await _again(request, form, status)


async def logout(request: web.Request) -> web.Response:
    await node_of(request).accounts.end_session(session_of(request).token_hash)
    response = web.HTTPSeeOther("/login")
    clear_session(response, node_of(request))
    raise response


async def join_form(request: web.Request) -> web.Response:
    invite = await node_of(request).accounts.invitation(request.match_info["token"])
    if invite is None:
        raise page_error(404, "member.invite_invalid", "This link is unknown, used or expired.")
    csrf = login_csrf(request, node_of(request))
    response = render(request, "auth/join.html", {"invite": invite, "csrf": csrf})
    set_login_csrf(response, node_of(request), csrf)
    return response


async def join(request: web.Request) -> web.Response:
    node = node_of(request)
    token = request.match_info["token"]
    if await node.accounts.invitation(token) is None:
        raise page_error(404, "member.invite_invalid", "This link is unknown, used or expired.")
    form = Form("join", posted(request))
    new = form.secret("new", "password", limit("member.password"))
    if new and form.raw("repeat") != new:
        form.fail("repeat", "The two passwords differ: type the same one twice.")
    form.check()
    try:
        member = await node.accounts.accept(token, new)
    except DomainError as exc:
        raise form.refuse(exc, {"member.weak_password": "new"}) from None
    session, _ = await node.accounts.start_session(member.handle)
    response = web.HTTPSeeOther("/")
    set_session(response, node, session)
    raise response


def routes(app: web.Application) -> None:
    app[STEPS] = SecondSteps()
    get, post = app.router.add_get, app.router.add_post
    get("/login", page("public")(login_form))
    post("/login", page("public")(login))
    post("/login/code", page("public")(login_code))
    post("/logout", page("member")(logout))
    get("/join/{token}", page("public")(join_form))
    post("/join/{token}", page("public", again=join_form)(join))
