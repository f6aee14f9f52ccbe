"""A circle's meetings: scheduling one with its agenda, and writing its minutes (which
go into the circle's logbook)."""

from __future__ import annotations

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views import circles


async def meeting(request: web.Request) -> web.Response:
    node = node_of(request)
    held = known(await node.gov.meeting(request.match_info["meeting"]), "meeting", NOT_YET)
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
    node = node_of(request)
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
    node = node_of(request)
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


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/meetings/{meeting}", page("member")(meeting))
    post("/meetings/{meeting}/minutes", page("member", again=meeting)(write_minutes))
    post("/circles/{circle}/meetings", page("member", again=circles.circle)(schedule_meeting))
