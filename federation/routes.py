"""The federation HTTP API under /fed/v1/, plugged into the node's aiohttp app.

Views only authenticate, hand the request to the Federation service and answer; every
answer to a signed request is signed in turn. Errors are JSON
``{"error": {"code": ..., "message": ...}}`` with the status saying who is at fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import structlog
from aiohttp import web

from federation.client import API
from federation.limits import MAX_REQUEST_BYTES
from federation.service import Federation
from federation.transport import Transport, read_at_most
from federation.verifier import Verifier
from node.service import Node
from protocol import MAX_INT, ErrorCode, RemoteProtocolError
from protocol.requests import NONCE, check_digest, check_encoding, sign_response

log = structlog.get_logger("nst.federation")

FEDERATION = web.AppKey("federation", Federation)
_INTEGER = re.compile(r"-?[0-9]+")

_STATUS = {
    ErrorCode.AUTH_NOT_LINKED: 403,
    ErrorCode.AUTH_DENIED: 403,
    ErrorCode.NOT_MEMBER: 403,
    ErrorCode.AUTH_RATE_LIMITED: 429,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.REQUEST_ENCODING_UNSUPPORTED: 415,
    ErrorCode.INVITE_INVALID: 403,
    ErrorCode.INVITE_EXPIRED: 403,
    ErrorCode.INVITE_USED: 403,
}


def _status(code: ErrorCode) -> int:
    if code in _STATUS:
        return _STATUS[code]
    return 401 if code.startswith("auth.") else 400


def _respond(fed: Federation, request: web.Request, status: int, body: bytes) -> web.Response:
    headers = {"Content-Type": "application/json"}
    if status == 429:
        headers["Retry-After"] = "1"  # a token comes back within a second
    nonce = request.headers.get(NONCE)
    if nonce:
        headers.update(sign_response(fed.node.key, nonce, status, body))
    return web.Response(status=status, body=body, headers=headers)


Handler = Callable[[Federation, str, web.Request, bytes], Awaitable[Any]]


def _too_large() -> RemoteProtocolError:
    return RemoteProtocolError(
        ErrorCode.REQUEST_TOO_LARGE, f"request body over {MAX_REQUEST_BYTES} bytes"
    )


def _signed(handler: Handler, *, linking: bool = False) -> Any:
    async def view(request: web.Request) -> web.Response:
        fed = request.app[FEDERATION]
        try:
            # Nothing of the body is read (or inflated) before the sender is known: an
            # unauthenticated request costs one signature check at most (§12.2).
            check_encoding(request.headers)
            if (request.content_length or 0) > MAX_REQUEST_BYTES:
                raise _too_large()
            sender = await fed.authenticate(
                request.headers, request.method, request.raw_path, linking=linking
            )
            body = await read_at_most(request.content, MAX_REQUEST_BYTES)
            if len(body) > MAX_REQUEST_BYTES:
                raise _too_large()
            check_digest(request.headers, body)
            result = await handler(fed, sender, request, body)
        except RemoteProtocolError as exc:
            err = {"error": {"code": str(exc.code), "message": exc.message}}
            return _respond(fed, request, _status(exc.code), orjson.dumps(err))
        raw = result if isinstance(result, bytes) else orjson.dumps(result)
        return _respond(fed, request, 200, raw)

    return view


async def _node(request: web.Request) -> web.Response:
    """The identity document; to a signed request, signed (after the request's own
    check: one signature each way, no store, so anyone may ask at little cost)."""
    fed = request.app[FEDERATION]
    if NONCE not in request.headers:
        return web.json_response(fed.identity())
    try:
        fed.check_signed(request.headers, request.method, request.raw_path)
    except RemoteProtocolError as exc:
        err = {"error": {"code": str(exc.code), "message": exc.message}}
        return _respond(fed, request, _status(exc.code), orjson.dumps(err))
    return _respond(fed, request, 200, orjson.dumps(fed.identity()))


async def _link(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    return await fed.on_link(sender, body)


async def _unlink(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    return await fed.on_unlink(sender)


async def _inbox(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    return await fed.on_inbox(sender, body)


async def _heads(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    return await fed.on_heads(sender, request.match_info["scope"])


def _integer(request: web.Request, name: str, default: int) -> int:
    """A query parameter that is a decimal integer (ASCII digits, an optional minus):
    request.malformed if it is not one, json.int_range past ±(2^53−1) at any length."""
    text = request.query.get(name)
    if text is None:
        return default
    if not _INTEGER.fullmatch(text):
        raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, f"{name} is not a decimal integer")
    if len(text.lstrip("-").lstrip("0")) > len(str(MAX_INT)) or abs(int(text)) > MAX_INT:
        raise RemoteProtocolError(ErrorCode.INT_RANGE, f"{name} is beyond ±(2^53-1)")
    return int(text)


async def _feed(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    author = request.query.get("author")
    if author is None:
        raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, "feed takes author, after and limit")
    after, limit = _integer(request, "after", 0), _integer(request, "limit", 500)
    return await fed.on_feed(sender, request.match_info["scope"], author, after, limit)


async def _order(fed: Federation, sender: str, request: web.Request, body: bytes) -> Any:
    after, limit = _integer(request, "after", 0), _integer(request, "limit", 1000)
    return await fed.on_order(sender, request.match_info["scope"], after, limit)


def install(
    app: web.Application,
    node: Node,
    transport: Transport,
    *,
    workers: bool = True,
    verify_workers: int = 0,
) -> Federation:
    """Add the federation API (and, with ``workers``, delivery and sync) to ``app``;
    ``verify_workers`` processes verify large batches on other cores."""
    fed = Federation(node, transport, verifier=Verifier(workers=verify_workers))
    app[FEDERATION] = fed
    node.links = fed
    app.router.add_get(f"{API}/node", _node)
    app.router.add_post(f"{API}/link", _signed(_link, linking=True))
    app.router.add_post(f"{API}/unlink", _signed(_unlink))
    app.router.add_post(f"{API}/inbox", _signed(_inbox))
    app.router.add_get(API + "/scopes/{scope}/heads", _signed(_heads))
    app.router.add_get(API + "/scopes/{scope}/feed", _signed(_feed))
    app.router.add_get(API + "/scopes/{scope}/order", _signed(_order))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        tasks = []
        if workers:
            tasks = [
                asyncio.create_task(fed.run_delivery(), name="nst-delivery"),
                asyncio.create_task(fed.run_sync(), name="nst-sync"),
            ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await transport.close()
            fed.verifier.close()

    app.cleanup_ctx.append(lifecycle)
    return fed
