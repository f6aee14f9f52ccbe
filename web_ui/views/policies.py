"""A circle's policy register: the decisions in force, and which decision replaced
which (``node.gov.policy_register``)."""

from __future__ import annotations

from aiohttp import web

from web_ui.context import node_of
from web_ui.errors import known
from web_ui.guard import page
from web_ui.render import render


async def register_page(request: web.Request) -> web.Response:
    node = node_of(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    return render(
        request,
        "policies/register.html",
        {"circle": circle, "register": await node.gov.policy_register(circle.id)},
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/circles/{circle}/policies", page("member")(register_page))
