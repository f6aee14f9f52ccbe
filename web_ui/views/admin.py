"""The admin's pages: members, member invitations (the newcomer's page that uses one is
``web_ui.views.auth``), links with other organizations' nodes, and invitations to their
circles. A new invitation is shown on a page of its own (``web_ui.handover``) until the
admin dismisses it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node import second_factor, visibility
from node.domain.errors import DomainError
from node.service import Node
from protocol import RemoteProtocolError
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import page_error
from web_ui.forms import Form, FormRefused, limit
from web_ui.guard import page
from web_ui.handover import HANDOVERS, Handovers
from web_ui.render import render

_GONE = (
    "This invitation is no longer shown here: it was dismissed, or the node restarted since."
    " The invitation itself works until it expires; if it was lost, revoke it on the admin"
    " page and make a new one."
)


def _handovers(request: web.Request) -> Handovers:
    return request.app[HANDOVERS]


async def admin(request: web.Request) -> web.Response:
    node = node_of(request)
    status = await node.status()
    circles = await node.circles()
    opened = {
        c["id"]
        for c in circles
        if (found := await node.circle(c["id"])) is not None
        and await visibility.visibility(node, found) == "organization"
    }
    names = {str(c["id"]): str(c["name"]) for c in circles}
    return render(
        request,
        "admin/admin.html",
        {
            "members": await node.members(),
            "second_factor": await second_factor.handles_on(node),
            "circles": circles,
            "opened": opened,
            "status": status,
            "disputes": status["disputes"],
            "stuck": [(c, names.get(c.circle, "a circle")) for c in node.gov.stuck()],
            "votes_against_us": await node.gov.votes_against_us(),
            "invites": await node.accounts.invitations(),
            "links": node.links is not None,
            "link_invites": await node.link_invites(),
            "circle_invitations": [
                (i, invitation_form(i.circle_id)) for i in await node.circle_invitations.pending()
            ],
            "settings": {
                "Name": node.config.name,
                "Public URL": node.config.url,
                "Listening on": f"{node.config.listen_host}:{node.config.listen_port}",
                "Development mode": "on" if node.config.dev_mode else "off",
                "Metrics": "public" if node.config.metrics_public else "loopback only",
            },
        },
    )


# --- member invitations --------------------------------------------------------------------


async def invite_member(request: web.Request) -> web.Response:
    node = node_of(request)
    form = Form("invite", posted(request))
    handle = form.text("handle", "handle", limit("member.handle"), required=True, lower=True)
    name = form.text("display_name", "name", limit("member.display_name"), required=True)
    role = "admin" if form.raw("admin") == "yes" else "member"
    form.check()
    try:
        token = await node.accounts.invite(handle, name, role)
    except DomainError as exc:
        fields = {
            "member.bad_handle": "handle",
            "member.exists": "handle",
            "member.invited": "handle",
            "member.bad_name": "display_name",
        }
        raise form.refuse(exc, fields) from None
    expires = next(
        (
            str(i["expires_at"])
            for i in await node.accounts.invitations()
            if i["handle"] == handle and not i["used_at"]
        ),
        "",
    )
    link = f"{request.url.origin()}/join/{token}"
    about = {"handle": handle, "name": name, "role": role, "expires_at": expires}
    shown = _handovers(request).keep(session_of(request).token_hash, "member", link, about)
    raise web.HTTPSeeOther(f"/admin/handover/{shown}")


async def revoke_invite(request: web.Request) -> web.Response:
    await node_of(request).accounts.revoke_invitation(str(posted(request).get("id", ""))[:100])
    raise web.HTTPSeeOther("/admin#invites")


# --- members -------------------------------------------------------------------------------


async def member_state(request: web.Request) -> web.Response:
    node = node_of(request)
    handle = str(posted(request).get("handle", ""))[:64]
    form = Form(f"member-{handle}", posted(request))
    if handle == session_of(request).member.handle:
        form.fail("", "You cannot disable yourself: ask another admin.")
    form.check()
    try:
        await node.set_disabled(handle, form.raw("disabled") == "yes")
        await node.accounts.end_sessions(handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther("/admin")


async def member_second_factor(request: web.Request) -> web.Response:
    """Turn off a member's second factor (they lost their authenticator app)."""
    node = node_of(request)
    handle = str(posted(request).get("handle", ""))[:64]
    form = Form(f"member-{handle}", posted(request))
    try:
        await second_factor.reset(node, handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    flash(request, f"The second factor of {handle} is off: their password alone logs in.")
    raise web.HTTPSeeOther("/admin")


# --- circles -------------------------------------------------------------------------------


async def circle_visibility(request: web.Request) -> web.Response:
    """Who on this node reads a local circle (the admin sees every circle's name and aim,
    and says who reads it, without reading it)."""
    node = node_of(request)
    circle_id = str(posted(request).get("circle", ""))[:100]
    form = Form(f"circle-{circle_id}", posted(request))
    value = form.choice("visibility", "readers", visibility.VISIBILITIES)
    form.check()
    try:
        await visibility.set_visibility(node, circle_id, value, session_of(request).member.handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther("/admin#circles")


# --- links with other organizations --------------------------------------------------------


async def links(request: web.Request) -> web.Response:
    node = node_of(request)
    data = posted(request)
    action = str(data.get("action", ""))
    form = Form({"invite": "make-invite", "link": "use-invite"}.get(action, "links"), data)
    if node.links is None:
        form.fail("", "Links with other organizations need the federation, which is not running.")
        form.check()
    assert node.links is not None
    try:
        if action == "invite":
            note = form.text("note", "note", limit("link.note"))
            form.check()
            invite = await node.links.create_invite(note=note)
            expires = next(
                (
                    str(i["expires_at"])
                    for i in await node.link_invites()
                    if i["token_hash"] == invite.token_hash
                ),
                "",
            )
            about = {"note": note, "expires_at": expires}
            shown = _handovers(request).keep(
                session_of(request).token_hash, "link", str(invite), about
            )
            raise web.HTTPSeeOther(f"/admin/handover/{shown}")
        if action == "link":
            text = form.text("invite", "invite", limit("link.invite"), required=True)
            form.check()
            peer = await _link(node, form, text)
            flash(request, f"Linked with {peer.name or peer.node_id}.")
        elif action == "unlink":
            await node.links.unlink(form.raw("node_id")[:100])
        elif action == "revoke":
            await node.revoke_link_invite(form.raw("token_hash")[:100])
        else:
            form.fail("", "This form does not belong to this page any more: reload the page.")
            form.check()
    except (DomainError, RemoteProtocolError) as exc:
        raise form.refuse(exc, {str(exc.code): "invite"} if action == "link" else {}) from None
    raise web.HTTPSeeOther("/admin#links")  # the next page loads the names afresh


# What the other organization's node said, in words, with what to do about it.
_LINK_REFUSED = {
    "link.url_unreachable": "The other organization's node could not reach this node at"
    " {url}. Other nodes must reach this node there: set its public address (public_url)"
    " to the https:// address of this node, then link again.",
    "link.url_wrong_node": "The other organization's node found another node at this"
    " node's address ({url}). Give this node an address of its own (public_url, or its"
    " own port), then link again.",
    "link.invite_used": "This invite was used already. Ask the other organization for a new one.",
    "link.invite_expired": "This invite has expired. Ask the other organization for a new one.",
    "link.invite_invalid": "The other organization's node does not know this invite: it"
    " was revoked or changed on the way. Ask for a new one.",
    "auth.denied": "The other organization's node does not accept links from this node.",
}


async def _link(node: Node, form: Form, text: str) -> Any:
    assert node.links is not None
    try:
        return await node.links.link(text)
    except (DomainError, RemoteProtocolError):
        raise
    except Exception as exc:  # the other node refused (its code says why), or did not answer
        code = str(getattr(exc, "code", ""))
        words = _LINK_REFUSED.get(code)
        if words:
            form.fail("invite", words.format(url=node.config.url))
        elif code:
            message = getattr(exc, "message", str(exc))
            form.fail("invite", f"The other organization's node refused the link: {message}")
        else:
            form.fail(
                "invite",
                "The other organization's node does not answer at the address in the invite."
                " Ask its admin whether it runs, or for a new invite.",
            )
    raise FormRefused(form.state)


# --- invitations to other organizations' circles -------------------------------------------


def invitation_form(circle_id: str) -> str:
    """The name of the form answering the invitation to ``circle_id`` (its local part:
    letters, digits, - and _, fit for an HTML id)."""
    return "join-" + circle_id.removeprefix("circle:").partition("@")[0][:64]


async def circle_invitation(request: web.Request) -> web.Response:
    node = node_of(request)
    data = posted(request)
    circle_id = str(data.get("circle", ""))[:200]
    action = str(data.get("action", ""))
    form = Form(invitation_form(circle_id), data)
    by = session_of(request).member.handle
    try:
        if action == "accept":
            i = await node.circle_invitations.accept(circle_id, by)
            flash(
                request,
                f"This node joined {i.name}, a circle of {i.home_name}. Its history is on its"
                " way from their node; your members in it see it as it arrives.",
            )
        elif action == "decline":
            i = await node.circle_invitations.decline(circle_id, by)
            flash(request, f"You declined to join {i.name}; {i.home_name} is told.")
        else:
            form.fail("", "This form does not belong to this page any more: reload the page.")
            form.check()
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther("/admin#circle-invitations")


# --- handing an invitation over ------------------------------------------------------------


async def handover_page(request: web.Request) -> web.Response:
    item = _handovers(request).get(session_of(request).token_hash, request.match_info["id"])
    if item is None:
        raise page_error(404, "admin.handover_gone", _GONE)
    return render(request, "admin/handover.html", {"item": item})


async def handover_done(request: web.Request) -> web.Response:
    item_id = request.match_info["id"]
    handovers = _handovers(request)
    item = handovers.get(session_of(request).token_hash, item_id)
    handovers.dismiss(session_of(request).token_hash, item_id)
    raise web.HTTPSeeOther("/admin#links" if item and item.kind == "link" else "/admin#invites")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/admin", page("admin")(admin))
    post("/admin/invites", page("admin", again=admin)(invite_member))
    post("/admin/invites/revoke", page("admin")(revoke_invite))
    post("/admin/members", page("admin", again=admin)(member_state))
    post("/admin/members/second-factor", page("admin", again=admin)(member_second_factor))
    post("/admin/circles", page("admin", again=admin)(circle_visibility))
    post("/admin/links", page("admin", again=admin)(links))
    post("/admin/circle-invitations", page("admin", again=admin)(circle_invitation))
    get("/admin/handover/{id}", page("admin")(handover_page))
    post("/admin/handover/{id}", page("admin")(handover_done))
