"""Views beyond the consent process: elections, meetings, the logbook, messages, member
invitations and the admin's links with other organizations."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aiohttp import web

from node import direct, messages
from node.domain.errors import DomainError
from protocol import RemoteProtocolError
from web_ui.app import COOKIE, back, flash, render, session_of
from web_ui.views import _ensure, _field, _form, _node

# --- elections -----------------------------------------------------------------------------


async def election(request: web.Request) -> web.Response:
    node = _node(request)
    sel = _ensure(await node.gov.selection(request.match_info["id"]), "election")
    circle = _ensure(await node.circle(sel.circle), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    members = sorted(m.member for m in circle.members.values() if m.active and "@" in m.member)
    return render(
        request,
        "election.html",
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
    try:
        months = int(_field(request, "term_months", 3) or "12")
        sel = await node.gov.open_selection(
            circle_id,
            session_of(request).member.handle,
            _field(request, "role", 200),
            _field(request, "description"),
            months,
        )
    except (DomainError, ValueError) as exc:
        error = exc if isinstance(exc, DomainError) else DomainError("form.bad_term", str(exc))
        raise back(request, f"/circles/{circle_id}", error) from None
    raise web.HTTPSeeOther(f"/elections/{sel}")


async def election_act(request: web.Request) -> web.Response:
    node = _node(request)
    sel_id = request.match_info["id"]
    handle = session_of(request).member.handle
    action = _field(request, "action", 20)
    gov = node.gov
    try:
        if action == "nominate":
            await gov.nominate(sel_id, handle, _field(request, "nominee", 200))
        elif action == "reveal":
            nominee = _field(request, "nominee", 200) or None
            await gov.reveal(sel_id, handle, _field(request, "reason"), nominee=nominee)
        elif action == "phase":
            await gov.move_selection(
                sel_id,
                handle,
                _field(request, "phase", 30),
                candidate=_field(request, "candidate", 200) or None,
            )
        elif action == "stance":
            await gov.selection_stance(
                sel_id,
                handle,
                _field(request, "candidate", 200),
                _field(request, "stance", 20),
                _field(request, "reason"),
            )
        elif action == "result":
            await gov.record_selection(sel_id, handle)
        else:
            raise DomainError("form.bad_action", f"no action {action!r}")
    except DomainError as exc:
        raise back(request, f"/elections/{sel_id}", exc) from None
    raise web.HTTPSeeOther(f"/elections/{sel_id}")


# --- meetings ------------------------------------------------------------------------------


async def meeting(request: web.Request) -> web.Response:
    node = _node(request)
    held = _ensure(await node.gov.meeting(request.match_info["id"]), "meeting")
    circle_id = held["circle_id"]
    circle = _ensure(await node.circle(circle_id), "circle")
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
        "meeting.html",
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
    try:
        starts = dt.datetime.fromisoformat(_field(request, "starts", 40)).replace(tzinfo=dt.UTC)
        agenda = [
            {"title": line.strip()[:200], "type": "report"}
            for line in _field(request, "agenda").splitlines()
            if line.strip()
        ]
        meeting_id = await node.gov.schedule_meeting(
            circle_id,
            session_of(request).member.handle,
            _field(request, "title", 200),
            starts,
            agenda,
        )
    except ValueError:
        raise back(
            request,
            f"/circles/{circle_id}",
            DomainError("form.bad_time", "Start: a date and time."),
        ) from None
    except DomainError as exc:
        raise back(request, f"/circles/{circle_id}", exc) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


async def write_minutes(request: web.Request) -> web.Response:
    node = _node(request)
    meeting_id = request.match_info["id"]
    form = _form(request)
    try:
        await node.gov.write_minutes(
            meeting_id,
            session_of(request).member.handle,
            attendance=[str(a) for a in form.getall("attendance", [])],
            agenda_consented=form.get("agenda_consented") == "yes",
            opening=_field(request, "opening"),
            items=[
                {"title": line.strip()[:200], "type": "report", "notes": ""}
                for line in _field(request, "items").splitlines()
                if line.strip()
            ],
            closing=_field(request, "closing"),
        )
    except DomainError as exc:
        raise back(request, f"/meetings/{meeting_id}", exc) from None
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}")


# --- logbook -------------------------------------------------------------------------------


async def logbook_page(request: web.Request) -> web.Response:
    node = _node(request)
    circle = _ensure(await node.circle(request.match_info["circle"]), "circle")
    return render(
        request,
        "logbook.html",
        {"circle": circle, "entries": await node.gov.logbook(circle.id)},
    )


async def logbook_export(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    _ensure(await node.circle(circle_id), "circle")
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
    circle = _ensure(await node.circle(request.match_info["circle"]), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    return render(
        request,
        "messages.html",
        {
            "circle": circle,
            "thread": await messages.thread(node, circle.id),
            "is_member": circle.is_active(actor),
        },
    )


async def post_message(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    try:
        await messages.post(
            node, circle_id, session_of(request).member.handle, _field(request, "text")
        )
    except DomainError as exc:
        raise back(request, f"/circles/{circle_id}/messages", exc) from None
    raise web.HTTPSeeOther(f"/circles/{circle_id}/messages")


async def direct_list(request: web.Request) -> web.Response:
    node = _node(request)
    peers = [p for p in await node.peer_list() if p["state"] == "linked"]
    return render(request, "direct.html", {"peers": peers, "peer": None, "conversation": []})


async def direct_page(request: web.Request) -> web.Response:
    node = _node(request)
    peer_id = request.match_info["peer"]
    every = await node.peer_list()
    peer = _ensure(next((p for p in every if p["node_id"] == peer_id), None), "peer")
    try:
        conversation = await direct.read_direct(node, peer_id)
    except (DomainError, RemoteProtocolError):
        conversation = []
    return render(
        request,
        "direct.html",
        {
            "peers": [p for p in every if p["state"] == "linked"],
            "peer": peer,
            "conversation": conversation,
        },
    )


async def direct_send(request: web.Request) -> web.Response:
    node = _node(request)
    peer_id = request.match_info["peer"]
    text = _field(request, "text")
    try:
        if not text:
            raise DomainError("message.empty", "say something")
        await direct.send_direct(
            node, peer_id, text, node.actor_of(session_of(request).member.handle)
        )
    except DomainError as exc:
        raise back(request, f"/messages/{peer_id}", exc) from None
    except RemoteProtocolError as exc:
        raise back(
            request, f"/messages/{peer_id}", DomainError(str(exc.code), exc.message)
        ) from None
    raise web.HTTPSeeOther(f"/messages/{peer_id}")


# --- member invitations --------------------------------------------------------------------


async def join_form(request: web.Request) -> web.Response:
    invite = await _node(request).accounts.invitation(request.match_info["token"])
    if invite is None:
        raise web.HTTPNotFound(text="This link is unknown, used or expired.")
    csrf = request.cookies.get("nst_csrf") or secrets.token_urlsafe(32)
    response = render(request, "join.html", {"invite": invite, "csrf": csrf, "error": None})
    response.set_cookie("nst_csrf", csrf, httponly=True, samesite="Strict")
    return response


async def join(request: web.Request) -> web.Response:
    node = _node(request)
    token = request.match_info["token"]
    new = str(_form(request).get("new", ""))
    invite = await node.accounts.invitation(token)
    if invite is None:
        raise web.HTTPNotFound(text="This link is unknown, used or expired.")
    try:
        if new != str(_form(request).get("repeat", "")):
            raise DomainError("member.mismatch", "The passwords differ.")
        member = await node.accounts.accept(token, new)
    except DomainError as exc:
        csrf = request.cookies.get("nst_csrf", "")
        response = render(
            request, "join.html", {"invite": invite, "csrf": csrf, "error": exc.message}
        )
        response.set_status(400)
        return response
    session, _ = await node.accounts.start_session(member.handle)
    response = web.HTTPSeeOther("/")
    response.set_cookie(COOKIE, session, httponly=True, samesite="Lax", path="/")
    raise response


# --- admin ---------------------------------------------------------------------------------


async def admin_invite_member(request: web.Request) -> web.Response:
    node = _node(request)
    try:
        token = await node.accounts.invite(
            _field(request, "handle", 32).lower(),
            _field(request, "display_name", 200),
            "admin" if _form(request).get("admin") == "yes" else "member",
        )
    except DomainError as exc:
        raise back(request, "/admin", exc) from None
    base = str(request.url.origin())
    flash(request, f"Pass this one-time link on: {base}/join/{token}", "info")
    raise web.HTTPSeeOther("/admin#invites")


async def admin_revoke_invite(request: web.Request) -> web.Response:
    await _node(request).accounts.revoke_invitation(_field(request, "id", 100))
    raise web.HTTPSeeOther("/admin#invites")


async def admin_member_state(request: web.Request) -> web.Response:
    node = _node(request)
    handle = _field(request, "handle", 32)
    if handle == session_of(request).member.handle:
        raise back(request, "/admin", DomainError("member.self", "You cannot disable yourself."))
    try:
        await node.set_disabled(handle, _field(request, "disabled", 5) == "yes")
        await node.accounts.end_sessions(handle)
    except DomainError as exc:
        raise back(request, "/admin", exc) from None
    raise web.HTTPSeeOther("/admin")


async def admin_link(request: web.Request) -> web.Response:
    node = _node(request)
    if node.links is None:
        raise back(request, "/admin", DomainError("links.off", "Federation is not running."))
    action = _field(request, "action", 20)
    try:
        if action == "invite":
            invite = await node.links.create_invite(note=_field(request, "note", 200))
            flash(request, f"Give this invite to the other organization's admin: {invite}", "info")
        elif action == "link":
            peer = await node.links.link(_field(request, "invite", 4000))
            flash(request, f"Linked with {peer.name or peer.node_id}.", "info")
        elif action == "unlink":
            await node.links.unlink(_field(request, "node_id", 100))
        elif action == "revoke":
            await node.revoke_link_invite(_field(request, "token_hash", 100))
        else:
            raise DomainError("form.bad_action", f"no action {action!r}")
    except DomainError as exc:
        raise back(request, "/admin#links", exc) from None
    except RemoteProtocolError as exc:
        raise back(request, "/admin#links", DomainError(str(exc.code), exc.message)) from None
    except Exception as exc:  # the other node did not answer, or answered wrong
        raise back(request, "/admin#links", DomainError("links.failed", str(exc)[:300])) from None
    await node.load_org_names()
    raise web.HTTPSeeOther("/admin#links")


# --- notifications -------------------------------------------------------------------------


async def notifications(request: web.Request) -> web.Response:
    node = _node(request)
    handle = session_of(request).member.handle
    items = await node.notifications.recent(handle)
    settings = await node.notifications.settings(handle)
    response = render(
        request,
        "notifications.html",
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
    try:
        await node.notifications.set_digest(
            session_of(request).member.handle, _field(request, "digest", 10)
        )
    except DomainError as exc:
        raise back(request, "/notifications", exc) from None
    raise web.HTTPSeeOther("/notifications")


def routes(app: web.Application, page: Any) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/elections/{id}", page("member")(election))
    post("/elections/{id}", page("member")(election_act))
    post("/circles/{circle}/elections", page("member")(open_election))
    get("/meetings/{id}", page("member")(meeting))
    post("/meetings/{id}/minutes", page("member")(write_minutes))
    post("/circles/{circle}/meetings", page("member")(schedule_meeting))
    get("/circles/{circle}/logbook", page("member")(logbook_page))
    get("/circles/{circle}/logbook.{format:jsonl|html}", page("member")(logbook_export))
    get("/circles/{circle}/messages", page("member")(circle_messages))
    post("/circles/{circle}/messages", page("member")(post_message))
    get("/messages", page("member")(direct_list))
    get("/messages/{peer}", page("member")(direct_page))
    post("/messages/{peer}", page("member")(direct_send))
    get("/notifications", page("member")(notifications))
    post("/notifications", page("member")(notification_settings))
    get("/join/{token}", page("public")(join_form))
    post("/join/{token}", page("public")(join))
    post("/admin/invites", page("admin")(admin_invite_member))
    post("/admin/invites/revoke", page("admin")(admin_revoke_invite))
    post("/admin/members", page("admin")(admin_member_state))
    post("/admin/links", page("admin")(admin_link))
