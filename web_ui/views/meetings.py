"""A circle's meetings: scheduling one with its agenda (drawn from the backlog or not),
writing its minutes (guests, action items, the earlier minutes this meeting approved),
correcting them, and marking action items done. Minutes and corrections go into the
circle's logbook."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views import circles

ACTION_ROWS = 3  # blank action rows the minutes form offers (no JavaScript to add more)
ACTIONS_ITEM = "Actions agreed"


async def meeting(request: web.Request) -> web.Response:
    node = node_of(request)
    held = known(await node.gov.meeting(request.match_info["meeting"]), "meeting", NOT_YET)
    circle_id = held["circle_id"]
    circle = known(await node.circle(circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    versions = await node.gov.minutes_versions(held["id"])
    entries = {e["envelope_id"]: e["n"] for e in await node.gov.logbook(circle_id)}
    others = await node.gov.meetings(circle_id)
    approver = next((o for o in others if o["id"] == held["approved_by"]), None)
    # Earlier meetings' minutes not yet approved, the latest first: (version, in words).
    approvable = [
        (o["minutes_id"], f"{o['title']}, {o['starts'][:10]}")
        for o in others
        if o["starts"] < held["starts"] and o["minutes_id"] and not o["approved_by"]
    ]
    keepers = set(circle.holders("facilitator")) | set(circle.holders("secretary"))
    return render(
        request,
        "meetings/meeting.html",
        {
            "m": held,
            "circle": circle,
            "versions": versions,
            "minutes": versions[-1]["body"] if versions else None,
            "entries": entries,
            "approver": approver,
            "approvable": approvable,
            "actions": await node.gov.actions(meeting_id=held["id"]),
            "today": node.clock.now().date().isoformat(),
            "actor": actor,
            "members": sorted(
                x.member for x in circle.members.values() if x.active and "@" in x.member
            ),
            "is_keeper": actor in keepers,
            "action_rows": range(1, ACTION_ROWS + 1),
        },
    )


async def schedule_meeting(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("meeting", posted(request))
    title = form.text("title", "title", limit("meeting.title"), required=True)
    starts = form.moment("starts", "start")
    agenda = form.lines("agenda", "agenda", limit("agenda.title"))
    drawn = form.posted.getall("backlog", [])
    form.check()
    assert starts is not None
    backlog = {b["id"]: b for b in await node.gov.backlog(circle_id)}
    items: list[dict[str, Any]] = [
        {"title": backlog[i]["title"], "type": "explore", "backlog": i}
        for i in drawn
        if i in backlog
    ]
    items += [{"title": item, "type": "report"} for item in agenda]
    try:
        meeting_id = await node.gov.schedule_meeting(
            circle_id, session_of(request).member.handle, title, starts, items
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


def _guests(form: Form) -> list[str]:
    guests = form.lines("guests", "guests", limit("agenda.title"))
    if len(set(guests)) != len(guests):
        form.fail("guests", "Each guest is named once.")
    return guests


def _actions(form: Form) -> list[dict[str, Any]]:
    """The action rows filled in: what, whose (a member of the circle), due when."""
    found = []
    optional = replace(limit("agenda.title"), min_length=None)  # a row may stay empty
    for n in range(1, ACTION_ROWS + 1):
        what = form.text(f"action_what_{n}", f"action {n}", optional)
        owner = form.raw(f"action_owner_{n}").strip()
        due = form.date(f"action_due_{n}", f"due date of action {n}")
        if not what:
            continue
        if not owner:
            form.fail(f"action_owner_{n}", f"Choose who takes action {n}.")
        action: dict[str, Any] = {"what": what, "owner": owner}
        if due is not None:
            action["due"] = due.isoformat()
        found.append(action)
    return found


async def write_minutes(request: web.Request) -> web.Response:
    node = node_of(request)
    meeting_id = request.match_info["meeting"]
    form = Form("minutes", posted(request))
    opening = form.text("opening", "opening round", limit("minutes.opening"))
    items = form.lines("items", "items", limit("agenda.title"))
    closing = form.text("closing", "closing round", limit("minutes.closing"))
    guests = _guests(form)
    actions = _actions(form)
    approves = form.raw("approves").strip() or None
    form.check()
    agenda: list[dict[str, Any]] = [{"title": i, "type": "report", "notes": ""} for i in items]
    if actions:
        agenda.append({"title": ACTIONS_ITEM, "type": "report", "actions": actions})
    try:
        await node.gov.write_minutes(
            meeting_id,
            session_of(request).member.handle,
            attendance=form.posted.getall("attendance", []),
            agenda_consented=form.raw("agenda_consented") == "yes",
            opening=opening,
            items=agenda,
            closing=closing,
            guests=guests,
            approves=approves,
        )
    except DomainError as exc:
        codes = {"meeting.not_member": "attendance", "meeting.bad_approval": "approves"}
        raise form.refuse(exc, codes) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


async def correct_minutes(request: web.Request) -> web.Response:
    """A correction of the attendance, guests and rounds; the items stay as they are."""
    node = node_of(request)
    meeting_id = request.match_info["meeting"]
    form = Form("correction", posted(request))
    opening = form.text("opening", "opening round", limit("minutes.opening"))
    closing = form.text("closing", "closing round", limit("minutes.closing"))
    note = form.text("note", "note of what was corrected", limit("minutes.closing"), required=True)
    guests = _guests(form)
    form.check()
    versions = known(await node.gov.minutes_versions(meeting_id) or None, "minutes", NOT_YET)
    current = versions[-1]
    try:
        await node.gov.correct_minutes(
            meeting_id,
            session_of(request).member.handle,
            replaces=form.raw("replaces") or current["id"],
            note=note,
            attendance=form.posted.getall("attendance", []),
            agenda_consented=form.raw("agenda_consented") == "yes",
            opening=opening,
            items=current["body"].get("items", []),
            closing=closing,
            guests=guests,
            approves=current["body"].get("approves"),
        )
    except DomainError as exc:
        raise form.refuse(exc, {"meeting.not_member": "attendance"}) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


async def mark_done(request: web.Request) -> web.Response:
    node = node_of(request)
    meeting_id = request.match_info["meeting"]
    form = Form("done", posted(request))
    try:
        await node.gov.mark_done(
            meeting_id, int(request.match_info["n"]), session_of(request).member.handle
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}#action-{request.match_info['n']}")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/meetings/{meeting}", page("member")(meeting))
    post("/meetings/{meeting}/minutes", page("member", again=meeting)(write_minutes))
    post("/meetings/{meeting}/correct", page("member", again=meeting)(correct_minutes))
    post(
        "/meetings/{meeting}/actions/{n:[0-9]{1,5}}/done",
        page("member", again=meeting)(mark_done),
    )
    post("/circles/{circle}/meetings", page("member", again=circles.circle)(schedule_meeting))
