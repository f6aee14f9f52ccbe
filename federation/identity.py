"""The identity document at a URL, for a tool that links with nodes without being one.

A node that is linked with checks that the linking side answers at the URL it gives
(PROTOCOL.md §12.6): ``serve_identity`` answers ``GET /fed/v1/node`` there for as long
as the handshake takes, signed with the tool's key as a node signs its answers.

    async with serve_identity(key, "My tool") as url:
        await client.link(invite.url, invite.node, invite.token, url, "My tool")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from aiohttp import web
from nacl.signing import SigningKey

from protocol import node_id_of
from protocol.requests import NONCE, sign_response


@asynccontextmanager
async def serve_identity(
    key: SigningKey, name: str = "", host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Answer the identity document of ``key``'s node at ``host:port`` (0: a free port)
    until the block ends; yields the URL."""
    node_id = node_id_of(key)

    async def identity(request: web.Request) -> web.Response:
        body = orjson.dumps({"node_id": node_id, "name": name})
        headers = {"Content-Type": "application/json"}
        if NONCE in request.headers:
            headers.update(sign_response(key, request.headers[NONCE], 200, body))
        return web.Response(body=body, headers=headers)

    # Never inflate a request body (PROTOCOL.md §12.1): none is read here anyway.
    app = web.Application(handler_args={"auto_decompress": False})
    app.router.add_get("/fed/v1/node", identity)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        yield f"http://[{host}]:{bound}" if ":" in host else f"http://{host}:{bound}"
    finally:
        await runner.cleanup()
