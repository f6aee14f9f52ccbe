"""Targets from files: upload CSV or Open States YAML files, see the dry run (what is new,
changed or unchanged, and each problem with its file and line), then confirm; the CSV
template and a campaign's targets as CSV.

The files of a dry run wait on the server, for the member who sent them, until they
confirm (or for an hour), so the confirmation imports exactly what the dry run showed
without sending the files again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_request import FileField

from node.campaigns.imports_csv import template_csv
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import NOT_YET, known, page_error
from web_ui.forms import Form
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.campaigns import Refusal

_KEEP_SECONDS = 3600
_SUFFIXES = (".csv", ".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class Upload:
    """Files a member sent for a dry run, kept until they confirm."""

    session: str
    campaign: str
    files: tuple[tuple[str, bytes], ...]
    until: float


PENDING = web.AppKey("web_imports", dict)


def _pending(app: web.Application) -> dict[str, Upload]:
    found: dict[str, Upload] = app[PENDING]
    now = time.monotonic()
    for key in [k for k, u in found.items() if u.until < now]:
        del found[key]
    return found


async def import_page(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    return render(request, "campaigns/import.html", {"c": found, "report": None, "key": ""})


async def dry_run(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    session = session_of(request)
    data = posted(request)
    form = Form("import", data)
    files = []
    for item in data.getall("files", []):
        if not isinstance(item, FileField) or not item.filename:
            continue
        if not item.filename.lower().endswith(_SUFFIXES):
            form.fail("files", f"{item.filename} is neither a .csv nor a .yml file.")
            continue
        files.append((item.filename, item.file.read()))
    if not files and "files" not in form.errors:
        form.fail("files", "Choose one or more files to import.")
    form.check()
    try:
        report = await node.campaigns.import_targets(
            campaign_id, session.member.handle, files, dry_run=True
        )
    except Refusal as exc:
        raise form.refuse(exc) from None
    pending = _pending(request.app)
    for key in [k for k, u in pending.items() if u.session == session.token_hash]:
        del pending[key]  # one dry run waits per member: the latest
    key = secrets.token_urlsafe(16)
    pending[key] = Upload(
        session.token_hash, campaign_id, tuple(files), time.monotonic() + _KEEP_SECONDS
    )
    found = known(await node.campaigns.campaign(campaign_id, session.member.handle), "campaign")
    return render(request, "campaigns/import.html", {"c": found, "report": report, "key": key})


async def confirm(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    session = session_of(request)
    key = str(posted(request).get("key", ""))
    upload = _pending(request.app).get(key)
    if upload is None or upload.session != session.token_hash or upload.campaign != campaign_id:
        raise page_error(400, "import.expired", "That dry run has expired: upload the files again.")
    try:
        report = await node.campaigns.import_targets(
            campaign_id, session.member.handle, list(upload.files), dry_run=False
        )
    except Refusal as exc:
        raise page_error(400, str(exc.code), exc.message) from None
    del request.app[PENDING][key]
    if not report.ok:  # the campaign changed since the dry run: show what is wrong now
        found = known(await node.campaigns.campaign(campaign_id, session.member.handle), "campaign")
        page = render(request, "campaigns/import.html", {"c": found, "report": report, "key": ""})
        page.set_status(409)
        return page
    new, changed = report.plan.count("new"), report.plan.count("changed")
    flash(request, f"Imported: {new} new and {changed} changed targets, as drafts.")
    raise web.HTTPSeeOther(f"/campaigns/{campaign_id}/targets")


async def template(request: web.Request) -> web.Response:
    return _csv(template_csv(), "targets-template.csv")


async def export(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    return _csv(await node.campaigns.export_csv(campaign_id), "targets.csv")


def _csv(text: str, name: str) -> web.Response:
    response = web.Response(text=text, content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def routes(app: web.Application) -> None:
    """The import's routes, and the uploads waiting for confirmation."""
    app[PENDING] = {}
    get, post = app.router.add_get, app.router.add_post
    get("/campaigns/template.csv", page("member")(template))
    get("/campaigns/{campaign}/import", page("member")(import_page))
    post("/campaigns/{campaign}/import", page("member", again=import_page)(dry_run))
    post("/campaigns/{campaign}/import/confirm", page("member")(confirm))
    get("/campaigns/{campaign}/targets.csv", page("member")(export))
