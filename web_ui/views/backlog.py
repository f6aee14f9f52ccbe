"""A circle's backlog: a member adds a tension or agenda item, the facilitator or secretary
closes one. The circle page lists it and the meeting scheduler draws from it."""

from __future__ import annotations

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.views import circles


async def add_item(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("backlog", posted(request))
    title = form.text("title", "tension or agenda item", limit("agenda.title"), required=True)
    note = form.text("note", "note", limit("minutes.opening"))
    form.check()
    try:
        await node.gov.add_backlog(circle_id, session_of(request).member.handle, title, note)
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/circles/{circle_id}#backlog-h")


async def close_item(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("backlog_close", posted(request))
    try:
        await node.gov.close_backlog(
            request.match_info["item"],
            session_of(request).member.handle,
            form.raw("note"),
            circle_id=circle_id,
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/circles/{circle_id}#backlog-h")


def routes(app: web.Application) -> None:
    post = app.router.add_post
    post("/circles/{circle}/backlog", page("member", again=circles.circle)(add_item))
    post(
        "/circles/{circle}/backlog/{item}/close",
        page("member", again=circles.circle)(close_item),
    )
