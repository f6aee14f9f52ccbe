"""The members' web UI: server-rendered pages (jinja2, autoescaped) that work without
JavaScript, a few lines of script for live updates (server-sent events).

``install(app, node)`` adds it to the node's aiohttp application. Every view is
registered through ``page(role)``, which loads the session, refuses anyone without the
role (a login redirect, or 403), checks the CSRF token of every POST, refuses a circle's
pages to whoever may not read the circle (``node.visibility``; the path parameters in
``CIRCLE_PARAMS`` name the circle or something in it), and sets the security headers;
so no view is reachable unauthorized by omission.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import hdrs, web
from multidict import MultiDictProxy

from node import visibility
from node.accounts import Session
from node.service import Node
from web_ui.cookies import csrf_name, session_token
from web_ui.errors import describe, page_error
from web_ui.forms import FormRefused, FormState, blank, limit
from web_ui.handover import HANDOVERS, Handovers
from web_ui.proxies import ClientAddresses
from web_ui.throttle import LoginThrottle

Role = Literal["public", "member", "admin"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NODE_KEY = web.AppKey("web_node", Node)
THROTTLE = web.AppKey("web_throttle", LoginThrottle)
CLIENTS = web.AppKey("web_clients", ClientAddresses)
FLASH = web.AppKey("web_flash", dict)
# Set when the server shuts down: every live-update stream then ends at once, rather than
# holding the shutdown until its client goes away.
STOPPING = web.AppKey("web_stopping", asyncio.Event)
SESSION = web.RequestKey("web_session", object)
FORM = web.RequestKey("web_form", object)
REFUSED = web.RequestKey("web_refused", object)
UNREAD = web.RequestKey("web_unread", int)
_STATIC = Path(__file__).with_name("static")
_NOT_OURS = ("/fed/", "/livez", "/readyz", "/metrics", "/static/")
log = structlog.get_logger("nst.web")
# Path parameters that name a circle (True: the circle's own id) or something in one (an
# envelope id: a proposal, an election, a meeting). A route with one of them is shown
# only to whoever may read that circle; a new route names what it shows with these.
CIRCLE_PARAMS = {"circle": True, "root": False, "election": False, "meeting": False}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def session_of(request: web.Request) -> Session:
    s = request[SESSION]
    assert isinstance(s, Session)
    return s


def node_of(request: web.Request) -> Node:
    return request.app[NODE_KEY]


def posted(request: web.Request) -> MultiDictProxy[Any]:
    """The form of a POST, read (and its CSRF token checked) by ``page``."""
    form = request[FORM]
    assert isinstance(form, MultiDictProxy)
    return form


def page(role: Role, *, again: Handler | None = None) -> Callable[[Handler], Handler]:
    """Wrap a view: session, role check, CSRF on POST, security headers. A POST view
    that refuses its form (``FormRefused``) has the page ``again`` rendered once more,
    status 400, showing what was typed and what is wrong."""

    def wrap(view: Handler) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            node = request.app[NODE_KEY]
            session = await node.accounts.session(session_token(request, node))
            if session is not None:
                request[SESSION] = session
            if role != "public":
                if session is None:
                    if request.method == "GET":
                        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
                    raise page_error(401, "auth.login_required", "Log in first.")
                if role == "admin" and session.member.role != "admin":
                    raise page_error(403, "auth.forbidden", "This page is for the node's admins.")
            if session is not None and request.method == "GET":
                request[UNREAD] = await node.notifications.unread(session.member.handle)
            if request.method == "POST":
                if request.headers.get(hdrs.CONTENT_ENCODING, "").lower() not in ("", "identity"):
                    # The node never inflates a body (node.server): browsers send none.
                    raise page_error(
                        415,
                        "request.encoding_unsupported",
                        "The form arrived compressed; send it again uncompressed.",
                    )
                form = await request.post()
                request[FORM] = form
                expected = session.csrf if session else request.cookies.get(csrf_name(node), "")
                given = str(form.get("_csrf", ""))
                if not expected or not hmac.compare_digest(given, expected):
                    raise page_error(
                        403,
                        "auth.csrf",
                        "The form expired or came from elsewhere, so nothing was done."
                        " Go back, reload the page and send it again.",
                    )
            if session is not None:
                await _require_reader(request, node, session)
            try:
                response = await view(request)
            except FormRefused as exc:
                if again is None:
                    raise
                request[REFUSED] = exc.state
                if session is not None:
                    request[UNREAD] = await node.notifications.unread(session.member.handle)
                response = await again(request)
                response.set_status(400)
            response.headers.update(_HEADERS)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return handler

    return wrap


async def _require_reader(request: web.Request, node: Node, session: Session) -> None:
    """Refuse the page if a path parameter names a circle (or something in one) the
    member may not read. Unknown ids are left to the view, which says so."""
    for name, value in request.match_info.items():
        if name not in CIRCLE_PARAMS:
            continue
        handle = session.member.handle
        circle_id = value if CIRCLE_PARAMS[name] else await visibility.scope_of(node, value, handle)
        circle = await node.circle(circle_id) if circle_id else None
        if circle is None or await visibility.may_read(node, circle, handle):
            continue
        raise page_error(
            403,
            "circle.members_only",
            f"What happens in the circle {circle.name} is for its members only.",
        )


def _ours(request: web.Request) -> bool:
    """Whether a path is the web UI's (not the federation API, health or metrics)."""
    return not request.path.startswith(_NOT_OURS)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error of the web UI as a page of the site, with its navigation."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not _ours(request):
            raise
        return await _error_page(request, exc)
    except FormRefused as exc:  # a view refused a form without a page to show it on
        return await _error_page(
            request, page_error(400, "form.refused", " ".join(exc.state.errors.values()))
        )
    except Exception:
        if not _ours(request):
            raise
        log.exception("web.error", path=request.path)
        return await _error_page(request, web.HTTPInternalServerError())


async def _error_page(request: web.Request, exc: web.HTTPException) -> web.Response:
    if SESSION not in request:
        with contextlib.suppress(Exception):
            node = request.app[NODE_KEY]
            session = await node.accounts.session(session_token(request, node))
            if session is not None:
                request[SESSION] = session
    try:
        response = render(request, "error.html", describe(exc))
    except Exception:
        log.exception("web.error_page", path=request.path)
        response = web.Response(text="Something went wrong on this node.", status=500)
    response.set_status(exc.status)
    response.headers.update(_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
    return response


def flash(request: web.Request, message: str, kind: str = "info") -> None:
    """A one-line note shown on the next page this member opens."""
    session = request.get(SESSION)
    if isinstance(session, Session):
        request.app[FLASH].setdefault(session.token_hash, []).append((kind, message))


def render(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    found = request.get(SESSION)
    session = found if isinstance(found, Session) else None
    node = request.app[NODE_KEY]
    messages = request.app[FLASH].pop(session.token_hash, []) if session else []
    refused = request.get(REFUSED)

    def form(name: str) -> FormState:
        return refused if isinstance(refused, FormState) and refused.name == name else blank(name)

    base = {
        "unread": request.get(UNREAD, 0),
        "me": session.member if session else None,
        "actor": node.actor_of(session.member.handle) if session else None,
        "csrf": session.csrf if session else "",
        "node_name": node.config.name,
        "messages": messages,
        "path": request.path,
        "refused_form": refused,
        "form": form,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context})


# --- live updates ------------------------------------------------------------------------


async def live(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``change`` whenever the governance state may have changed."""
    node = request.app[NODE_KEY]
    changed = asyncio.Event()
    node.governance_listeners.append(changed.set)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", **_HEADERS}
    )
    await response.prepare(request)
    stopping = request.app[STOPPING]
    try:
        await response.write(b"retry: 2000\n\n")
        while not stopping.is_set():
            _, pending = await asyncio.wait(
                (asyncio.create_task(changed.wait()), asyncio.create_task(stopping.wait())),
                timeout=15,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in pending:
                task.cancel()
            if stopping.is_set():
                break
            if changed.is_set():
                changed.clear()
                await response.write(b"event: change\ndata: 1\n\n")
            else:
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        node.governance_listeners.remove(changed.set)
    return response


def install(app: web.Application, node: Node) -> None:
    """Add the web UI to a node's application."""
    from web_ui.views import (
        account,
        admin,
        auth,
        circles,
        elections,
        home,
        logbook,
        meetings,
        messages,
        notifications,
        proposals,
    )

    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("web_ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.filters["short"] = proposals.short
    env.filters["when"] = proposals.when
    env.filters["short_pair"] = lambda value: (value, proposals.short(value))
    env.filters["date"] = lambda d: "" if d is None else str(d)
    env.globals["org_name"] = lambda node_id: proposals.org_name(app, node_id)
    env.globals["limit"] = limit
    app[NODE_KEY] = node
    app[THROTTLE] = LoginThrottle()
    app[CLIENTS] = ClientAddresses(node)
    app[FLASH] = {}
    app[HANDOVERS] = Handovers()
    app[STOPPING] = asyncio.Event()

    async def stop_streams(app: web.Application) -> None:
        app[STOPPING].set()

    app.on_shutdown.append(stop_streams)
    app.middlewares.append(_errors)
    auth.routes(app, page)
    account.routes(app, page)
    home.routes(app, page)
    circles.routes(app, page)
    proposals.routes(app, page, live)
    elections.routes(app, page)
    meetings.routes(app, page)
    logbook.routes(app, page)
    messages.routes(app, page)
    notifications.routes(app, page)
    admin.routes(app, page)
    app.router.add_static("/static", _STATIC, append_version=True)


__all__ = ["flash", "install", "node_of", "page", "posted", "render", "session_of"]
