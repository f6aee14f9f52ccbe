"""The public site, for anyone (no login): the organization's public home (``/`` for a
stranger, ``/public`` for everyone), its articles, its public campaigns and the place of
the Coalition Brief's sign-up. These pages show only what was made public: published
articles (no author), the home's words, and the public parts of public campaigns (no
member's name, no circle). Their layout is ``templates/public/layout.html``: no member
navigation, no script, the node's language in ``<html lang>``, description and Open
Graph tags for each page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.articles.records import Article
from web_ui.context import node_of
from web_ui.errors import page_error
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.brief_form import form_context, with_csrf
from web_ui.views.campaign_words import CAMPAIGN_STATUSES, CHANNELS, KEPT, STATUSES

#: How many articles the home and the list show.
RECENT = 5
LISTED = 50
WORDS = {
    "channels": CHANNELS,
    "statuses": STATUSES,
    "kept": KEPT,
    "campaign_statuses": CAMPAIGN_STATUSES,
}


def absolute(request: web.Request, path: str) -> str:
    """The address of ``path`` on this node, as others reach it."""
    return node_of(request).config.url.rstrip("/") + path


async def public_page(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    title: str,
    description: str,
    kind: str = "website",
) -> web.Response:
    """A page of the public site, with what its layout needs: the home's words, the
    language, the description and Open Graph tags, the feeds."""
    node = node_of(request)
    site = await node.site.home()
    return render(
        request,
        template,
        {
            **WORDS,
            **context,
            "site": site,
            "page_title": title,
            "description": description,
            "og_type": kind,
            "canonical": absolute(request, request.path),
        },
    )


async def public_home(request: web.Request) -> web.Response:
    """The organization's public home: its name, aim and causes, its public campaigns,
    its recent articles, and the brief's sign-up form."""
    node = node_of(request)
    site = await node.site.home()
    form = await form_context(request)
    response = await public_page(
        request,
        "public/home.html",
        {
            **form,
            "campaigns": await node.campaigns.public_campaigns(),
            "articles": await node.articles.published(RECENT),
        },
        title=site.name,
        description=site.aim,
    )
    return with_csrf(request, response, form)


async def articles(request: web.Request) -> web.Response:
    node = node_of(request)
    site = await node.site.home()
    return await public_page(
        request,
        "public/articles.html",
        {"articles": await node.articles.published(LISTED)},
        title="Articles",
        description=f"Articles of {site.name}.",
    )


def summary_of(request: web.Request, article: Article) -> str:
    """An article's summary, or the start of its text."""
    return article.summary or node_of(request).articles.plain(article.body)


async def article(request: web.Request) -> web.Response:
    node = node_of(request)
    found = await node.articles.public(request.match_info["slug"])
    if found is None:
        raise page_error(404, "article.unknown", "There is no such article.")
    return await public_page(
        request,
        "public/article.html",
        {"article": found, "html": node.articles.render(found.body)},
        title=found.title,
        description=summary_of(request, found),
        kind="article",
    )


async def campaign(request: web.Request) -> web.Response:
    node = node_of(request)
    found = await node.campaigns.public_campaign(request.match_info["public_id"])
    if found is None:
        raise page_error(404, "campaign.unknown_campaign", "There is no such public campaign.")
    return await public_page(
        request,
        "public/campaign.html",
        {"campaign": found},
        title=found.name,
        description=found.goal,
    )


def routes(app: web.Application) -> None:
    get = app.router.add_get
    get("/public", page("public")(public_home))
    get("/articles", page("public")(articles))
    get("/articles/{slug}", page("public")(article))
    get("/public/campaigns/{public_id}", page("public")(campaign))
