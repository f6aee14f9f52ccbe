"""Become an ally, on the public site (no login, no script): a form for name, e-mail
address, town, what the person can do and a note, beside the words of the consent they
give (recorded with its version and time). Sending it again with the same address
updates the entry; the page says the same thing either way, so it never tells whether
an address is known. A honeypot field and a per-client limit keep robots out."""

from __future__ import annotations

from aiohttp import web

from node.allies.records import (
    CAN,
    CAN_WORDS,
    MAX_ADDRESS,
    MAX_NAME,
    MAX_NOTE,
    MAX_TOWN,
    AllyRefused,
)
from node.allies.service import problems_of
from web_ui.context import CLIENTS, REFUSED, SESSION, node_of, posted
from web_ui.cookies import login_csrf, set_login_csrf
from web_ui.forms import Form, FormRefused
from web_ui.guard import page
from web_ui.public_guard import ALLY_GUARD, FormGuard, guard_of
from web_ui.views.public import public_page

FORM_NAME = "ally"
BOUNDS = {"name": MAX_NAME, "address": MAX_ADDRESS, "town": MAX_TOWN, "note": MAX_NOTE}


async def ally_form(request: web.Request) -> web.Response:
    """The form, fresh or as it was sent with what is wrong beside each field."""
    node = node_of(request)
    site = await node.site.home()
    version, words = node.allies.consent()
    session = request.get(SESSION)
    csrf = getattr(session, "csrf", "") or login_csrf(request, node)
    response = await public_page(
        request,
        "public/allies.html",
        {
            "csrf": csrf,
            "can": [(c, CAN_WORDS[c]) for c in CAN],
            "bounds": BOUNDS,
            "consent_version": version,
            "consent_words": words,
            "honeypot": FormGuard.HONEYPOT,
        },
        title="Become an ally",
        description=f"Become an ally of {site.name}: tell us what you can do.",
    )
    if session is None:
        set_login_csrf(response, node, csrf)
    return response


async def sign_up(request: web.Request) -> web.Response:
    node = node_of(request)
    data = posted(request)
    form = Form(FORM_NAME, data)
    verdict = guard_of(request).check(request, data)
    if verdict.robot:
        raise web.HTTPSeeOther("/allies/thanks")  # a robot learns nothing
    if verdict.wait:
        form.fail("", verdict.wait)
        request[REFUSED] = form.state
        response = await ally_form(request)
        response.set_status(429)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        await node.allies.sign_up(
            name=form.raw("name"),
            address=form.raw("address"),
            town=form.raw("town"),
            can=data.getall("can", []),
            note=form.raw("note"),
            consent_version=form.raw("consent"),
        )
    except AllyRefused as exc:
        for problem in problems_of(exc):
            form.fail(problem.field, problem.message)
        raise FormRefused(form.state) from None
    raise web.HTTPSeeOther("/allies/thanks")


async def thanks(request: web.Request) -> web.Response:
    site = await node_of(request).site.home()
    return await public_page(
        request,
        "public/allies_thanks.html",
        {},
        title="Thank you",
        description=f"Thank you for offering to help {site.name}.",
    )


async def ally_redirect(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/allies")


def routes(app: web.Application) -> None:
    app[ALLY_GUARD] = FormGuard(app[CLIENTS])  # the form's own limit, with its routes
    get, post = app.router.add_get, app.router.add_post
    get("/allies", page("public")(ally_form))
    post("/allies", page("public", again=ally_form)(sign_up))
    get("/allies/thanks", page("public")(thanks))
    get("/ally", page("public")(ally_redirect))
