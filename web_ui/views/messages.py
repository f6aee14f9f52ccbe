"""Messages: a circle's thread, and direct messages between organizations (sealed to
the other organization's node)."""

from __future__ import annotations

from aiohttp import web

from node import direct, messages
from node.domain.errors import DomainError
from protocol import RemoteProtocolError
from web_ui.context import node_of, posted, session_of
from web_ui.errors import known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render


async def circle_messages(request: web.Request) -> web.Response:
    node = node_of(request)
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
    node = node_of(request)
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
    node = node_of(request)
    peers = [p for p in await node.peer_list() if p["state"] == "linked"]
    return render(
        request, "messages/direct.html", {"peers": peers, "peer": None, "conversation": []}
    )


async def direct_page(request: web.Request) -> web.Response:
    node = node_of(request)
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
    node = node_of(request)
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


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/circles/{circle}/messages", page("member")(circle_messages))
    post("/circles/{circle}/messages", page("member", again=circle_messages)(post_message))
    get("/messages", page("member")(direct_list))
    get("/messages/{peer}", page("member")(direct_page))
    post("/messages/{peer}", page("member", again=direct_page)(direct_send))
