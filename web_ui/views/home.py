"""The home page: for a member, what needs them now (their tasks, ``node.gov.tasks``, and
``node.gov.agenda``), their acts the circle refused (``node.gov.refused_acts``), this
week's campaign actions they pledged to or can pledge to (``node.campaigns.week``), and
their new messages; for anyone else, the organization's public home
(``web_ui.views.public``)."""

from __future__ import annotations

from aiohttp import web

from web_ui.context import SESSION, node_of, session_of
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.campaign_words import WORDS
from web_ui.views.public import public_home
from web_ui.views.refusal_words import refused_acts


async def home(request: web.Request) -> web.Response:
    if SESSION not in request:
        return await public_home(request)
    node = node_of(request)
    handle = session_of(request).member.handle
    agenda = await node.gov.agenda(node.actor_of(handle))
    tasks = await node.gov.tasks(node.actor_of(handle))
    messages = await node.notifications.unread_messages(handle)
    week = await node.campaigns.week(handle, node.clock.now().date())
    refused = await refused_acts(node, handle, limit=5)
    return render(
        request,
        "home/home.html",
        {
            **agenda,
            "tasks": tasks,
            "new_messages": messages,
            "week": week,
            "refused": refused,
            "may_write": await node.articles.may_write(handle),
            **WORDS,
        },
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/", page("public")(home))
