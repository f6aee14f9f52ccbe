"""The admins' page of the public site: the public home's words, who may write articles
(editors), and which campaigns strangers see (as the owning circle decided)."""

from __future__ import annotations

from aiohttp import web

from node.domain.errors import DomainError
from web_ui.context import flash, node_of, posted, session_of
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import render


async def public_site(request: web.Request) -> web.Response:
    node = node_of(request)
    return render(
        request,
        "admin/public.html",
        {
            "site": await node.site.home(),
            "members": await node.members(),
            "editors": await node.articles.editors(),
            "campaigns": await node.campaigns.campaigns(),
            "public": await node.campaigns.public_ids(),
            "brief_subscribed": (await node.brief.counts())[0],
        },
    )


async def home_words(request: web.Request) -> web.Response:
    form = Form("site", posted(request))
    try:
        await node_of(request).site.set_home(
            session_of(request).member.handle,
            form.raw("name"),
            form.raw("aim"),
            form.raw("causes"),
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    flash(request, "The public home's words are saved.")
    raise web.HTTPSeeOther("/admin/public")


async def editors(request: web.Request) -> web.Response:
    """Grant the editor's role to the members ticked, withdraw it from the others."""
    node = node_of(request)
    chosen = set(posted(request).getall("editor", []))
    by = session_of(request).member.handle
    held = await node.articles.editors()
    for member in await node.members():
        if (member.handle in chosen) != (member.handle in held):
            await node.articles.set_editor(member.handle, member.handle in chosen, by)
    flash(request, "Editors saved.")
    raise web.HTTPSeeOther("/admin/public")


async def campaigns(request: web.Request) -> web.Response:
    """Show the campaigns ticked on the public site, and no other."""
    node = node_of(request)
    chosen = set(posted(request).getall("public", []))
    by = session_of(request).member.handle
    shown = await node.campaigns.public_ids()
    for c in await node.campaigns.campaigns():
        if (c.id in chosen) != (c.id in shown):
            await node.campaigns.set_public(c.id, c.id in chosen, by)
    flash(request, "Public campaigns saved.")
    raise web.HTTPSeeOther("/admin/public")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/admin/public", page("admin")(public_site))
    post("/admin/public/home", page("admin", again=public_site)(home_words))
    post("/admin/public/editors", page("admin")(editors))
    post("/admin/public/campaigns", page("admin")(campaigns))
