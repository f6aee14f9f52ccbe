"""Who may read the OSDI API: a request carrying, in its ``OSDI-API-Token`` header, a
token the node's admin made and has not revoked (``node.osdi.tokens``). A member's
session cookie opens nothing here; the API has no session of its own."""

from __future__ import annotations

from aiohttp import web

from node.service import Node
from protocol import ErrorCode

HEADER = "OSDI-API-Token"


class Refused(Exception):
    """A request the API answers with an error: its HTTP status, code and message."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


async def require_token(request: web.Request, node: Node) -> str:
    """The name of the live token the request carries; refuses it (401) otherwise."""
    secret = request.headers.get(HEADER, "").strip()
    if not secret:
        raise Refused(
            401,
            ErrorCode.OSDI_TOKEN_MISSING,
            f"Send an API token in the {HEADER} header; the node's admin makes one"
            " with `nst admin osdi-token create NAME`.",
        )
    name = await node.osdi.tokens.check(secret)
    if name is None:
        raise Refused(
            401,
            ErrorCode.OSDI_TOKEN_INVALID,
            "This API token is unknown or revoked; ask the node's admin for a new one.",
        )
    return name
