"""The round controls on a proposal's page (PROTOCOL.md §13.2): the facilitator extends,
reopens or closes a consent round and tests objections; the secretary records stances
given aloud in a meeting. ``round_context`` says which controls the page offers; the
views take their forms (``proposals.routes`` lists them, with the page to show again)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from node.domain.consent import AMEND_IN, ProposalState
from node.domain.errors import DomainError
from web_ui.context import node_of, posted, session_of
from web_ui.forms import Form, limit
from web_ui.render import named, when

# A stance's value in words, standing aside included (proposals only, not elections).
STANCE_LABELS = {
    "consent": "Consent",
    "concern": "Consent with concern",
    "object": "Objection",
    "stand_aside": "Stand aside",
}
# What each value asks of the member, on the stance forms.
STANCE_CHOICES = [
    ("consent", "Consent"),
    ("concern", "Consent with a concern"),
    ("object", "Object"),
    ("stand_aside", "Stand aside (I do not block, and do not consent)"),
]


async def round_context(
    request: web.Request, state: ProposalState, actor: str, voters: list[str]
) -> dict[str, Any]:
    """What the proposal page needs for the round controls, for the member ``actor``."""
    node = node_of(request)
    circle = await node.circle(state.circle)
    assert circle is not None
    now = node.clock.now()
    in_round = state.phase == "consent" and state.outcome is None
    passed = state.deadline is not None and now > state.deadline
    silent = [m for m in voters if m not in state.stances]
    is_secretary = actor in circle.holders("secretary")
    meetings = []
    if is_secretary and in_round:
        meetings = [m for m in await node.gov.meetings(state.circle) if m.get("minutes_id") is None]
    objector = any(o.member == actor for o in state.open_objections())
    return {
        "round_open": in_round and not passed,
        "round_passed": in_round and passed,
        "close_early": in_round and not passed and not silent and not state.open_objections(),
        "testable": [
            o
            for o in state.objections
            if in_round and o.resolved_by is None and o.version == state.version_id
        ],
        "is_secretary": is_secretary,
        "meeting_options": [(m["id"], f"{m['title']}, {when(m['starts'])}") for m in meetings],
        "member_options": [(m, named(request.app, m)) for m in voters],
        "cowrite": objector and state.phase in AMEND_IN and state.outcome is None,
        "coauthor_choices": [m for m in voters if m != actor],
        "stance_choices": STANCE_CHOICES,
    }


async def _act(
    request: web.Request, form: Form, fn: Callable[[str], Awaitable[Any]]
) -> web.Response:
    """Run the member's command on the proposal; a rule's refusal goes to ``form``."""
    form.check()
    try:
        await fn(session_of(request).member.handle)
    except DomainError as exc:
        raise form.refuse(exc) from None
    raise web.HTTPSeeOther(f"/proposals/{request.match_info['root']}")


async def extend(request: web.Request) -> web.Response:
    """Extend the round, or reopen it once its deadline passed: a new deadline."""
    node = node_of(request)
    root = request.match_info["root"]
    form = Form("extend", posted(request))
    hours = form.number("hours", "number of hours from now", limit("phase.hours"))
    deadline = node.clock.now() + dt.timedelta(hours=hours)
    return await _act(request, form, lambda h: node.gov.extend(root, h, deadline))


async def test_objection(request: web.Request) -> web.Response:
    """Record the circle's test of one objection: one to integrate, or not one."""
    gov = node_of(request).gov
    root = request.match_info["root"]
    data = posted(request)
    objection = str(data.get("objection", ""))[:100]
    form = Form(f"test-{objection}", data)
    found = form.choice("valid", "finding", ("yes", "no"))
    reason = form.text("reason", "reason", limit("stance.reason"), required=True)
    return await _act(
        request,
        form,
        lambda h: gov.test_objection(root, h, objection, valid=found == "yes", reason=reason),
    )


async def record(request: web.Request) -> web.Response:
    """The secretary records a member's stance as given aloud in a meeting."""
    gov = node_of(request).gov
    form = Form("record", posted(request))
    version = form.raw("version")
    meeting = form.raw("meeting")
    member = form.raw("member")
    if not member:
        form.fail("member", "Choose the member whose stance this is.")
    value = form.choice("stance", "stance", STANCE_LABELS)
    reason = form.text("reason", "reason", limit("stance.reason"))
    if value != "consent" and not reason:
        form.fail("reason", f"Say why: {STANCE_LABELS.get(value, value).lower()} needs a reason.")
    if not meeting:
        form.fail("meeting", "Choose the meeting the stance was given in.")
    return await _act(
        request,
        form,
        lambda h: gov.stance(version, h, value, reason, member=member, meeting=meeting),
    )
