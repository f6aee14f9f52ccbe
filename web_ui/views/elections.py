"""Views beyond the consent process: elections, meetings, the logbook, messages and
notifications (the admin's pages and invitations are ``web_ui.views.admin``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node import direct, messages
from node.domain.errors import DomainError
from node.service import Node
from protocol import RemoteProtocolError
from web_ui.app import node_of, posted, render, session_of
from web_ui.errors import known
from web_ui.forms import Form, FormRefused, Limit, limit
from web_ui.views import circles, proposals

_WAIT = "If it was made a moment ago, the circle's home node may not have taken it in yet."
_NOMINEE = Limit(200)


def _node(request: web.Request) -> Node:
    return node_of(request)


# --- elections -----------------------------------------------------------------------------


async def election(request: web.Request) -> web.Response:
    node = _node(request)
    sel = known(await node.gov.selection(request.match_info["election"]), "election", _WAIT)
    circle = known(await node.circle(sel.circle), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    members = sorted(m.member for m in circle.members.values() if m.active and "@" in m.member)
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
        },
    )


async def open_election(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    form = Form("election", posted(request))
    role = form.text("role", "role", limit("selection.role"), required=True)
    description = form.text(
        "description", "role description", limit("selection.description"), required=True
    )
    term = limit("selection.term_months")
    months = form.number("term_months", "term in months", term, default=12)
    form.check()
    try:
        sel = await node.gov.open_selection(
            circle_id, session_of(request).member.handle, role, description, months
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/elections/{sel}")


async def election_act(request: web.Request) -> web.Response:
    node = _node(request)
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


# --- meetings ------------------------------------------------------------------------------


async def meeting(request: web.Request) -> web.Response:
    node = _node(request)
    held = known(await node.gov.meeting(request.match_info["meeting"]), "meeting", _WAIT)
    circle_id = held["circle_id"]
    circle = known(await node.circle(circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    minutes = None
    if held["minutes_id"]:
        minutes = next(
            (
                e
                for e in await node.gov.logbook(circle_id)
                if e["envelope_id"] == held["minutes_id"]
            ),
            None,
        )
    keepers = set(circle.holders("facilitator")) | set(circle.holders("secretary"))
    return render(
        request,
        "meetings/meeting.html",
        {
            "m": held,
            "circle": circle,
            "minutes": minutes,
            "members": sorted(
                x.member for x in circle.members.values() if x.active and "@" in x.member
            ),
            "is_keeper": actor in keepers,
        },
    )


async def schedule_meeting(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    form = Form("meeting", posted(request))
    title = form.text("title", "title", limit("meeting.title"), required=True)
    starts = form.moment("starts", "start")
    agenda = form.lines("agenda", "agenda", limit("agenda.title"))
    form.check()
    assert starts is not None
    try:
        meeting_id = await node.gov.schedule_meeting(
            circle_id,
            session_of(request).member.handle,
            title,
            starts,
            [{"title": item, "type": "report"} for item in agenda],
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


async def write_minutes(request: web.Request) -> web.Response:
    node = _node(request)
    meeting_id = request.match_info["meeting"]
    form = Form("minutes", posted(request))
    opening = form.text("opening", "opening round", limit("minutes.opening"))
    items = form.lines("items", "items", limit("agenda.title"))
    closing = form.text("closing", "closing round", limit("minutes.closing"))
    form.check()
    try:
        await node.gov.write_minutes(
            meeting_id,
            session_of(request).member.handle,
            attendance=form.posted.getall("attendance", []),
            agenda_consented=form.raw("agenda_consented") == "yes",
            opening=opening,
            items=[{"title": item, "type": "report", "notes": ""} for item in items],
            closing=closing,
        )
    except DomainError as exc:
        raise form.refuse(exc, {"meeting.not_member": "attendance"}) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


# --- logbook -------------------------------------------------------------------------------


async def logbook_page(request: web.Request) -> web.Response:
    node = _node(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    return render(
        request,
        "logbook/logbook.html",
        {"circle": circle, "entries": await node.gov.logbook(circle.id)},
    )


async def logbook_export(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    known(await node.circle(circle_id), "circle")
    fmt = request.match_info["format"]
    body = await node.gov.logbook_export(circle_id, fmt)
    if fmt == "html":
        return web.Response(body=body, content_type="text/html")
    return web.Response(
        body=body,
        content_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="logbook.jsonl"'},
    )


# --- messages ------------------------------------------------------------------------------


async def circle_messages(request: web.Request) -> web.Response:
    node = _node(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    return render(
        request,
        "messages/circle.html",
        {
            "circle": circle,
            "thread": await messages.thread(node, circle.id),
            "is_member": circle.is_active(actor),
        },
    )


def _message(form: Form) -> str:
    text = form.text("text", "message", limit("message.text"))
    if not text:
        form.fail("text", "Write your message first.")
    return text


async def post_message(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    form = Form("message", posted(request))
    text = _message(form)
    form.check()
    try:
        await messages.post(node, circle_id, session_of(request).member.handle, text)
    except DomainError as exc:
        raise form.refuse(exc, {"message.empty": "text"}) from None
    raise web.HTTPSeeOther(f"/circles/{circle_id}/messages")


async def direct_list(request: web.Request) -> web.Response:
    node = _node(request)
    peers = [p for p in await node.peer_list() if p["state"] == "linked"]
    return render(
        request, "messages/direct.html", {"peers": peers, "peer": None, "conversation": []}
    )


async def direct_page(request: web.Request) -> web.Response:
    node = _node(request)
    peer_id = request.match_info["peer"]
    every = await node.peer_list()
    peer = known(next((p for p in every if p["node_id"] == peer_id), None), "organization")
    try:
        conversation = await direct.read_direct(node, peer_id)
    except (DomainError, RemoteProtocolError):
        conversation = []
    return render(
        request,
        "messages/direct.html",
        {
            "peers": [p for p in every if p["state"] == "linked"],
            "peer": peer,
            "conversation": conversation,
        },
    )


async def direct_send(request: web.Request) -> web.Response:
    node = _node(request)
    peer_id = request.match_info["peer"]
    form = Form("direct", posted(request))
    text = _message(form)
    form.check()
    try:
        await direct.send_direct(
            node, peer_id, text, node.actor_of(session_of(request).member.handle)
        )
    except (DomainError, RemoteProtocolError) as exc:
        raise form.refuse(exc, {"message.empty": "text"}) from None
    raise web.HTTPSeeOther(f"/messages/{peer_id}")


# --- notifications -------------------------------------------------------------------------


async def notifications(request: web.Request) -> web.Response:
    node = _node(request)
    handle = session_of(request).member.handle
    items = await node.notifications.recent(handle)
    settings = await node.notifications.settings(handle)
    response = render(
        request,
        "notifications/notifications.html",
        {
            "items": items,
            "settings": settings,
            "digest": await node.notifications.digest(handle),
        },
    )
    await node.notifications.mark_seen(handle)
    return response


async def notification_settings(request: web.Request) -> web.Response:
    node = _node(request)
    form = Form("digest", posted(request))
    digest = form.choice("digest", "digest", ("off", "daily"))
    form.check()
    try:
        await node.notifications.set_digest(session_of(request).member.handle, digest)
    except DomainError as exc:
        raise form.refuse(exc, {"notify.bad_digest": "digest"}) from None
    raise web.HTTPSeeOther("/notifications")


def routes(app: web.Application, page: Any) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/elections/{election}", page("member")(election))
    post("/elections/{election}", page("member", again=election)(election_act))
    post("/circles/{circle}/elections", page("member", again=circles.circle)(open_election))
    get("/meetings/{meeting}", page("member")(meeting))
    post("/meetings/{meeting}/minutes", page("member", again=meeting)(write_minutes))
    post("/circles/{circle}/meetings", page("member", again=circles.circle)(schedule_meeting))
    get("/circles/{circle}/logbook", page("member")(logbook_page))
    get("/circles/{circle}/logbook.{format:jsonl|html}", page("member")(logbook_export))
    get("/circles/{circle}/messages", page("member")(circle_messages))
    post("/circles/{circle}/messages", page("member", again=circle_messages)(post_message))
    get("/messages", page("member")(direct_list))
    get("/messages/{peer}", page("member")(direct_page))
    post("/messages/{peer}", page("member", again=direct_page)(direct_send))
    get("/notifications", page("member")(notifications))
    post("/notifications", page("member", again=notifications)(notification_settings))
