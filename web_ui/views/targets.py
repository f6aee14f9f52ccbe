"""A campaign's targets, the officials it presses: the list with each record's age, a
target's page (offices, contacts, platform and positions, candidacy and its pressure
timeline) and the form that adds or changes one (its offices in ``target_offices``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from protocol.campaigns import Demand
from web_ui.context import REFUSED, flash, node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, FormState, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.board_words import pressure_words
from web_ui.views.campaign_words import WORDS
from web_ui.views.campaigns import Refusal, today
from web_ui.views.target_offices import MAX_OFFICES, office_rows, read_offices

RESULTS = {"pending": "election ahead", "won": "won", "lost": "lost"}
# The target fields read as one line of text each: (name, label, required).
_TEXTS = (
    ("name", "name as shown", True),
    ("given_name", "given name", False),
    ("family_name", "family name", False),
    ("office_type", "office", True),
    ("title", "title", False),
    ("jurisdiction", "jurisdiction", True),
    ("party", "party", False),
    ("email", "e-mail address", False),
)
_OPTIONAL = (
    ("ocd_division", "division id"),
    ("contact_form", "contact form"),
    ("website", "website"),
    ("platform_url", "platform"),
    ("photo_url", "photo"),
)


async def targets(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    return render(
        request,
        "campaigns/targets.html",
        {"c": found, "targets": found.targets, "today": today(request), **WORDS},
    )


def asked_of(demand: Demand, target_id: str, office_type: str) -> bool:
    """Whether ``demand`` is asked of the target ``target_id`` holding ``office_type``."""
    if demand.target is not None:
        return demand.target == target_id
    return demand.office_type == office_type


async def target(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    day = today(request)
    detail = known(
        await node.campaigns.target(campaign_id, request.match_info["target"], day),
        "target",
        NOT_YET,
    )
    shown = detail.target
    circle = known(await node.circle(found.circle_id), "circle")
    asked = [d for d in found.demands if asked_of(d.body, shown.id, shown.body.office_type)]
    return render(
        request,
        "campaigns/target.html",
        {
            "c": found,
            "detail": detail,
            "t": shown,
            "b": shown.body,
            "commitments": await node.campaigns.commitments(campaign_id, shown.id),
            "contact": pressure_words(detail.pressure, found.body.pressure_days),
            "today": day,
            "is_member": circle.is_active(node.actor_of(handle)),
            "demand_options": [(d.id, d.body.title) for d in asked],
            "results": RESULTS,
            **WORDS,
        },
    )


async def new_target(request: web.Request) -> web.Response:
    """The form of a new target, or of a change to one (``target`` in the path)."""
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    shown = None
    if "target" in request.match_info:
        detail = await node.campaigns.target(campaign_id, request.match_info["target"])
        shown = known(detail, "target").target
    refused = request.get(REFUSED)
    return render(
        request,
        "campaigns/target_form.html",
        {
            "c": found,
            "t": shown,
            "values": target_values(shown.body if shown else None),
            "offices": office_rows(
                shown.body.offices if shown else (),
                refused if isinstance(refused, FormState) and refused.name == "target" else None,
            ),
            "max_offices": MAX_OFFICES,
            "today": today(request),
        },
    )


def target_values(body: Any) -> dict[str, str]:
    """A target's fields as the form shows them at first (empty for a new one)."""
    if body is None:
        return {}
    values = {name: getattr(body, name) or "" for name, _, _ in _TEXTS}
    values.update({name: getattr(body, name) or "" for name, _ in _OPTIONAL})
    values.update(
        {
            "term_start": str(body.term_start or ""),
            "term_end": str(body.term_end or ""),
            "sources": "\n".join(s.url for s in body.sources),
            "notes": body.notes,
        }
    )
    if body.candidacy is not None:
        values.update(
            {
                "election_date": str(body.candidacy.election_date),
                "election_office": body.candidacy.office,
                "election_district": body.candidacy.district,
                "election_result": body.candidacy.result,
            }
        )
    return values


def target_body(form: Form, old: Any, day: dt.date) -> dict[str, Any]:
    """The whole new target body the form describes; what the form does not show
    (positions, ids, when each kept source was checked) stays."""
    body: dict[str, Any] = {}
    for name, label, required in _TEXTS:
        body[name] = form.text(name, label, limit(f"campaign.target.{name}"), required=required)
    for name, label in _OPTIONAL:
        body[name] = form.text(name, label, limit(f"campaign.target.{name}")) or None
    for name, label in (("term_start", "start of the term"), ("term_end", "end of the term")):
        when = form.date(name, label)
        body[name] = when.isoformat() if when else None
    if body["term_start"] and body["term_end"] and body["term_end"] < body["term_start"]:
        form.fail("term_end", "The term must end after it starts.")
    body["offices"] = read_offices(form)
    body["positions"] = [_plain(p) for p in old.positions] if old else []
    position = form.text("position", "position", limit("campaign.position.text"))
    if position:
        source = form.text("position_source", "source of the position", limit("campaign.url"))
        stated = form.date("position_date", "date of the position") or day
        body["positions"].append(
            {"date": stated.isoformat(), "text": position, "source": source or None}
        )
    checked = form.date("checked", "date the sources were checked")
    kept = {s.url: s.checked for s in old.sources} if old else {}
    body["sources"] = []
    for url in form.lines("sources", "sources", limit("campaign.url")):
        when = checked or kept.get(url)
        body["sources"].append({"url": url, "checked": when.isoformat() if when else None})
    body["ids"] = [_plain(i) for i in old.ids] if old else []
    body["candidacy"] = _candidacy(form)
    body["notes"] = form.text("notes", "notes", limit("campaign.target.notes"))
    return body


def _candidacy(form: Form) -> dict[str, Any] | None:
    election = form.date("election_date", "election date")
    office = form.text("election_office", "office sought", limit("campaign.candidacy.office"))
    if election is None and not office:
        return None
    if election is None:
        form.fail("election_date", "Give the election's date, or leave the candidacy empty.")
    if not office:
        form.fail("election_office", "Say which office they stand for.")
    return {
        "election_date": election.isoformat() if election else "",
        "office": office,
        "district": form.text(
            "election_district", "district", limit("campaign.candidacy.district")
        ),
        "result": form.choice("election_result", "result", RESULTS, required=False) or "pending",
    }


def _plain(part: Any) -> dict[str, Any]:
    """A sub-object of a body as JSON data (dates as text)."""
    fields: dict[str, Any] = {}
    for name in part.__struct_fields__:
        value = getattr(part, name)
        fields[name] = value.isoformat() if isinstance(value, dt.date) else value
    return fields


async def put_target(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    ref = request.match_info.get("target")
    old = None
    if ref is not None:
        old = known(await node.campaigns.target(campaign_id, ref), "target").target.body
    form = Form("target", posted(request))
    body = target_body(form, old, today(request))
    form.check()
    try:
        made = await node.campaigns.put_target(
            campaign_id, session_of(request).member.handle, body, target_id=ref
        )
    except Refusal as exc:
        raise form.refuse(exc) from None
    flash(request, "Saved. A new or changed target is a draft until the circle adopts it.")
    raise web.HTTPSeeOther(f"/campaigns/{campaign_id}/targets/{ref or made}")


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    base = "/campaigns/{campaign}/targets"
    get(base, page("member")(targets))
    get(base + "/new", page("member")(new_target))
    post(base, page("member", again=new_target)(put_target))
    get(base + "/{target}", page("member")(target))
    get(base + "/{target}/edit", page("member")(new_target))
    post(base + "/{target}/edit", page("member", again=new_target)(put_target))


__all__ = ["asked_of", "routes", "target", "targets"]
