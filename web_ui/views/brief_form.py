"""The Coalition Brief's sign-up form as a page shows it (``/brief`` and the public
home's ``#brief`` section): the public campaigns to choose among, the words a person
agrees to, and the CSRF token a stranger's form carries (set as a cookie)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.brief.records import MAX_NAME, MAX_TOWN, WORDING, WORDING_VERSION
from web_ui.context import SESSION, node_of
from web_ui.public_forms import REFUSAL, keep_csrf, stranger_csrf


async def form_context(request: web.Request) -> dict[str, Any]:
    """What the sign-up form needs."""
    node = node_of(request)
    session = request.get(SESSION)
    return {
        "brief_open": node.brief.open,
        "brief_campaigns": await node.campaigns.public_campaigns(),
        "brief_wording": WORDING,
        "brief_version": WORDING_VERSION,
        "brief_bounds": {"name": MAX_NAME, "town": MAX_TOWN},
        "brief_refusal": request.get(REFUSAL, ""),
        "csrf": getattr(session, "csrf", None) or stranger_csrf(request),
    }


def with_csrf(
    request: web.Request, response: web.Response, context: dict[str, Any]
) -> web.Response:
    """``response`` with the stranger's CSRF cookie its form needs."""
    if SESSION not in request:
        keep_csrf(request, response, context["csrf"])
    return response


__all__ = ["form_context", "with_csrf"]
