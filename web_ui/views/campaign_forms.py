"""The campaign's longer forms, each on a page of its own so that the campaign page stays
light: a new demand, a new wording of one (which the circle adopts), and a recurring
action to plan. The campaign page links to each; a refused form comes back here with
what was typed."""

from __future__ import annotations

from aiohttp import web

from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import NOT_YET, known
from web_ui.forms import Form, limit
from web_ui.guard import page
from web_ui.render import render
from web_ui.views.campaign_words import WEEKDAYS, WORDS
from web_ui.views.campaigns import Refusal, asked_options, today


async def demand_page(request: web.Request) -> web.Response:
    """The form of a new demand, or (``demand`` in the path) of a new wording of one."""
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    shown = None
    if "demand" in request.match_info:
        ref = request.match_info["demand"]
        shown = known(next((d for d in found.demands if d.id == ref), None), "demand", NOT_YET)
    return render(
        request,
        "campaigns/demand.html",
        {"c": found, "d": shown, "asked_options": asked_options(found.targets), **WORDS},
    )


async def put_demand(request: web.Request) -> web.Response:
    """A new demand, or (with ``ref``) a new wording of one, which the circle adopts."""
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    ref = request.match_info.get("demand")
    form = Form(f"demand-{ref}" if ref else "new-demand", posted(request))
    title = form.text("title", "title", limit("campaign.demand.title"), required=True)
    text = form.text("text", "demand", limit("campaign.demand.text"), required=True)
    reasoning = form.text("reasoning", "reasoning", limit("campaign.demand.reasoning"))
    script = form.text("script", "script", limit("campaign.demand.script"))
    asked_of = form.raw("asked_of").strip()
    office_type = target = None
    if asked_of.startswith("target:"):
        target = asked_of.removeprefix("target:")
    else:
        office_type = form.text(
            "asked_of", "office it is asked of", limit("campaign.target.office_type"), required=True
        )
    form.check()
    try:
        await node.campaigns.put_demand(
            campaign_id,
            session_of(request).member.handle,
            title=title,
            text=text,
            reasoning=reasoning,
            script=script,
            target=target,
            office_type=office_type,
            demand_id=ref,
        )
    except Refusal as exc:
        raise form.refuse(exc, {"campaign.unknown_target": "asked_of"}) from None
    flash(request, "Saved as a draft: the circle adopts its wording by consent.")
    raise web.HTTPSeeOther(f"/campaigns/{campaign_id}#demands")


async def plan_page(request: web.Request) -> web.Response:
    """The form that plans a recurring action (``actions.put_plan`` records it)."""
    node = node_of(request)
    campaign_id = request.match_info["campaign"]
    handle = session_of(request).member.handle
    found = known(await node.campaigns.campaign(campaign_id, handle), "campaign", NOT_YET)
    return render(
        request,
        "campaigns/plan.html",
        {
            "c": found,
            "targets": found.targets,
            "today": today(request),
            "weekday_options": [(str(n), day) for n, day in enumerate(WEEKDAYS)],
            "demand_options": [(d.id, d.body.title) for d in found.demands],
            **WORDS,
        },
    )


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    base = "/campaigns/{campaign}"
    get(base + "/demands/new", page("member")(demand_page))
    post(base + "/demands", page("member", again=demand_page)(put_demand))
    get(base + "/demands/{demand}", page("member")(demand_page))
    post(base + "/demands/{demand}", page("member", again=demand_page)(put_demand))
    get(base + "/plans/new", page("member")(plan_page))


__all__ = ["plan_page", "routes"]
