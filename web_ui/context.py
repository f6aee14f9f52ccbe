"""What the web UI keeps on the application and on each request (typed keys), and how a
view reads it: the node, the member's session, the posted form, a note for the next page.

``web_ui.guard.page`` fills the request's keys before a view runs; ``web_ui.app.install``
fills the application's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from node.accounts import Session
from node.service import Node
from web_ui.proxies import ClientAddresses
from web_ui.throttle import LoginThrottle

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


def flash(request: web.Request, message: str, kind: str = "info") -> None:
    """A one-line note shown on the next page this member opens."""
    session = request.get(SESSION)
    if isinstance(session, Session):
        request.app[FLASH].setdefault(session.token_hash, []).append((kind, message))


__all__ = [
    "CLIENTS",
    "FLASH",
    "FORM",
    "NODE_KEY",
    "REFUSED",
    "SESSION",
    "STOPPING",
    "THROTTLE",
    "UNREAD",
    "flash",
    "node_of",
    "posted",
    "session_of",
]
