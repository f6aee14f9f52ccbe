"""The web UI's two cookies, a member's session and the CSRF token of the login forms.

Each is named after the node (``nst_session_<8 characters of its id>``): browsers do not
tell ports apart when they send cookies, so the demo's three nodes on 127.0.0.1, or any
two nodes on one host, would otherwise log each other's members out.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from node.accounts import SESSION_DAYS
from node.service import Node


def _suffix(node: Node) -> str:
    return node.node_id.removeprefix("ed25519:")[:8]


def session_name(node: Node) -> str:
    return f"nst_session_{_suffix(node)}"


def csrf_name(node: Node) -> str:
    return f"nst_csrf_{_suffix(node)}"


def _secure(node: Node) -> bool:
    return node.config.url.startswith("https://")


def session_token(request: web.Request, node: Node) -> str | None:
    return request.cookies.get(session_name(node))


def set_session(response: web.StreamResponse, node: Node, token: str) -> None:
    response.set_cookie(
        session_name(node),
        token,
        httponly=True,
        samesite="Lax",
        secure=_secure(node),
        max_age=SESSION_DAYS * 86400,
        path="/",
    )


def clear_session(response: web.StreamResponse, node: Node) -> None:
    response.del_cookie(session_name(node), path="/")


def login_csrf(request: web.Request, node: Node) -> str:
    """The CSRF token a logged-out form carries: the browser's own, or a new one."""
    return request.cookies.get(csrf_name(node)) or secrets.token_urlsafe(32)


def set_login_csrf(response: web.StreamResponse, node: Node, token: str) -> None:
    response.set_cookie(
        csrf_name(node), token, httponly=True, samesite="Strict", secure=_secure(node), path="/"
    )
