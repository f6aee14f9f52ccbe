"""A circle's logbook: its decisions, selections, charters and minutes in order, each
chained to the one before, and its export (JSON lines to verify, or a printable page)."""

from __future__ import annotations

import base64
import hashlib
import re

from aiohttp import web

from web_ui.context import node_of
from web_ui.errors import known
from web_ui.guard import HEADERS, page
from web_ui.render import render


async def logbook_page(request: web.Request) -> web.Response:
    node = node_of(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    return render(
        request,
        "logbook/logbook.html",
        {"circle": circle, "entries": await node.gov.logbook(circle.id)},
    )


async def logbook_export(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    known(await node.circle(circle_id), "circle")
    fmt = request.match_info["format"]
    body = await node.gov.logbook_export(circle_id, fmt)
    if fmt == "html":
        headers = {"Content-Security-Policy": _with_page_style(body)}
        return web.Response(body=body, content_type="text/html", headers=headers)
    return web.Response(
        body=body,
        content_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="logbook.jsonl"'},
    )


_STYLE = re.compile(rb"<style>(.*?)</style>", re.S)


def _with_page_style(body: bytes) -> str:
    """The pages' policy, allowing the printable page's own style block (by its hash):
    the page stands alone when saved or printed, so its style is inline."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m).digest()).decode() + "'"
        for m in _STYLE.findall(body)
    )
    policy = HEADERS["Content-Security-Policy"]
    return policy.replace("style-src 'self'", f"style-src 'self' {hashes}")


def routes(app: web.Application) -> None:
    get = app.router.add_get
    get("/circles/{circle}/logbook", page("member")(logbook_page))
    get("/circles/{circle}/logbook.{format:jsonl|html}", page("member")(logbook_export))
