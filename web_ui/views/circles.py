"""The circles: every circle by name and aim, one circle's page (its members, charter and
what happens in it), and who on the node reads it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node import visibility
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from protocol.ids import NODE_PREFIX
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import known
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import org_name, render
from web_ui.views import home_moves, structure_words
from web_ui.views.delegates import delegates_section
from web_ui.views.home_moves import home_move_section


async def circles(request: web.Request) -> web.Response:
    """Every circle by name and aim (the organization's structure is everyone's); a link
    to those whose content the member may read."""
    node = node_of(request)
    rows = await node.circles()
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    known = {r["id"] for r in rows}
    roots = [r for r in rows if r["parent"] is None or r["parent"] not in known]
    readable = await visibility.readable(node, session_of(request).member.handle, rows)
    return render(
        request,
        "circles/circles.html",
        {"roots": roots, "children": children, "readable": readable},
    )


async def circle(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    state = known(await node.circle(circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    by_org: dict[str, list[Any]] = {}
    for m in sorted(state.members.values(), key=lambda m: m.member):
        if not m.active:
            continue
        org = m.member if m.member.startswith(NODE_PREFIX) else m.member.partition("@")[2]
        by_org.setdefault(org, []).append(m)
    proposals = await node.gov.proposals(circle_id)
    me = session_of(request).member
    rows = await node.circles()
    parent = next((r for r in rows if r["id"] == state.parent), None)
    # A node's admins name its delegates (§13.9): who speaks for an organization is its
    # own matter, as is answering an invitation.
    delegates = None
    ours = state.home == node.node_id or state.is_active(node.node_id)
    home_move = None
    if state.federated and me.role == "admin" and ours:
        delegates = await delegates_section(node, circle_id)
        home_move = await home_move_section(node, circle_id, lambda n: org_name(request.app, n))
    subs = [r for r in rows if r["parent"] == circle_id]
    return render(
        request,
        "circles/circle.html",
        {
            "circle": state,
            "charter": next(r for r in rows if r["id"] == circle_id),
            "by_org": by_org,
            "is_member": state.is_active(actor),
            "is_home": state.home == node.node_id,
            "open": [p for p in proposals if p["outcome"] is None],
            "decided": [p for p in proposals if p["outcome"] is not None],
            "elections": await node.gov.selections(circle_id),
            "meetings": await node.gov.meetings(circle_id),
            "backlog": await node.gov.backlog(circle_id),
            "actions": await node.gov.actions(circle_id=circle_id),
            "today": node.clock.now().date().isoformat(),
            "logbook": await node.gov.logbook(circle_id),
            "parent": parent,
            "subs": subs,
            "circle_names": {r["id"]: r["name"] for r in rows},
            "subs_choices": [(r["id"], f"Choose the leader of {r['name']}") for r in subs],
            "delegates": delegates,
            "home_move": home_move,
            "visibility": await visibility.visibility(node, state),
            "may_set_visibility": visibility.may_open(state, node.node_id)
            and (actor in state.holders("facilitator") or me.role == "admin"),
            # A campaign page's link to propose adopting its drafts fills these in.
            "adopts": request.query.getall("adopts", [])[:200],
            "adopt_title": request.query.get("title", "")[:200],
            "structure_members": await structure_options(request, state) if state.federated else [],
            "home_choices": structure_words.home_choices(state, lambda n: org_name(request.app, n)),
            "circle_seats": list(state.seats),  # the role register's roles, built-in first
        },
    )


async def structure_options(request: web.Request, state: CircleState) -> list[tuple[str, str]]:
    """Whom a structural proposal in this circle may name (§13.14), in words."""
    node = node_of(request)
    peers = [p["node_id"] for p in await node.peer_list() if p["state"] == "linked"]
    if not state.federated:
        peers = []
    mine = [node.actor_of(m.handle) for m in await node.members() if not m.disabled]
    return structure_words.member_choices(state, peers, mine, lambda n: org_name(request.app, n))


async def set_visibility(request: web.Request) -> web.Response:
    """The circle's facilitator (or a node admin) says who on the node reads it."""
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("visibility", posted(request))
    value = form.choice("visibility", "readers", visibility.VISIBILITIES)
    form.check()
    try:
        await visibility.set_visibility(node, circle_id, value, session_of(request).member.handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    flash(request, "Saved: " + READERS[value] + ".")
    raise web.HTTPSeeOther(f"/circles/{circle_id}")


READERS = {
    "members": "only the circle's members read what happens in it",
    "organization": "everyone with an account on this node reads what happens in it",
}


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/circles", page("member")(circles))
    get("/circles/{circle}", page("member")(circle))
    post("/circles/{circle}/visibility", page("member", again=circle)(set_visibility))
    home_moves.routes(app, circle)
