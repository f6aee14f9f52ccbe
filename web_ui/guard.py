"""The guard every view is registered through: ``page(role)`` loads the session, refuses
anyone without the role (a login redirect, or 403), checks the CSRF token of every POST,
refuses a circle's pages to whoever may not read the circle (``node.visibility``; the path
parameters in ``CIRCLE_PARAMS`` name the circle or something in it), and sets the security
headers; so no view is reachable unauthorized by omission.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import quote

from aiohttp import hdrs, web

from node import visibility
from node.accounts import Session
from node.service import Node
from web_ui.context import FORM, NODE_KEY, REFUSED, SESSION, UNREAD
from web_ui.cookies import csrf_name, session_token
from web_ui.errors import page_error
from web_ui.forms import FormRefused

Role = Literal["public", "member", "admin"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Path parameters that name a circle (True: the circle's own id) or something in one (an
# envelope id: a proposal, an election, a meeting, a campaign or one of its objects). A
# route with one of them is shown only to whoever may read that circle; a new route
# names what it shows with these.
CIRCLE_PARAMS = {
    "circle": True,
    "root": False,
    "election": False,
    "meeting": False,
    "campaign": False,
    "target": False,
    "demand": False,
    "plan": False,
    "commitment": False,
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def page(
    role: Role, *, again: Handler | None = None, csrf: bool = True
) -> Callable[[Handler], Handler]:
    """Wrap a view: session, role check, CSRF on POST, security headers. A POST view
    that refuses its form (``FormRefused``) has the page ``again`` rendered once more,
    status 400, showing what was typed and what is wrong. ``csrf=False`` only for a
    public POST whose signed link is its authority (RFC 8058's one-click unsubscribe,
    which mail programs send without any page)."""
    assert csrf or role == "public", "only a public page goes without a CSRF check"

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
            if session is not None:
                await node.load_names()  # pages name people and organizations
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
                if csrf and (not expected or not hmac.compare_digest(given, expected)):
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
            for name, value in HEADERS.items():
                # A view may narrow a header for its page (the printable logbook's style).
                response.headers.setdefault(name, value)
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


__all__ = ["CIRCLE_PARAMS", "HEADERS", "Handler", "Role", "page"]
