"""A circle's articles (PROTOCOL.md §13.11): the circle's members draft them here, and a
proposal adopts a version; once adopted, every member organization's public site shows
it, "From the" circle. The list, the form of a new article, and the form of a new
version of one (which can withdraw it)."""

from __future__ import annotations

from aiohttp import web

from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.campaigns import Refusal, adopt_link


async def articles(request: web.Request) -> web.Response:
    """The circle's articles, drafts and adopted, and the form of a new one."""
    node = node_of(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    handle = session_of(request).member.handle
    found = await node.articles.circle.in_circle(circle.id)
    links = {
        a.id: adopt_link(circle.id, [a.latest], f"Publish the article {a.body.title}")
        for a in found
        if a.draft
    }
    return render(
        request,
        "circle_articles/articles.html",
        {
            "circle": circle,
            "articles": found,
            "links": links,
            "is_member": circle.is_active(node.actor_of(handle)),
        },
    )


async def article(request: web.Request) -> web.Response:
    """One article's latest version, and the form of a new version."""
    node = node_of(request)
    circle = known(await node.circle(request.match_info["circle"]), "circle")
    found = known(
        await node.articles.circle.article(circle.id, request.match_info["article"]), "article"
    )
    handle = session_of(request).member.handle
    return render(
        request,
        "circle_articles/article.html",
        {
            "circle": circle,
            "a": found,
            "html": node.articles.render(found.body.body, images=False),
            "is_member": circle.is_active(node.actor_of(handle)),
            "adopt": adopt_link(
                circle.id, [found.latest], f"Publish the article {found.body.title}"
            )
            if found.draft
            else None,
        },
    )


async def put_article(request: web.Request) -> web.Response:
    """A new article of the circle, or a new version of one: a draft until adopted."""
    node = node_of(request)
    circle_id = request.match_info["circle"]
    ref = request.match_info.get("article")
    form = Form(f"article-{ref}" if ref else "new-article", posted(request))
    title = form.text("title", "title", limit("campaign.article.title"), required=True)
    slug = form.text("slug", "address", limit("campaign.article.slug"))
    summary = form.text("summary", "summary", limit("campaign.article.summary"))
    body = form.text("body", "text", limit("campaign.article.body"), required=True)
    form.check()
    try:
        made = await node.articles.circle.write(
            circle_id,
            session_of(request).member.handle,
            title=title,
            slug=slug,
            summary=summary,
            body=body,
            withdrawn=form.raw("withdrawn") == "yes",
            article_id=ref,
        )
    except Refusal as exc:
        raise form.refuse(exc) from None
    flash(request, "Saved as a draft: it is published when the circle adopts this version.")
    raise web.HTTPSeeOther(f"/circles/{circle_id}/articles/{ref or made}")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    base = "/circles/{circle}/articles"
    get(base, page("member")(articles))
    post(base, page("member", again=articles)(put_article))
    get(base + "/{article}", page("member")(article))
    post(base + "/{article}", page("member", again=article)(put_article))
