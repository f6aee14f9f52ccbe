"""A circle's campaigns: the list and the form that starts one, and a campaign's page (its
goal, its demands, the scoreboard of demands × targets, this week's recurring actions),
with the form that changes the campaign. The forms of demands and plans have pages of
their own (``campaign_forms``), targets are in ``targets``, what members do in
``actions``, imports in ``target_imports``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from node.campaigns.records import TargetView
from node.domain.errors import DomainError
from protocol import RemoteProtocolError
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.board_words import board_rows
from web_ui.views.campaign_words import CAMPAIGN_STATUSES, WORDS, office_words

Refusal = (DomainError, RemoteProtocolError)


def today(request: web.Request) -> dt.date:
    """Today's date on the node's clock (UTC), as actions and the scoreboard count days."""
    return node_of(request).clock.now().date()


async def campaigns(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    circle = known(await node.circle(circle_id), "circle")
    handle = session_of(request).member.handle
    return render(
        request,
        "campaigns/campaigns.html",
        {
            "circle": circle,
            "campaigns": await node.campaigns.campaigns(circle_id, handle),
            "is_member": circle.is_active(node.actor_of(handle)),
            "campaign_statuses": CAMPAIGN_STATUSES,
        },
    )


def campaign_fields(form: Form) -> dict[str, Any]:
    """A campaign's name, goal, description and pressure interval, within the limits."""
    return {
        "name": form.text("name", "name", limit("campaign.campaign.name"), required=True),
        "goal": form.text("goal", "goal", limit("campaign.campaign.goal"), required=True),
        "description": form.text(
            "description", "description", limit("campaign.campaign.description")
        ),
        "pressure_days": form.number(
            "pressure_days",
            "days between contacts",
            limit("campaign.campaign.pressure_days"),
            default=7,
        ),
    }


async def new_campaign(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("new-campaign", posted(request))
    fields = campaign_fields(form)
    fields["public"] = form.raw("public") == "yes"
    form.check()
    try:
        made = await node.campaigns.create_campaign(
            circle_id, session_of(request).member.handle, **fields
        )
    except Refusal as exc:
        raise form.refuse(exc) from None
    flash(request, "The campaign is a draft until the circle adopts it.")
    raise web.HTTPSeeOther(f"/campaigns/{made}")


async def edit_campaign(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    form = Form("edit-campaign", posted(request))
    fields = campaign_fields(form)
    fields["status"] = form.choice("status", "state of the campaign", CAMPAIGN_STATUSES)
    fields["public"] = form.raw("public") == "yes"
    form.check()
    try:
        await node.campaigns.update_campaign(
            campaign_id, session_of(request).member.handle, **fields
        )
    except Refusal as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/campaigns/{campaign_id}")


def adopt_link(circle_id: str, versions: list[str], title: str) -> str:
    """The circle's new-proposal form, filled in to adopt ``versions``."""
    query = urlencode([("adopts", v) for v in versions] + [("title", title)])
    return f"/circles/{circle_id}?{query}#new"


def asked_options(targets: Iterable[TargetView]) -> list[tuple[str, str]]:
    """Whom a demand may be asked of: every holder of an office type, or one target."""
    types = {"mayor", "district_attorney"} | {t.body.office_type for t in targets}
    every = [(o, f"every {office_words(o)}") for o in sorted(types)]
    return every + [(f"target:{t.id}", f"{t.name} only") for t in targets]


async def campaign(request: web.Request) -> web.Response:
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    circle = known(await node.circle(found.circle_id), "circle")
    day = today(request)
    board = await node.campaigns.scoreboard(campaign_id, day)
    drafts = [
        x.standing.version for x in (found, *found.demands, *found.targets) if x.standing.draft
    ]
    week = [o for o in await node.campaigns.week(handle, day) if o.campaign_id == campaign_id]
    public = await node.campaigns.decided_public(campaign_id)
    return render(
        request,
        "campaigns/campaign.html",
        {
            "c": found,
            "b": found.body,
            "circle": circle,
            "targets": found.targets,
            "board": board,
            "rows": board_rows(board) if board else [],
            "week": week,
            "today": day,
            "is_member": circle.is_active(node.actor_of(handle)),
            "public": public[0] if public else None,
            "public_hidden": campaign_id in await node.campaigns.hidden_ids(),
            "adopt_all": adopt_link(circle.id, drafts, f"Adopt the campaign {found.body.name}")
            if drafts
            else None,
            "campaign_statuses": CAMPAIGN_STATUSES,
            **WORDS,
        },
    )


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/circles/{circle}/campaigns", page("member")(campaigns))
    post("/circles/{circle}/campaigns", page("member", again=campaigns)(new_campaign))
    get("/campaigns/{campaign}", page("member")(campaign))
    post("/campaigns/{campaign}", page("member", again=campaign)(edit_campaign))
