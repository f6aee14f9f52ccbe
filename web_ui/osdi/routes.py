"""The OSDI API's HTTP views under ``/osdi/v1/``, read-only: the entry point, the
collection of advocacy campaigns and each one, a campaign's outreaches and each one.

Every view goes through ``api``: the token check first (``web_ui.osdi.access``), then
the view, whose document is sent as ``application/hal+json``; a refusal is JSON
``{"error": {"code", "message"}}`` with its status. Unknown paths under ``/osdi/`` are
refused the same way, after the token check, so they tell nothing to whoever has none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from node.service import Node
from protocol import ErrorCode
from web_ui.context import NODE_KEY
from web_ui.osdi import documents
from web_ui.osdi.access import Refused, require_token
from web_ui.osdi.documents import Document, Page
from web_ui.osdi.paging import MAX_PER_PAGE, PagingError, requested

PREFIX = "/osdi/v1/"
View = Callable[[web.Request, Node, str], Awaitable[Document]]
HEADERS = {
    "Cache-Control": "max-age=0, private, must-revalidate",
    "X-Content-Type-Options": "nosniff",
}


def _send(status: int, doc: Document, content_type: str) -> web.Response:
    response = web.Response(status=status, body=orjson.dumps(doc), content_type=content_type)
    response.headers.update(HEADERS)
    return response


def api(view: View) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a view: token check, the document as hal+json, refusals as coded JSON."""

    async def handler(request: web.Request) -> web.StreamResponse:
        node = request.app[NODE_KEY]
        try:
            await require_token(request, node)
            doc = await view(request, node, node.config.url.rstrip("/") + PREFIX)
        except Refused as exc:
            return _send(exc.status, documents.error(exc.code, exc.message), "application/json")
        except PagingError as exc:
            return _send(400, documents.error(exc.code, str(exc)), "application/json")
        return _send(200, doc, documents.MEDIA_TYPE)

    return handler


def _not_found(what: str) -> Refused:
    return Refused(404, ErrorCode.OSDI_NOT_FOUND, f"No {what} here by that id.")


async def entry_point(request: web.Request, node: Node, base: str) -> Document:
    return documents.entry_point(base, MAX_PER_PAGE)


async def advocacy_campaigns(request: web.Request, node: Node, base: str) -> Document:
    page, per_page = requested(request.query)
    total, found = await node.osdi.campaigns((page - 1) * per_page, per_page)
    items = [documents.advocacy_campaign(base, c, top=False) for c in found]
    return documents.collection(
        base + "advocacy_campaigns",
        "osdi:advocacy_campaigns",
        Page(page, per_page, total),
        items,
    )


async def advocacy_campaign(request: web.Request, node: Node, base: str) -> Document:
    found = await node.osdi.campaign(request.match_info["campaign"])
    if found is None:
        raise _not_found("advocacy campaign")
    return documents.advocacy_campaign(base, found)


async def campaign_outreaches(request: web.Request, node: Node, base: str) -> Document:
    page, per_page = requested(request.query)
    campaign_id = request.match_info["campaign"]
    found = await node.osdi.outreaches(campaign_id, (page - 1) * per_page, per_page)
    if found is None:
        raise _not_found("advocacy campaign")
    total, outreaches = found
    return documents.collection(
        documents.outreaches_href(base, campaign_id),
        "osdi:outreaches",
        Page(page, per_page, total),
        [documents.outreach(base, o, top=False) for o in outreaches],
    )


async def outreach(request: web.Request, node: Node, base: str) -> Document:
    found = await node.osdi.outreach(request.match_info["outreach"])
    if found is None:
        raise _not_found("outreach")
    return documents.outreach(base, found)


async def elsewhere(request: web.Request, node: Node, base: str) -> Document:
    raise Refused(404, ErrorCode.OSDI_NOT_FOUND, f"Nothing at {request.path}; start at {base}.")


def routes(app: web.Application) -> None:
    add = app.router.add_get
    add(PREFIX, api(entry_point))
    add(PREFIX.rstrip("/"), api(entry_point))
    add(PREFIX + "advocacy_campaigns", api(advocacy_campaigns))
    add(PREFIX + "advocacy_campaigns/{campaign}", api(advocacy_campaign))
    add(PREFIX + "advocacy_campaigns/{campaign}/outreaches", api(campaign_outreaches))
    add(PREFIX + "outreaches/{outreach}", api(outreach))
    add("/osdi/{tail:.*}", api(elsewhere))


__all__ = ["PREFIX", "routes"]
