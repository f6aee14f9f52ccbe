"""What machines read of the public site: Atom 1.0 feeds of articles and of campaign
updates (RFC 4287), ``/sitemap.xml``, ``/robots.txt``, and the articles' images. The XML
is built with ``xml.etree.ElementTree``, which escapes every text it is given."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Final

from aiohttp import web

from node.campaigns.public import PublicCampaign, PublicEvent
from web_ui.context import node_of
from web_ui.errors import page_error
from web_ui.guard import Handler, page
from web_ui.views.campaign_words import KEPT, STATUSES
from web_ui.views.public import LISTED, absolute, summary_of

ATOM: Final = "http://www.w3.org/2005/Atom"
SITEMAP: Final = "http://www.sitemaps.org/schemas/sitemap/0.9"
_ATOM_TYPE: Final = "application/atom+xml"
# An uploaded image is served as an image only: no page, no script, no sniffing.
_IMAGE_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
    "Cache-Control": "public, max-age=86400",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _day(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _feed(request: web.Request, title: str, updated: str, name: str) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": ATOM})
    _sub(feed, "id", absolute(request, request.path))
    _sub(feed, "title", title)
    _sub(feed, "updated", updated)
    _sub(_sub(feed, "author"), "name", name)
    _sub(feed, "link", rel="self", href=absolute(request, request.path), type=_ATOM_TYPE)
    _sub(feed, "link", rel="alternate", href=absolute(request, "/"), type="text/html")
    return feed


def _xml(root: ET.Element, content_type: str) -> web.Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return web.Response(body=body, content_type=content_type, charset="utf-8")


async def articles_feed(request: web.Request) -> web.Response:
    """The published articles, newest first."""
    node = node_of(request)
    site = await node.site.home()
    found = await node.articles.published(LISTED)
    updated = max((a.updated_at for a in found), default="1970-01-01T00:00:00Z")
    feed = _feed(request, f"{site.name}: articles", updated, site.name)
    for a in found:
        entry = _sub(feed, "entry")
        url = absolute(request, f"/articles/{a.slug}")
        # A circle's article is one entry in every member node's feed: its object's id.
        key = f"urn:nst:article:{a.object_id}" if a.object_id else None
        _sub(entry, "id", key or f"{absolute(request, '/articles')}/{a.id}")
        _sub(entry, "title", a.title)
        if a.circle:
            _sub(_sub(entry, "author"), "name", a.circle)
        _sub(entry, "updated", a.updated_at)
        _sub(entry, "published", a.published_at or a.updated_at)
        _sub(entry, "link", rel="alternate", href=url, type="text/html")
        _sub(entry, "summary", summary_of(request, a))
        _sub(entry, "content", node.articles.html(a), type="html")
    return _xml(feed, _ATOM_TYPE)


async def campaigns_feed(request: web.Request) -> web.Response:
    """Where the public campaigns' demands stand: each status and commitment, newest first."""
    node = node_of(request)
    site = await node.site.home()
    entries: list[tuple[PublicEvent, PublicCampaign]] = []
    for c in await node.campaigns.public_campaigns():
        entries.extend((event, c) for event in c.events)
    entries.sort(key=lambda pair: pair[0].date, reverse=True)
    entries = entries[:LISTED]
    updated = _day(entries[0][0].date) if entries else "1970-01-01T00:00:00Z"
    feed = _feed(request, f"{site.name}: campaign updates", updated, site.name)
    for event, c in entries:
        url = absolute(request, f"/public/campaigns/{c.id}")
        if event.kind == "status":
            what = f"{event.target}: {STATUSES.get(event.status, event.status)}"
            text = f"{c.name}. {event.demand}: {event.target} {STATUSES.get(event.status, '')}."
        else:
            what = f"{event.target} committed ({KEPT.get(event.status, event.status)})"
            text = f"{c.name}. {event.target} committed: {event.text}"
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{url}#{event.id}")
        _sub(entry, "title", f"{c.name}: {what}")
        _sub(entry, "updated", _day(event.date))
        _sub(entry, "link", rel="alternate", href=url, type="text/html")
        _sub(entry, "summary", text)
    return _xml(feed, _ATOM_TYPE)


async def sitemap(request: web.Request) -> web.Response:
    """Every public page: the home, the articles, the public campaigns, the brief, the
    allies' form."""
    node = node_of(request)
    urlset = ET.Element("urlset", {"xmlns": SITEMAP})
    pages: list[tuple[str, str | None]] = [("/", None), ("/articles", None), ("/brief", None)]
    pages.append(("/allies", None))
    pages += [(f"/articles/{a.slug}", a.updated_at) for a in await node.articles.published(LISTED)]
    pages += [(f"/public/campaigns/{c}", None) for c in await node.campaigns.public_ids()]
    for path, modified in pages:
        url = _sub(urlset, "url")
        _sub(url, "loc", absolute(request, path))
        if modified:
            _sub(url, "lastmod", modified[:10])
    return _xml(urlset, "application/xml")


async def robots(request: web.Request) -> web.Response:
    """Crawlers may read the public site, never the members' pages."""
    lines = [
        "User-agent: *",
        "Allow: /$",
        "Allow: /public",
        "Allow: /articles",
        "Allow: /brief",
        "Allow: /allies",
        "Allow: /feeds/",
        "Allow: /media/",
        "Allow: /static/",
        "Disallow: /",
        f"Sitemap: {absolute(request, '/sitemap.xml')}",
    ]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


async def media(request: web.Request) -> web.StreamResponse:
    """An article's image, with headers that keep it an image."""
    found = await node_of(request).articles.image_file(request.match_info["name"])
    if found is None:
        raise page_error(404, "article.unknown", "There is no such image.")
    path, content_type = found
    return web.FileResponse(path, headers={"Content-Type": content_type})


def routes(app: web.Application) -> None:
    get = app.router.add_get
    get("/feeds/articles.atom", page("public")(articles_feed))
    get("/feeds/campaigns.atom", page("public")(campaigns_feed))
    get("/sitemap.xml", page("public")(sitemap))
    get("/robots.txt", page("public")(robots))
    get("/media/{name}", _image_headers(page("public")(media)))


def _image_headers(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200:
            response.headers.update(_IMAGE_HEADERS)
        return response

    return wrapped
