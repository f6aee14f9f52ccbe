"""An election of a role by consent: nominations (sealed, then revealed), a change
round, consent to a candidate, and the selection recorded."""

from __future__ import annotations

from aiohttp import web

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, FormRefused, Limit, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views import circles, proposals

_NOMINEE = Limit(200)


async def election(request: web.Request) -> web.Response:
    node = node_of(request)
    sel = known(await node.gov.selection(request.match_info["election"]), "election", NOT_YET)
    circle = known(await node.circle(sel.circle), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    members = sorted(m.member for m in circle.members.values() if m.active and "@" in m.member)
    child = await node.circle(sel.for_circle) if sel.for_circle else None
    return render(
        request,
        "elections/election.html",
        {
            "sel": sel,
            "circle": circle,
            "members": members,
            "mine": sel.nominations.get(actor),
            "my_stance": sel.stances.get(actor),
            "is_member": circle.is_active(actor),
            "is_facilitator": actor in circle.holders("facilitator"),
            "nominees": sorted(sel.nominees()),
            "child_name": child.name if child is not None else "a sub-circle",
            "child_known": child is not None,
            # The choice of a sub-circle's leader is signed by the home (§13.16).
            "records_here": sel.for_circle is None or circle.home == node.node_id,
        },
    )


async def open_election(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("election", posted(request))
    role = form.text("role", "role", limit("selection.role"), required=True)
    description = form.text(
        "description", "role description", limit("selection.description"), required=True
    )
    term = limit("selection.term_months")
    months = form.number("term_months", "term in months", term, default=12)
    state = known(await node.circle(circle_id), "circle")
    holders = {h for r in state.seats for h in state.holders(r)}
    replaces = form.choice("replaces", "holder replaced", holders, required=False) or None
    form.check()
    try:
        sel = await node.gov.open_selection(
            circle_id,
            session_of(request).member.handle,
            role,
            description,
            months,
            replaces=replaces,
        )
    except DomainError as exc:
        if exc.code == "selection.leader_by_parent":
            form.fail("role", await leader_words(request, state))
            raise FormRefused(form.state) from None
        raise form.refuse(exc, {"circle.unknown_role": "role"}) from None
    raise web.HTTPSeeOther(f"/elections/{sel}")


async def open_leader_election(request: web.Request) -> web.Response:
    """The parent circle's facilitator opens the election of a sub-circle's leader
    (PROTOCOL.md §13.16): the leader of a sub-circle is chosen by its parent."""
    node = node_of(request)
    circle_id = request.match_info["circle"]
    state = known(await node.circle(circle_id), "circle")
    subs = {r["id"]: r["name"] for r in await node.circles() if r["parent"] == circle_id}
    form = Form("leader-election", posted(request))
    child = form.choice("for_circle", "sub-circle", subs)
    description = form.text(
        "description", "role description", limit("selection.description"), required=True
    )
    term = limit("selection.term_months")
    months = form.number("term_months", "term in months", term, default=12)
    form.check()
    try:
        sel = await node.gov.open_selection(
            state.id,
            session_of(request).member.handle,
            "leader",
            description,
            months,
            for_circle=child,
        )
    except DomainError as exc:
        raise form.refuse(exc, {"selection.not_child": "for_circle"}) from None
    raise web.HTTPSeeOther(f"/elections/{sel}")


async def leader_words(request: web.Request, circle: CircleState) -> str:
    """Why a circle does not elect its own leader, in words: its parent chooses it."""
    parent = await node_of(request).circle(circle.parent or "")
    by = parent.name if parent is not None else "its parent circle"
    return (
        f"The leader of {circle.name} is chosen by {by}, its parent circle: that circle"
        " opens the election."
    )


async def election_act(request: web.Request) -> web.Response:
    node = node_of(request)
    sel_id = request.match_info["election"]
    handle = session_of(request).member.handle
    data = posted(request)
    action = str(data.get("action", ""))
    form = Form(f"election-{action}", data)
    gov = node.gov
    if action == "nominate":
        nominee = form.text("nominee", "person you nominate", _NOMINEE, required=True)
        form.check()
        command = gov.nominate(sel_id, handle, nominee)
    elif action == "reveal":
        changed = form.text("nominee", "person you nominate", _NOMINEE) or None
        reason = form.text("reason", "reason", limit("selection.reason"))
        form.check()
        command = gov.reveal(sel_id, handle, reason, nominee=changed)
    elif action == "phase":
        phase = form.choice(
            "phase", "phase", ("nomination_round", "change_round", "consent", "cancelled")
        )
        candidate = form.text("candidate", "candidate", _NOMINEE) or None
        form.check()
        command = gov.move_selection(sel_id, handle, phase, candidate=candidate)
    elif action == "stance":
        candidate = form.text("candidate", "candidate", _NOMINEE, required=True)
        value = form.choice("stance", "stance", proposals.STANCE_LABELS)
        reason = form.text("reason", "reason", limit("selection.stance_reason"))
        if value in ("concern", "object") and not reason:
            form.fail(
                "reason", f"Say why: {proposals.STANCE_LABELS[value].lower()} needs a reason."
            )
        form.check()
        command = gov.selection_stance(sel_id, handle, candidate, value, reason)
    elif action == "result":
        command = gov.record_selection(sel_id, handle)
    else:
        form.fail("", "This form does not belong to this page any more: reload the page.")
        raise FormRefused(form.state)
    try:
        await command
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/elections/{sel_id}")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/elections/{election}", page("member")(election))
    post("/elections/{election}", page("member", again=election)(election_act))
    post("/circles/{circle}/elections", page("member", again=circles.circle)(open_election))
    post(
        "/circles/{circle}/leader-elections",
        page("member", again=circles.circle)(open_leader_election),
    )
