"""The editors' pages of the public site: the list of articles, writing one (Markdown,
with a preview before saving), its state (draft or published) and address, and the
images articles show. Only editors and admins get past ``editor_handle``; everything else of
the rules (bounds, a free address, an image's type, size and alt text) is
``node.articles``', whose refusals are said beside the field they concern."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDict

from node.articles.records import Article, ArticleRefused
from node.articles.service import MAX_BODY, MAX_SLUG, MAX_SUMMARY, MAX_TITLE
from web_ui.context import REFUSED, flash, node_of, posted, session_of
from web_ui.errors import page_error
from web_ui.forms import Form, FormState
from web_ui.guard import page
from web_ui.render import render

BOUNDS = {"title": MAX_TITLE, "slug": MAX_SLUG, "summary": MAX_SUMMARY, "body": MAX_BODY}


async def editor_handle(request: web.Request, doing: str = "write articles") -> str:
    """The member's handle, if they are one of the node's editors (who ``doing``); 403
    otherwise. Articles and the Coalition Brief share the editor role."""
    handle = session_of(request).member.handle
    if not await node_of(request).articles.may_write(handle):
        raise page_error(
            403,
            "article.not_editor",
            f"Only the node's editors {doing}. An admin can make you one.",
        )
    return handle


async def articles(request: web.Request) -> web.Response:
    await editor_handle(request)
    node = node_of(request)
    return render(request, "editor/articles.html", {"articles": await node.articles.all()})


async def _article(request: web.Request) -> Article | None:
    """The article of the path (None: a new one); 404 for none such."""
    raw = request.match_info.get("article")
    if raw is None:
        return None
    found = await node_of(request).articles.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise page_error(404, "article.unknown", "There is no such article.")
    return found


async def editor(request: web.Request, preview: str | None = None) -> web.Response:
    """The article's form: blank for a new one, else its current words; a preview of
    what was typed when asked for."""
    await editor_handle(request)
    found = await _article(request)
    return render(
        request,
        "editor/article.html",
        {"article": found, "preview": preview, "bounds": BOUNDS},
    )


async def save(request: web.Request) -> web.Response:
    """Preview what was typed, or save it; a refusal shows the form again as typed."""
    handle = await editor_handle(request)
    node = node_of(request)
    found = await _article(request)
    form = Form("article", posted(request))
    if form.raw("action") == "preview":
        request[REFUSED] = FormState(form.name, form.posted, {})  # show it as typed
        return await editor(request, preview=node.articles.render(form.raw("body")))
    try:
        saved = await node.articles.save(
            handle,
            None if found is None else found.id,
            title=form.raw("title"),
            slug=form.raw("slug"),
            summary=form.raw("summary"),
            body=form.raw("body"),
            status=form.raw("status") or "draft",
        )
    except ArticleRefused as exc:
        raise form.refuse(exc, {exc.code: exc.field}) from None
    where = f"/articles/{saved.slug}"
    flash(
        request,
        f"Published at {where}."
        if saved.published
        else "Saved as a draft: strangers see nothing of it.",
    )
    raise web.HTTPSeeOther(f"/editor/{saved.id}")


async def images(request: web.Request) -> web.Response:
    await editor_handle(request)
    return render(
        request, "editor/images.html", {"images": await node_of(request).articles.images()}
    )


async def upload(request: web.Request) -> web.Response:
    """Keep an uploaded image; a refusal keeps the alt text as typed."""
    handle = await editor_handle(request)
    data = posted(request)
    form = Form("image", MultiDict(alt=str(data.get("alt", ""))))
    file = data.get("file")
    content = file.file.read() if isinstance(file, web.FileField) else b""
    try:
        image = await node_of(request).articles.upload(handle, content, form.raw("alt"))
    except ArticleRefused as exc:
        raise form.refuse(exc, {exc.code: exc.field}) from None
    flash(request, f"Uploaded. Put it in an article with: ![{image.alt}]({image.path})")
    raise web.HTTPSeeOther("/editor/images")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/editor", page("member")(articles))
    get("/editor/new", page("member")(editor))
    post("/editor/new", page("member", again=editor)(save))
    get("/editor/images", page("member")(images))
    post("/editor/images", page("member", again=images)(upload))
    get("/editor/{article}", page("member")(editor))
    post("/editor/{article}", page("member", again=editor)(save))
