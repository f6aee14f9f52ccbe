"""The consent process's pages: a proposal (its versions, stances, discussion and
decision), and the forms that propose, amend, move, take a stance and decide."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from node.domain.consent import PHASE_TRANSITIONS
from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.errors import known
from web_ui.forms import Form, limit, sentence
from web_ui.guard import page
from web_ui.render import named, org_name, render
from web_ui.views import circles, rounds, structure_words
from web_ui.views.refusal_words import refusal

STANCE_LABELS = {"consent": "Consent", "concern": "Consent with concern", "object": "Objection"}
# The phases a facilitator may move a proposal to, in the order the process goes.
_PHASE_ORDER = (
    "presented",
    "questions",
    "reactions",
    "consent",
    "integrating",
    "withdrawn",
    "referred",
)
NEXT_PHASE = {
    # consent → consent extends the round: its own form (``rounds``), not a move.
    phase: [p for p in _PHASE_ORDER if p in following and p != phase]
    for phase, following in PHASE_TRANSITIONS.items()
}


def proposal_fields(form: Form) -> tuple[str, str]:
    """The title and text of a proposal or an amendment, within the protocol's limits."""
    title = form.text("title", "title", limit("proposal.title"), required=True)
    text = form.text("text", "text of the proposal", limit("proposal.text"), required=True)
    return title, text


async def new_proposal(request: web.Request) -> web.Response:
    node = node_of(request)
    circle_id = request.match_info["circle"]
    form = Form("new-proposal", posted(request))
    title, text = proposal_fields(form)
    review = form.date("review_date", "review date")
    measures = form.lines("measures", "measures", limit("proposal.measure"))
    # Campaign drafts the circle adopts with it (a campaign page's link fills them in).
    adopts = [a for a in form.posted.getall("adopts", []) if a][:200]
    circle_state = known(await node.circle(circle_id), "circle")
    charter = next(r for r in await node.circles() if r["id"] == circle_id)
    options = [v for v, _ in await circles.structure_options(request, circle_state)]
    structure = structure_words.posted_structure(form, circle_state, charter, options)
    form.check()
    try:
        root = await node.gov.propose(
            circle_id,
            session_of(request).member.handle,
            title,
            text,
            review_date=review,
            measures=measures,
            adopts=adopts,
            structure=structure,
        )
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/proposals/{root}")


_DIFF_TAGS = {"+": "added", "-": "removed", " ": "same"}


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """The lines of ``new`` against ``old``: (added | removed | same, text)."""
    return [
        (_DIFF_TAGS[line[:1]], line[2:])
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[:1] in _DIFF_TAGS
    ]


async def proposal(request: web.Request) -> web.Response:
    node = node_of(request)
    root = request.match_info["root"]
    view = await node.gov.proposal(root)
    if view is None:
        return await _waiting(request, root)
    state = view.state
    circle_state = known(await node.circle(view.circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    versions = []
    previous = ""
    for v in state.history:
        text = view.texts.get(v.id, "")
        versions.append(
            {"v": v, "text": text, "diff": _diff(previous, text) if v.number > 1 else []}
        )
        previous = text
    stances = sorted(state.stances.values(), key=lambda s: s.member)
    voters = sorted(m.member for m in circle_state.members.values() if m.active and "@" in m.member)
    refused = [
        {
            **refusal(e.kind, (e.body or {}).get("purpose"), e.code, e.message),
            "actor": e.actor,
            "at": e.at,
        }
        for e in view.effects
        if e.status == "refused"
    ]
    decision = next(
        (e for e in view.effects if e.kind == "decision" and e.status == "applied"), None
    )
    is_facilitator = actor in circle_state.holders("facilitator")
    controls = await rounds.round_context(request, state, actor, voters)
    return render(
        request,
        "proposals/proposal.html",
        {
            "state": state,
            "circle": circle_state,
            "versions": versions,
            "current_text": view.texts.get(state.version_id, ""),
            "stances": stances,
            "voters": voters,
            "silent": [m for m in voters if m not in state.stances],
            "labels": rounds.STANCE_LABELS,
            "stance_options": list(rounds.STANCE_LABELS.items()),
            "my_stance": state.stances.get(actor),
            "is_member": circle_state.is_active(actor),
            "is_facilitator": is_facilitator,
            "can_amend": (actor == state.proposer or is_facilitator or controls["cowrite"])
            and state.phase in ("draft", "presented", "questions", "reactions", "integrating"),
            "next_phases": NEXT_PHASE.get(state.phase, []) if state.outcome is None else [],
            "discussion": await node.gov.discussion(root, view),
            "refused": refused,
            "decision": decision,
            "pending": view.pending,
            "disputes": await node.gov.disputes(root),
            **controls,
            "would": structure_words.describe(
                await node.gov.proposed_structure(state.version_id),
                circle_state,
                next(r for r in await node.circles() if r["id"] == view.circle_id),
                lambda n: org_name(request.app, n),
            ),
        },
    )


async def _waiting(request: web.Request, root: str) -> web.Response:
    """A proposal this node holds but the circle's home has not put in order yet: shown
    at once, marked as waiting (or as refused by the home, with its reason)."""
    node = node_of(request)
    waiting = known(
        await node.gov.waiting_proposal(root),
        "proposal",
        "If it was made a moment ago on another node, it may not have arrived yet.",
    )
    circle_state = known(await node.circle(waiting.circle_id), "circle")
    why = _HOME_REFUSALS.get(waiting.code or "", sentence(waiting.message or ""))
    return render(
        request,
        "proposals/waiting.html",
        {
            "p": waiting,
            "circle": circle_state,
            "why": why.format(who=named(request.app, waiting.actor)),
        },
    )


# What a home's refusal of a new proposal means, in words ({who}: the proposer).
_HOME_REFUSALS = {
    "consent.not_member": "There, {who} is no longer a member of the circle.",
    "member.unknown": "There, {who} is not known as a member.",
    "circle.unknown": "The circle is no longer there.",
}


async def _act(request: web.Request, form: Form, fn: Callable[[str], Any]) -> web.Response:
    """Run a command on the proposal for the member; a rule's refusal goes to ``form``."""
    root = request.match_info["root"]
    form.check()
    try:
        await fn(session_of(request).member.handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/proposals/{root}")


async def stance(request: web.Request) -> web.Response:
    gov = node_of(request).gov
    form = Form("stance", posted(request))
    version = form.raw("version")
    value = form.choice("stance", "stance", rounds.STANCE_LABELS)
    reason = form.text("reason", "reason", limit("stance.reason"))
    if value in ("concern", "object", "stand_aside") and not reason:
        form.fail("reason", f"Say why: {rounds.STANCE_LABELS[value].lower()} needs a reason.")
    return await _act(request, form, lambda h: gov.stance(version, h, value, reason))


async def move(request: web.Request) -> web.Response:
    node = node_of(request)
    root = request.match_info["root"]
    form = Form("move", posted(request))
    phase = form.choice("phase", "phase", _PHASE_ORDER)
    hours = form.number("hours", "round length in hours", limit("phase.hours"), default=0)
    deadline = None
    if phase == "consent" and hours:
        deadline = node.clock.now() + dt.timedelta(hours=hours)
    return await _act(request, form, lambda h: node.gov.move(root, h, phase, deadline=deadline))


async def amend(request: web.Request) -> web.Response:
    gov = node_of(request).gov
    root = request.match_info["root"]
    form = Form("amend", posted(request))
    title, text = proposal_fields(form)
    changes = form.text("changes", "description of the changes", limit("proposal.changes"))
    coauthors = [a for a in form.posted.getall("coauthors", []) if a][:50]
    return await _act(
        request, form, lambda h: gov.amend(root, h, title, text, changes, coauthors=coauthors)
    )


async def decide(request: web.Request) -> web.Response:
    gov = node_of(request).gov
    root = request.match_info["root"]
    form = Form("decision", posted(request))
    statement = form.text("statement", "outcome statement", limit("decision.statement"))
    rationale = form.text("rationale", "rationale", limit("decision.rationale"))
    return await _act(
        request,
        form,
        lambda h: gov.decide(root, h, statement=statement, rationale=rationale),
    )


async def discuss(request: web.Request) -> web.Response:
    gov = node_of(request).gov
    data = posted(request)
    purpose = str(data.get("purpose", ""))
    target = str(data.get("target", ""))[:100]
    form = Form(f"answer-{target}" if purpose == "answer" else "discuss", data)
    text = form.text("text", purpose if purpose == "answer" else "text", limit("message.text"))
    if not text:
        what = "answer" if purpose == "answer" else "question or reaction"
        form.fail("text", f"Write your {what} first.")
    if purpose == "answer":
        return await _act(request, form, lambda h: gov.answer(target, h, text))
    if purpose == "reaction":
        return await _act(request, form, lambda h: gov.react(target, h, text))
    return await _act(request, form, lambda h: gov.ask(target, h, text))


def routes(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    post("/circles/{circle}/proposals", page("member", again=circles.circle)(new_proposal))
    get("/proposals/{root}", page("member")(proposal))
    for action, view in (
        ("stance", stance),
        ("move", move),
        ("amend", amend),
        ("decide", decide),
        ("discuss", discuss),
        ("extend", rounds.extend),
        ("test", rounds.test_objection),
        ("record", rounds.record),
    ):
        post(f"/proposals/{{root}}/{action}", page("member", again=proposal)(view))
