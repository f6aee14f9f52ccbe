"""The home page: what needs the member now (``node.gov.agenda``), this week's campaign
actions they pledged to or can pledge to (``node.campaigns.week``), and their new
messages."""

from __future__ import annotations

from aiohttp import web

from web_ui.context import node_of, session_of
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.campaign_words import WORDS


async def home(request: web.Request) -> web.Response:
    node = node_of(request)
    handle = session_of(request).member.handle
    agenda = await node.gov.agenda(node.actor_of(handle))
    messages = await node.notifications.unread_messages(handle)
    week = await node.campaigns.week(handle, node.clock.now().date())
    return render(
        request,
        "home/home.html",
        {**agenda, "new_messages": messages, "week": week, **WORDS},
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/", page("member")(home))
