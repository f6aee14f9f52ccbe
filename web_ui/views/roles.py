"""A circle's roles: the role register (each role, its term, its holders and open seats,
whose term is due for a new election) and, on the circle's page, the organization's
delegates, which the node's admins name and withdraw (PROTOCOL.md §13.9)."""

from __future__ import annotations

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import known, page_error
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import render
from web_ui.views import circles


async def register(request: web.Request) -> web.Response:
    """The circle's role register."""
    node = node_of(request)
    state = known(await node.circle(request.match_info["circle"]), "circle")
    return render(
        request,
        "roles/register.html",
        {"circle": state, "entries": await node.gov.role_register(state)},
    )


async def name_delegate(request: web.Request) -> web.Response:
    """A node admin names one of the node's people as the organization's delegate in a
    federated circle, or withdraws one; a member node's request waits for the home."""
    node = node_of(request)
    if session_of(request).member.role != "admin":
        # Checked here, after the guard's reading check, so a circle's outsiders learn
        # nothing of it from this route either.
        raise page_error(403, "auth.forbidden", "Only the node's admins name its delegates.")
    circle_id = request.match_info["circle"]
    data = posted(request)
    action = str(data.get("action", "name"))
    form = Form("delegates", data)
    handles = [m.handle for m in await node.members() if not m.disabled]
    handle = form.choice("handle", "person", handles)
    form.check()
    named = action != "withdraw"
    try:
        request_id = await node.gov.name_delegate(circle_id, handle, delegate=named)
    except DomainError as exc:
        raise form.refuse(exc, {"member.unknown": "handle"}) from None
    member = await node.member(handle)
    who = member.display_name if member else handle
    if request_id is None:
        flash(request, f"{who} is {'now' if named else 'no longer'} a delegate.")
    else:
        verb = "naming" if named else "withdrawing"
        flash(request, f"Sent: {verb} {who} as a delegate waits for the circle's home.")
    raise web.HTTPSeeOther(f"/circles/{circle_id}#our-delegates")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/circles/{circle}/roles", page("member")(register))
    post("/circles/{circle}/delegates", page("member", again=circles.circle)(name_delegate))
