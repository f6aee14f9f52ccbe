"""The members' web UI: server-rendered pages (jinja2, autoescaped) that work without
JavaScript, a few lines of script for live updates (server-sent events).

``install(app, node)`` adds it to the node's aiohttp application. Every view is
registered through ``page(role)``, which loads the session, refuses anyone without the
role (a login redirect, or 403), checks the CSRF token of every POST, and sets the
security headers; so no view is reachable unauthorized by omission.
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
from aiohttp import web

from node.accounts import Session
from node.domain.errors import DomainError
from node.service import Node
from web_ui.throttle import LoginThrottle

Role = Literal["public", "member", "admin"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "nst_session"
NODE_KEY = web.AppKey("web_node", Node)
THROTTLE = web.AppKey("web_throttle", LoginThrottle)
FLASH = web.AppKey("web_flash", dict)
SESSION = web.RequestKey("web_session", object)
FORM = web.RequestKey("web_form", object)
UNREAD = web.RequestKey("web_unread", int)
_STATIC = Path(__file__).with_name("static")
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


def page(role: Role) -> Callable[[Handler], Handler]:
    """Wrap a view: session, role check, CSRF on POST, security headers."""

    def wrap(view: Handler) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            node = request.app[NODE_KEY]
            session = await node.accounts.session(request.cookies.get(COOKIE))
            if session is not None:
                request[SESSION] = session
            if role != "public":
                if session is None:
                    if request.method == "GET":
                        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
                    raise _error(401, "auth.login_required", "Log in first.")
                if role == "admin" and session.member.role != "admin":
                    raise _error(403, "auth.forbidden", "This page is for the node's admins.")
            if session is not None and request.method == "GET":
                request[UNREAD] = await node.notifications.unread(session.member.handle)
            if request.method == "POST":
                form = await request.post()
                request[FORM] = form
                expected = session.csrf if session else request.cookies.get("nst_csrf", "")
                given = str(form.get("_csrf", ""))
                if not expected or not hmac.compare_digest(given, expected):
                    raise _error(403, "auth.csrf", "The form expired or came from elsewhere.")
            response = await view(request)
            response.headers.update(_HEADERS)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return handler

    return wrap


def _error(status: int, code: str, message: str) -> web.HTTPException:
    cls = {401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound}.get(
        status, web.HTTPBadRequest
    )
    exc = cls(text=f"{code}: {message}")
    exc.code_name = code  # type: ignore[attr-defined]
    exc.message = message  # type: ignore[attr-defined]
    return exc


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Web UI errors as pages with their code; federation and health answers untouched."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        code = getattr(exc, "code_name", None)
        if code is None or request.path.startswith("/fed/"):
            raise
        response = render(
            request,
            "error.html",
            {"code": code, "message": getattr(exc, "message", ""), "status": exc.status},
        )
        response.set_status(exc.status)
        response.headers.update(_HEADERS)
        return response


def flash(request: web.Request, message: str, kind: str = "error") -> None:
    session = request.get(SESSION)
    if isinstance(session, Session):
        request.app[FLASH].setdefault(session.token_hash, []).append((kind, message))


def back(request: web.Request, to: str, error: DomainError | None = None) -> web.HTTPSeeOther:
    """Post/redirect/get: back to ``to``, with the domain error shown there."""
    if error is not None:
        flash(request, f"{error.message} ({error.code})")
    return web.HTTPSeeOther(to)


def render(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    found = request.get(SESSION)
    session = found if isinstance(found, Session) else None
    node = request.app[NODE_KEY]
    messages = request.app[FLASH].pop(session.token_hash, []) if session else []
    base = {
        "unread": request.get(UNREAD, 0),
        "me": session.member if session else None,
        "actor": node.actor_of(session.member.handle) if session else None,
        "csrf": session.csrf if session else "",
        "node_name": node.config.name,
        "messages": messages,
        "path": request.path,
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
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), 15)
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
    from web_ui import more, views

    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("web_ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.filters["short"] = views.short
    env.filters["when"] = views.when
    env.filters["date"] = lambda d: "" if d is None else str(d)
    env.globals["org_name"] = lambda node_id: views.org_name(app, node_id)
    app[NODE_KEY] = node
    app[THROTTLE] = LoginThrottle()
    app[FLASH] = {}
    app.middlewares.append(_errors)
    views.routes(app, page, live)
    more.routes(app, page)
    app.router.add_static("/static", _STATIC, append_version=True)


__all__ = ["back", "flash", "install", "page", "render", "session_of"]
