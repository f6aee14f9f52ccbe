"""The member's account page: their password, their second factor of logging in (a
code from an authenticator app, ``node.second_factor``), and their mail (an address
confirmed by a link, and what they choose to receive: ``node.mail.members``)."""

from __future__ import annotations

import segno
from aiohttp import web

from node import second_factor
from node.domain.errors import DomainError
from node.mail.members import CHOICES
from web_ui.context import flash, node_of, posted, session_of
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
    mail = await node.mail.members.choices(session_of(request).member.handle)
    return render(
        request,
        "account/account.html",
        {"totp": found, "qr": qr, "mail": mail, "mail_on": node.mail.enabled},
    )


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


async def mail_address(request: web.Request) -> web.Response:
    """Send a confirmation link to the address the member gives."""
    form = Form("mail-address", posted(request))
    address = form.text("address", "e-mail address", limit("member.email"), required=True)
    form.check()
    try:
        await node_of(request).mail.members.set_address(session_of(request).member.handle, address)
    except DomainError as exc:
        raise form.refuse(
            exc, {"mail.bad_address": "address", "mail.bouncing": "address"}
        ) from None
    flash(request, f"We sent a link to {address}: open it to confirm the address is yours.")
    raise web.HTTPSeeOther("/password#mail")


async def mail_forget(request: web.Request) -> web.Response:
    """Forget the member's address (and one waiting for confirmation): no more mail."""
    await node_of(request).mail.members.remove_address(session_of(request).member.handle)
    flash(request, "Your address is forgotten: nothing more is sent to you by mail.")
    raise web.HTTPSeeOther("/password#mail")


async def mail_choices(request: web.Request) -> web.Response:
    """Keep what the member chose to receive by mail."""
    chosen = {c for c in posted(request).getall("mail", []) if isinstance(c, str)}
    form = Form("mail-choices", posted(request))
    try:
        await node_of(request).mail.members.choose(
            session_of(request).member.handle, chosen & set(CHOICES)
        )
    except DomainError as exc:
        raise form.refuse(exc, {}) from None
    flash(request, "Your choices of mail are kept.")
    raise web.HTTPSeeOther("/password#mail")


async def confirm_page(request: web.Request) -> web.Response:
    """The confirmation link's page: a button, so a link scanner confirms nothing."""
    return render(request, "account/confirm_mail.html", {"token": request.match_info["token"]})


async def confirm(request: web.Request) -> web.Response:
    node = node_of(request)
    try:
        handle = await node.mail.members.confirm(request.match_info["token"])
    except DomainError as exc:
        form = Form("confirm", posted(request))
        raise form.refuse(exc, {}) from None
    if handle != session_of(request).member.handle:
        flash(request, f"The address is confirmed for the account {handle}.")
    else:
        flash(request, "Your address is confirmed: mail you chose goes to it now.")
    raise web.HTTPSeeOther("/password#mail")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/password", page("member")(account))
    post("/password", page("member", again=account)(password))
    post("/password/second-factor", page("member", again=account)(code))
    post("/password/mail", page("member", again=account)(mail_address))
    post("/password/mail/choices", page("member", again=account)(mail_choices))
    post("/password/mail/forget", page("member", again=account)(mail_forget))
    get("/account/mail/confirm/{token}", page("member")(confirm_page))
    post("/account/mail/confirm/{token}", page("member", again=confirm_page)(confirm))
