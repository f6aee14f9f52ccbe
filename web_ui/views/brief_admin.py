"""The admins' page of the Coalition Brief: how many are subscribed, the subscribers as
CSV (a POST, so the CSRF check guards the download), and erasing one person."""

from __future__ import annotations

from aiohttp import web

from node.brief.subscribers import csv_text
from node.mail.message import valid_address
from web_ui.context import flash, node_of, posted
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import render


async def brief(request: web.Request) -> web.Response:
    subscribed, waiting = await node_of(request).brief.counts()
    return render(
        request,
        "admin/brief.html",
        {"subscribed": subscribed, "waiting": waiting, "mail_on": node_of(request).brief.open},
    )


async def export(request: web.Request) -> web.Response:
    """Every subscriber as CSV (address, name, town, interests, confirmed, wording)."""
    text = csv_text(await node_of(request).brief.export_rows())
    return web.Response(
        body=text.encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="brief-subscribers.csv"'},
    )


async def erase(request: web.Request) -> web.Response:
    form = Form("erase", posted(request))
    address = form.text("address", "e-mail address", required=True)
    if address and not valid_address(address):
        form.fail("address", f"{address} is not an e-mail address.")
    form.check()
    touched = await node_of(request).brief.erase(address)
    flash(
        request,
        f"{address} is forgotten."
        if touched
        else f"Nothing about {address} was kept: there was nothing to erase.",
    )
    raise web.HTTPSeeOther("/admin/brief")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/admin/brief", page("admin")(brief))
    post("/admin/brief/export", page("admin")(export))
    post("/admin/brief/erase", page("admin", again=brief)(erase))
