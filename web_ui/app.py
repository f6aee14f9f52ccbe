"""The members' web UI: server-rendered pages (jinja2, autoescaped) that work without
JavaScript, a few lines of script for live updates (server-sent events).

``install(app, node)`` adds it to the node's aiohttp application: the templates, the state
the views share, the middleware that shows every error as a page of the site, and the
routes of every page family in ``web_ui.views`` (each registers its views through
``web_ui.guard.page``, so no view is reachable unauthorized by omission), and the OSDI
API under ``/osdi/v1/`` (``web_ui.osdi``, whose every view checks its API token).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import structlog
from aiohttp import web

from node.service import Node
from web_ui.context import CLIENTS, FLASH, NODE_KEY, SESSION, STOPPING, THROTTLE
from web_ui.cookies import session_token
from web_ui.errors import describe, page_error
from web_ui.forms import FormRefused
from web_ui.guard import HEADERS, Handler
from web_ui.handover import HANDOVERS, Handovers
from web_ui.osdi import routes as osdi
from web_ui.proxies import ClientAddresses
from web_ui.public_forms import PUBLIC_LIMIT, RateLimit
from web_ui.render import render, setup_templates
from web_ui.throttle import LoginThrottle
from web_ui.views import (
    account,
    actions,
    admin,
    allies,
    allies_admin,
    auth,
    backlog,
    brief,
    brief_admin,
    brief_editor,
    campaign_forms,
    campaigns,
    circle_articles,
    circles,
    elections,
    home,
    live,
    logbook,
    meetings,
    messages,
    notifications,
    policies,
    proposals,
    public,
    public_admin,
    public_editor,
    public_feeds,
    roles,
    target_imports,
    targets,
)

# The page families, each adding its routes.
FAMILIES = (
    auth,
    account,
    home,
    public,
    brief,
    public_feeds,
    brief_editor,  # before public_editor: /editor/brief is not an article
    public_editor,
    public_admin,
    allies,
    allies_admin,
    brief_admin,
    circles,
    proposals,
    live,
    elections,
    roles,
    meetings,
    backlog,
    logbook,
    policies,
    messages,
    notifications,
    admin,
    target_imports,  # before campaigns: /campaigns/template.csv is not a campaign
    campaigns,
    campaign_forms,
    targets,
    actions,
    circle_articles,
)
_STATIC = Path(__file__).with_name("static")
_NOT_OURS = ("/fed/", "/osdi/", "/livez", "/readyz", "/metrics", "/static/", "/media/")
log = structlog.get_logger("nst.web")


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
    response.headers.update(HEADERS)
    response.headers["Cache-Control"] = "no-store"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
    return response


def install(app: web.Application, node: Node) -> None:
    """Add the web UI to a node's application."""
    setup_templates(app)
    app[NODE_KEY] = node
    app[THROTTLE] = LoginThrottle()
    app[CLIENTS] = ClientAddresses(node)
    app[PUBLIC_LIMIT] = RateLimit()
    app[FLASH] = {}
    app[HANDOVERS] = Handovers()
    app[STOPPING] = asyncio.Event()

    async def stop_streams(app: web.Application) -> None:
        app[STOPPING].set()

    app.on_shutdown.append(stop_streams)
    app.middlewares.append(_errors)
    for family in FAMILIES:
        family.routes(app)
    osdi.routes(app)  # the OSDI API: its own token check, no sessions (web_ui.osdi)
    app.router.add_static("/static", _STATIC, append_version=True)


__all__ = ["FAMILIES", "install"]
