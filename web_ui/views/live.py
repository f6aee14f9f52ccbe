"""Live updates: a stream of server-sent events that tells a member's open page when the
governance state may have changed (``static/live.js`` then reloads what it shows)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from web_ui.context import NODE_KEY, STOPPING
from web_ui.guard import HEADERS, page


async def live(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``change`` whenever the governance state may have changed."""
    node = request.app[NODE_KEY]
    changed = asyncio.Event()
    node.governance_listeners.append(changed.set)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", **HEADERS}
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


def routes(app: web.Application) -> None:
    app.router.add_get("/live", page("member")(live))
