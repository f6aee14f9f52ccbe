"""The member's notifications (marked seen once shown) and their daily digest setting."""

from __future__ import annotations

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.refusal_words import refused_acts


async def notifications(request: web.Request) -> web.Response:
    node = node_of(request)
    handle = session_of(request).member.handle
    items = await node.notifications.recent(handle)
    settings = await node.notifications.settings(handle)
    response = render(
        request,
        "notifications/notifications.html",
        {
            "items": items,
            "refused": await refused_acts(node, handle),
            "settings": settings,
            "digest": await node.notifications.digest(handle),
        },
    )
    await node.notifications.mark_seen(handle)
    return response


async def notification_settings(request: web.Request) -> web.Response:
    node = node_of(request)
    form = Form("digest", posted(request))
    digest = form.choice("digest", "digest", ("off", "daily"))
    form.check()
    try:
        await node.notifications.set_digest(session_of(request).member.handle, digest)
    except DomainError as exc:
        raise form.refuse(exc, {"notify.bad_digest": "digest"}) from None
    raise web.HTTPSeeOther("/notifications")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/notifications", page("member")(notifications))
    post("/notifications", page("member", again=notifications)(notification_settings))
