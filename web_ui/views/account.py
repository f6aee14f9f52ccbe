"""The member's account page: their password and their second factor of logging in
(a code from an authenticator app, ``node.second_factor``)."""

from __future__ import annotations

import segno
from aiohttp import web

from node import second_factor
from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.cookies import clear_session
from web_ui.forms import Form, FormRefused, limit
from web_ui.guard import page
from web_ui.render import render


async def account(request: web.Request) -> web.Response:
    node = node_of(request)
    found = await second_factor.enrolment(node, session_of(request).member.handle)
    qr = None
    if found is not None and not found.confirmed:
        qr = segno.make(found.uri, error="m").svg_data_uri(scale=4, border=2)
    return render(request, "account/account.html", {"totp": found, "qr": qr})


async def password(request: web.Request) -> web.Response:
    me = session_of(request).member
    form = Form("password", posted(request))
    current = form.secret("current", "current password", limit("login.password"))
    new = form.secret("new", "new password", limit("member.password"))
    if new and form.raw("repeat") != new:
        form.fail("repeat", "The two new passwords differ: type the same one twice.")
    form.check()
    try:
        await node_of(request).accounts.change_password(me.handle, current, new)
    except DomainError as exc:
        fields = {"auth.wrong_password": "current", "member.weak_password": "new"}
        raise form.refuse(exc, fields) from None
    response = web.HTTPSeeOther("/login")
    clear_session(response, node_of(request))
    raise response


async def code(request: web.Request) -> web.Response:
    """Start, confirm or turn off the member's second factor."""
    node = node_of(request)
    handle = session_of(request).member.handle
    data = posted(request)
    action = str(data.get("action", ""))
    form = Form(f"totp-{action}", data)
    try:
        if action == "begin":
            await second_factor.begin(node, handle)
        elif action in ("confirm", "off"):
            given = form.text("code", "code", limit("login.code"), required=True)
            form.check()
            if action == "confirm":
                await second_factor.confirm(node, handle, given)
            else:
                await second_factor.turn_off(node, handle, given)
        else:
            form.fail("", "This form does not belong to this page any more: reload the page.")
            raise FormRefused(form.state)
    except DomainError as exc:
        raise form.refuse(exc, {"totp.bad_code": "code"}) from None
    raise web.HTTPSeeOther("/password#second-factor")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/password", page("member")(account))
    post("/password", page("member", again=account)(password))
    post("/password/second-factor", page("member", again=account)(code))
