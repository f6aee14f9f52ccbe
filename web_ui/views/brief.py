"""The Coalition Brief for the public: its sign-up form (on ``/brief`` and in the public
home's ``#brief`` section), the page a confirmation link opens (a Confirm button: a link
scanner's GET confirms nothing), and the unsubscribe page, whose button and RFC 8058's
one-click POST (``List-Unsubscribe=One-Click``, no CSRF token possible: the signed link
is the authority) both unsubscribe. Every sign-up goes through the public forms' guard
(``web_ui.public_forms``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.errors import DomainError
from protocol import ErrorCode
from web_ui.context import REFUSED, SESSION, node_of, posted
from web_ui.errors import page_error
from web_ui.forms import Form, FormRefused
from web_ui.guard import page
from web_ui.public_forms import REFUSAL, PublicRefused, admit, again, pending_refused, stranger_csrf
from web_ui.views.brief_form import form_context, with_csrf
from web_ui.views.public import public_home, public_page

#: Refusals of a sign-up said beside the field they concern.
FIELDS = {"mail.bad_address": "address"}


async def brief(request: web.Request) -> web.Response:
    """The Coalition Brief's page: what it is and its sign-up form."""
    site = await node_of(request).site.home()
    context = await form_context(request)
    response = await public_page(
        request,
        "public/brief.html",
        context,
        title="The Coalition Brief",
        description=f"Sign up for the Coalition Brief of {site.name}: learn what you can do.",
    )
    return with_csrf(request, response, context)


async def sign_up(request: web.Request) -> web.Response:
    """Take a sign-up; whatever the address's state (new, waiting, subscribed, or a
    filled honeypot) the stranger sees the same page."""
    node = node_of(request)
    form = Form("brief", posted(request))
    where = "home" if form.raw("from") == "home" else "brief"
    shown = public_home if where == "home" else brief
    try:
        if not admit(request, form):
            return await _sent(request)
        address = form.text("address", "e-mail address", required=True)
        name = form.text("name", "name")
        town = form.text("town", "town")
        form.check()
        await node.brief.sign_up(address, name, town, form.posted.getall("interest", []), where)
    except PublicRefused as exc:
        return await again(request, form, exc, shown)
    except DomainError as exc:
        if exc.code == ErrorCode.PUBLIC_TOO_MANY_PENDING:
            return await again(request, form, pending_refused(exc), shown)
        request[REFUSAL] = exc.code
        return await _again(request, form.refuse(exc, FIELDS), shown)
    except FormRefused as exc:
        return await _again(request, exc, shown)
    return await _sent(request)


async def _again(request: web.Request, refused: FormRefused, shown: Any) -> web.Response:
    request[REFUSED] = refused.state
    response: web.Response = await shown(request)
    response.set_status(400)
    return response


async def _sent(request: web.Request) -> web.Response:
    return await public_page(
        request,
        "public/brief_sent.html",
        {},
        title="Check your mail",
        description="Confirm your sign-up for the Coalition Brief.",
    )


def _link(request: web.Request, *names: str) -> list[str]:
    return [request.query.get(n, "") for n in names]


def _refused_link(exc: DomainError) -> web.HTTPException:
    return page_error(400, exc.code, exc.message)


async def confirm_page(request: web.Request) -> web.Response:
    """The page a confirmation link opens: a Confirm button, or why the link fails."""
    node = node_of(request)
    subject, expires, signature = _link(request, "s", "e", "t")
    try:
        await node.brief.check_confirm(subject, expires, signature)
    except DomainError as exc:
        raise _refused_link(exc) from None
    csrf = getattr(request.get(SESSION), "csrf", None) or stranger_csrf(request)
    context = {"s": subject, "e": expires, "t": signature, "csrf": csrf}
    response = await public_page(
        request,
        "public/brief_confirm.html",
        context,
        title="Confirm your sign-up",
        description="Confirm your sign-up for the Coalition Brief.",
    )
    return with_csrf(request, response, context)


async def confirm(request: web.Request) -> web.Response:
    data = posted(request)
    subject, expires, signature = (str(data.get(n, "")) for n in ("s", "e", "t"))
    try:
        await node_of(request).brief.confirm(subject, expires, signature)
    except DomainError as exc:
        raise _refused_link(exc) from None
    return await public_page(
        request,
        "public/brief_done.html",
        {"done": "subscribed"},
        title="You are subscribed",
        description="You are subscribed to the Coalition Brief.",
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    """One button; the page itself changes nothing."""
    subject, signature = _link(request, "s", "t")
    try:
        await node_of(request).brief.check_unsubscribe(subject, signature)
    except DomainError as exc:
        raise _refused_link(exc) from None
    return await public_page(
        request,
        "public/brief_unsubscribe.html",
        {"action": request.path_qs},
        title="Unsubscribe",
        description="Unsubscribe from the Coalition Brief.",
    )


async def unsubscribe(request: web.Request) -> web.Response:
    """The button's POST and RFC 8058's one-click POST: the signed link decides."""
    subject, signature = _link(request, "s", "t")
    try:
        await node_of(request).brief.unsubscribe(subject, signature)
    except DomainError as exc:
        raise _refused_link(exc) from None
    return await public_page(
        request,
        "public/brief_done.html",
        {"done": "unsubscribed"},
        title="You are unsubscribed",
        description="You are unsubscribed from the Coalition Brief.",
    )


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/brief", page("public")(brief))
    post("/brief", page("public", again=brief)(sign_up))
    get("/brief/confirm", page("public")(confirm_page))
    post("/brief/confirm", page("public")(confirm))
    get("/brief/unsubscribe", page("public")(unsubscribe_page))
    post("/brief/unsubscribe", page("public", csrf=False)(unsubscribe))


__all__ = ["routes"]
