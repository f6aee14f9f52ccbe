"""The editors' pages of the Coalition Brief: the issues sent and how each stands
(queued, sent, failed, from the outbox), writing an issue (subject and Markdown, with a
preview), a test to the editor's own confirmed address, and Send. Only editors and
admins get past ``_editor``; the rules are ``node.brief.issues``'."""

from __future__ import annotations

from aiohttp import web

from node.brief.records import MAX_BODY, MAX_SUBJECT, Issue
from node.domain.errors import DomainError
from web_ui.context import REFUSED, flash, node_of, posted
from web_ui.errors import page_error
from web_ui.forms import Form, FormState
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.public_editor import editor_handle

BOUNDS = {"subject": MAX_SUBJECT, "body": MAX_BODY}
FIELDS = {"brief.invalid": "", "brief.issue_sent": ""}


BRIEF = "send the Coalition Brief"


async def _issue(request: web.Request) -> Issue | None:
    """The issue of the path (None: a new one); 404 for none such."""
    raw = request.match_info.get("issue")
    if raw is None:
        return None
    found = await node_of(request).brief.issues.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise page_error(404, "brief.unknown_issue", "There is no such issue.")
    return found


async def issues(request: web.Request) -> web.Response:
    await editor_handle(request, BRIEF)
    node = node_of(request)
    listed = await node.brief.issues.all()
    progress = {i.id: await node.brief.issues.progress(i.id) for i in listed if i.sent}
    subscribed, waiting = await node.brief.counts()
    return render(
        request,
        "editor/brief_issues.html",
        {
            "issues": listed,
            "progress": progress,
            "subscribed": subscribed,
            "waiting": waiting,
            "mail_on": node.brief.open,
        },
    )


async def issue(request: web.Request, preview: str | None = None) -> web.Response:
    """An issue: its form while a draft (with a preview when asked), its progress once
    sent."""
    handle = await editor_handle(request, BRIEF)
    node = node_of(request)
    found = await _issue(request)
    if found is not None and preview is None and not request.get(REFUSED):
        preview = node.articles.render(found.body)
    subscribed, _ = await node.brief.counts()
    sender = await node.member(found.sent_by) if found and found.sent_by else None
    return render(
        request,
        "editor/brief_issue.html",
        {
            "issue": found,
            "sender": sender.display_name if sender else None,
            "preview": preview,
            "bounds": BOUNDS,
            "progress": await node.brief.issues.progress(found.id)
            if found and found.sent
            else None,
            "subscribed": subscribed,
            "address": (await node.mail.members.choices(handle)).address,
            "mail_on": node.brief.open,
        },
    )


async def save(request: web.Request) -> web.Response:
    """Preview what was typed, or save it; a refusal shows the form again as typed."""
    handle = await editor_handle(request, BRIEF)
    node = node_of(request)
    found = await _issue(request)
    form = Form("issue", posted(request))
    if form.raw("action") == "preview":
        request[REFUSED] = FormState(form.name, form.posted, {})  # show it as typed
        return await issue(request, preview=node.articles.render(form.raw("body")))
    try:
        saved = await node.brief.issues.save(
            handle, None if found is None else found.id, form.raw("subject"), form.raw("body")
        )
    except DomainError as exc:
        raise form.refuse(exc, FIELDS) from None
    flash(request, "Saved. Send yourself a test before you send it to everyone.")
    raise web.HTTPSeeOther(f"/editor/brief/{saved.id}")


async def test(request: web.Request) -> web.Response:
    handle = await editor_handle(request, BRIEF)
    found = await _issue(request)
    assert found is not None
    try:
        address = await node_of(request).brief.issues.test_send(handle, found.id)
    except DomainError as exc:
        raise page_error(400, exc.code, exc.message) from None
    flash(request, f"A test is on its way to {address}.")
    raise web.HTTPSeeOther(f"/editor/brief/{found.id}")


async def send(request: web.Request) -> web.Response:
    handle = await editor_handle(request, BRIEF)
    found = await _issue(request)
    assert found is not None
    try:
        await node_of(request).brief.issues.send(handle, found.id)
    except DomainError as exc:
        raise page_error(400, exc.code, exc.message) from None
    flash(request, "Sending: each subscriber gets one copy. This page shows how it goes.")
    raise web.HTTPSeeOther(f"/editor/brief/{found.id}")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/editor/brief", page("member")(issues))
    get("/editor/brief/new", page("member")(issue))
    post("/editor/brief/new", page("member", again=issue)(save))
    get("/editor/brief/{issue}", page("member")(issue))
    post("/editor/brief/{issue}", page("member", again=issue)(save))
    post("/editor/brief/{issue}/test", page("member")(test))
    post("/editor/brief/{issue}/send", page("member")(send))
