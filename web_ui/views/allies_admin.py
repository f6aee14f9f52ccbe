"""The admins' pages of allies: the list (name, town, what they can do, since when),
filtered by what they can do; inviting an ally to become a member (mailed when mail is
on, else handed to the admin like any member invitation); the CSV export; erasing a
person, after a confirmation page."""

from __future__ import annotations

import contextlib
import re
import unicodedata

from aiohttp import web

from node.allies.personal import csv_text
from node.allies.records import CAN, CAN_WORDS, Ally, AllyRefused
from node.domain.errors import DomainError
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import page_error
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.handover import HANDOVERS
from web_ui.render import render


def handle_for(name: str) -> str:
    """A handle to propose for a person: their name in lower-case ASCII, dots between."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    handle = ".".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))[:32].strip(".")
    return handle or "ally"


def _ally_id(request: web.Request) -> int:
    try:
        return int(request.match_info["ally"])
    except ValueError:
        raise page_error(404, "ally.unknown", "There is no such ally.") from None


async def _ally(request: web.Request) -> Ally:
    found = await node_of(request).allies.get(_ally_id(request))
    if found is None:
        raise page_error(404, "ally.unknown", "There is no such ally: erased, perhaps.")
    return found


async def allies(request: web.Request) -> web.Response:
    node = node_of(request)
    can = request.query.get("can", "")
    shown = await node.allies.all(can if can in CAN else None)
    return render(
        request,
        "admin/allies.html",
        {
            "allies": shown,
            "total": len(await node.allies.all()) if can in CAN else len(shown),
            "can": can if can in CAN else "",
            "options": [(c, CAN_WORDS[c]) for c in CAN],
            "handle_for": handle_for,
            "mail_on": node.mail.enabled,
        },
    )


async def invite(request: web.Request) -> web.Response:
    node = node_of(request)
    ally = await _ally(request)
    form = Form(f"invite-{ally.id}", posted(request))
    handle = form.text("handle", "handle", limit("member.handle"), required=True, lower=True)
    form.check()
    me = session_of(request)
    try:
        invited = await node.allies.invite(ally.id, me.member.handle, handle)
    except DomainError as exc:
        fields = dict.fromkeys(("member.bad_handle", "member.exists", "member.invited"), "handle")
        raise form.refuse(exc, fields) from None
    if invited.mailed:
        flash(
            request,
            f"{ally.name} is invited to become a member as {handle}: the invitation is on"
            " its way to their e-mail address.",
        )
        raise web.HTTPSeeOther("/admin/allies")
    assert invited.token is not None
    link = f"{request.url.origin()}/join/{invited.token}"
    expires = next(
        (
            str(i["expires_at"])
            for i in await node.accounts.invitations()
            if i["handle"] == handle and not i["used_at"]
        ),
        "",
    )
    about = {"handle": handle, "name": ally.name, "role": "member", "expires_at": expires}
    shown = request.app[HANDOVERS].keep(me.token_hash, "member", link, about)
    raise web.HTTPSeeOther(f"/admin/handover/{shown}")


async def export(request: web.Request) -> web.Response:
    """Every ally as CSV, for a spreadsheet; never cached."""
    rows = await node_of(request).allies.export()
    return web.Response(
        body=csv_text(rows).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="allies.csv"'},
    )


async def erase_page(request: web.Request) -> web.Response:
    return render(request, "admin/ally_erase.html", {"ally": await _ally(request)})


async def erase(request: web.Request) -> web.Response:
    ally = await _ally(request)
    # Erased meanwhile by another admin: what was asked is done.
    with contextlib.suppress(AllyRefused):
        await node_of(request).allies.erase(ally.address)
    flash(request, f"{ally.name} is erased: their entry and their address are gone.")
    raise web.HTTPSeeOther("/admin/allies")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/admin/allies", page("admin")(allies))
    get("/admin/allies.csv", page("admin")(export))
    post("/admin/allies/{ally}/invite", page("admin", again=allies)(invite))
    get("/admin/allies/{ally}/erase", page("admin")(erase_page))
    post("/admin/allies/{ally}/erase", page("admin")(erase))
