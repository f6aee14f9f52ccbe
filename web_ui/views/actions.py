"""What members record of a campaign, none of which needs the circle's decision: an
action against a target (three taps on a phone), a demand's status with its evidence, a
target's commitment and whether it was kept (a winner's pledge, too), a candidate's
answer; a recurring action and a pledge to its next occurrence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from protocol.campaigns import Commitment
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import known
from web_ui.forms import Form, FormRefused, limit
from web_ui.guard import page
from web_ui.views import campaign_forms, campaigns, targets
from web_ui.views.campaign_words import ANSWERS, CHANNELS, KEPT, STATUSES
from web_ui.views.campaigns import Refusal, today

# Where a rule's refusal is shown, by its code.
_FIELDS = {
    "campaign.unknown_demand": "demand",
    "campaign.not_asked_of": "demand",
    "campaign.not_candidate": "answer",
    "campaign.unknown_target": "targets",
    "campaign.unknown_plan": "",
}


def _back(request: web.Request, anchor: str = "timeline") -> web.HTTPSeeOther:
    match = request.match_info
    return web.HTTPSeeOther(f"/campaigns/{match['campaign']}/targets/{match['target']}#{anchor}")


async def _run(request: web.Request, form: Form, command: str, **fields: Any) -> None:
    """Run ``node.campaigns.<command>`` for the member; a refusal goes back to ``form``."""
    form.check()
    run = getattr(node_of(request).campaigns, command)
    try:
        await run(request.match_info["campaign"], session_of(request).member.handle, **fields)
    except Refusal as exc:
        raise form.refuse(exc, _FIELDS) from None


def _date(form: Form, name: str, label: str, default: dt.date) -> dt.date:
    found = form.date(name, label)
    return default if found is None else found


def _demand(form: Form) -> str | None:
    return form.raw("demand").strip() or None


def _evidence(form: Form) -> dict[str, Any]:
    return {
        "evidence_url": form.text("url", "link to the evidence", limit("campaign.url")) or None,
        "quote": form.text("quote", "quote", limit("campaign.evidence.quote")),
        "note": form.text("note", "note", limit("campaign.evidence.note")),
    }


async def log_action(request: web.Request) -> web.Response:
    form = Form("action", posted(request))
    await _run(
        request,
        form,
        "log_action",
        target=request.match_info["target"],
        channel=form.choice("channel", "way you contacted them", CHANNELS),
        date=_date(form, "date", "date", today(request)),
        demand=_demand(form),
        outcome=form.text("outcome", "outcome", limit("campaign.action.outcome")),
        response=form.text("response", "response", limit("campaign.action.response")),
        notes=form.text("notes", "notes", limit("campaign.action.notes")),
        plan=form.raw("plan").strip() or None,
    )
    flash(request, "Logged. Thank you for keeping up the pressure.")
    raise _back(request)


async def record_status(request: web.Request) -> web.Response:
    form = Form("status", posted(request))
    demand = form.choice("demand", "demand", [form.raw("demand")] if form.raw("demand") else [])
    await _run(
        request,
        form,
        "record_status",
        target=request.match_info["target"],
        demand=demand,
        status=form.choice("status", "status", STATUSES),
        date=_date(form, "date", "date", today(request)),
        **_evidence(form),
    )
    raise _back(request)


async def record_answer(request: web.Request) -> web.Response:
    form = Form("answer", posted(request))
    demand = form.choice("demand", "demand", [form.raw("demand")] if form.raw("demand") else [])
    await _run(
        request,
        form,
        "record_answer",
        target=request.match_info["target"],
        demand=demand,
        answer=form.choice("answer", "answer", ANSWERS),
        **_evidence(form),
    )
    raise _back(request)


async def record_commitment(request: web.Request) -> web.Response:
    form = Form("commitment", posted(request))
    made = _date(form, "made", "date it was made", today(request))
    due = form.date("due", "due date")
    if due is not None and due < made:
        form.fail("due", "The due date must not be before the day it was made.")
    await _run(
        request,
        form,
        "record_commitment",
        target=request.match_info["target"],
        demand=_demand(form),
        what=form.text("what", "commitment", limit("campaign.commitment.what"), required=True),
        made=made,
        due=due,
    )
    raise _back(request, "commitments")


async def mark_commitment(request: web.Request) -> web.Response:
    """A commitment marked kept, broken or open again: its whole body, ``kept`` changed."""
    node = node_of(request)
    match = request.match_info
    commitment = match["commitment"]
    form = Form(f"kept-{commitment}", posted(request))
    kept = form.choice("kept", "whether it was kept", KEPT)
    shown = known(await node.campaigns.target(match["campaign"], match["target"]), "target")
    old = next((e for e in shown.timeline if e.id == commitment), None)
    if old is None or not isinstance(old.body, Commitment):
        form.fail("", "That commitment is not one of this target's.")
        raise FormRefused(form.state)
    await _run(
        request,
        form,
        "record_commitment",
        target=match["target"],
        demand=old.body.demand,
        what=old.body.what,
        made=old.body.made,
        due=old.body.due,
        kept=kept,
        commitment_id=commitment,
    )
    raise _back(request, "commitments")


async def mark_pledge(request: web.Request) -> web.Response:
    """A winner's pledge to ``demand`` marked kept or broken: a new commitment about the
    demand, with what was pledged and the election's date, which then stands for it."""
    node = node_of(request)
    match = request.match_info
    demand = match["demand"]
    form = Form(f"kept-{demand}", posted(request))
    kept = form.choice("kept", "whether it was kept", KEPT)
    found = await node.campaigns.commitments(match["campaign"], match["target"])
    pledge = next((c for c in found if c.id is None and c.demand_id == demand), None)
    if pledge is None:
        form.fail("", "That pledge is not one of this target's commitments to record.")
        raise FormRefused(form.state)
    await _run(
        request,
        form,
        "record_commitment",
        target=match["target"],
        demand=demand,
        what=pledge.what,
        made=pledge.made,
        kept=kept,
    )
    raise _back(request, "commitments")


async def put_plan(request: web.Request) -> web.Response:
    form = Form("new-plan", posted(request))
    title = form.text("title", "title", limit("campaign.plan.title"), required=True)
    channel = form.choice("channel", "way to act", CHANNELS)
    weekday = form.number("weekday", "weekday", limit("campaign.plan.weekday"))
    starts = form.date("starts", "first day")
    if starts is None:
        form.fail("starts", "Give the first day.")
    ends = form.date("ends", "last day")
    if starts is not None and ends is not None and ends < starts:
        form.fail("ends", "The last day must not be before the first.")
    await _run(
        request,
        form,
        "put_plan",
        title=title,
        channel=channel,
        weekday=weekday,
        starts=starts,
        ends=ends,
        targets=form.posted.getall("targets", []),
        demand=_demand(form),
        script=form.text("script", "script", limit("campaign.plan.script")),
    )
    flash(request, f"Planned: {title}.")
    raise web.HTTPSeeOther(f"/campaigns/{request.match_info['campaign']}#week-h")


async def pledge(request: web.Request) -> web.Response:
    plan = request.match_info["plan"]
    form = Form(f"pledge-{plan}", posted(request))
    day = form.date("date", "date")
    if day is None:
        form.fail("", "Choose the day you take part.")
    await _run(request, form, "pledge", plan=plan, date=day)
    flash(request, "Pledged. It is on your home page until then.")
    back = str(posted(request).get("back", ""))
    raise web.HTTPSeeOther(
        back if back == "/" else f"/campaigns/{request.match_info['campaign']}#week-h"
    )


def routes(app: web.Application) -> None:
    post = app.router.add_post
    on_target = page("member", again=targets.target)
    on_campaign = page("member", again=campaigns.campaign)
    base = "/campaigns/{campaign}/targets/{target}"
    post(base + "/actions", on_target(log_action))
    post(base + "/statuses", on_target(record_status))
    post(base + "/answers", on_target(record_answer))
    post(base + "/commitments", on_target(record_commitment))
    post(base + "/commitments/{commitment}", on_target(mark_commitment))
    post(base + "/pledges/{demand}", on_target(mark_pledge))
    post("/campaigns/{campaign}/plans", page("member", again=campaign_forms.plan_page)(put_plan))
    post("/campaigns/{campaign}/plans/{plan}/pledge", on_campaign(pledge))
