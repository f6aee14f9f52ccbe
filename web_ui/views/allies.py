"""Become an ally, on the public site (no login, no script): a form for name, e-mail
address, town, what the person can do and a note, beside the words of the consent they
give (recorded with its version and time). Sending it again with the same address
updates the entry; the page says the same thing either way, so it never tells whether
an address is known. The public forms' guard (``web_ui.public_forms``: a honeypot field
and a per-client rate limit) keeps robots out."""

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
from web_ui.context import SESSION, node_of, posted
from web_ui.forms import Form, FormRefused
from web_ui.guard import page
from web_ui.public_forms import REFUSAL, PublicRefused, admit, again, keep_csrf, stranger_csrf
from web_ui.views.public import public_page

FORM_NAME = "ally"
BOUNDS = {"name": MAX_NAME, "address": MAX_ADDRESS, "town": MAX_TOWN, "note": MAX_NOTE}


async def ally_form(request: web.Request) -> web.Response:
    """The form, fresh or as it was sent with what is wrong beside each field."""
    node = node_of(request)
    site = await node.site.home()
    version, words = node.allies.consent(site.name)
    session = request.get(SESSION)
    csrf = getattr(session, "csrf", "") or stranger_csrf(request)
    response = await public_page(
        request,
        "public/allies.html",
        {
            "csrf": csrf,
            "can": [(c, CAN_WORDS[c]) for c in CAN],
            "bounds": BOUNDS,
            "consent_version": version,
            "consent_words": words,
            "refusal": request.get(REFUSAL, ""),
        },
        title="Become an ally",
        description=f"Become an ally of {site.name}: tell us what you can do.",
    )
    if session is None:
        keep_csrf(request, response, csrf)
    return response


async def sign_up(request: web.Request) -> web.Response:
    node = node_of(request)
    data = posted(request)
    form = Form(FORM_NAME, data)
    try:
        if not admit(request, form):
            raise web.HTTPSeeOther("/allies/thanks")  # a robot learns nothing
    except PublicRefused as refused:
        return await again(request, form, refused, ally_form)
    try:
        await node.allies.sign_up(
            name=form.raw("name"),
            address=form.raw("address"),
            town=form.raw("town"),
            can=data.getall("can", []),
            note=form.raw("note"),
            consent_version=form.raw("consent"),
            org=(await node.site.home()).name,
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
    get, post = app.router.add_get, app.router.add_post
    get("/allies", page("public")(ally_form))
    post("/allies", page("public", again=ally_form)(sign_up))
    get("/allies/thanks", page("public")(thanks))
    get("/ally", page("public")(ally_redirect))
