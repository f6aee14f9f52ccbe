"""Moving a circle's home without it, on the circle page for a node's admins (PROTOCOL.md
§13.15): how long the home has been silent, what the charter allows, the votes so far by
organization, and this organization's vote for a new home."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from node.domain.errors import DomainError
from node.governance.home_moves import HomeSilence
from node.service import Node
from web_ui.context import flash, node_of, posted, session_of
from web_ui.errors import page_error
from web_ui.forms import Form
from web_ui.guard import page

# A refused vote, in words (the codes of §13.15).
REFUSALS = {
    "home.not_timed_out": "The circle's home was heard from too recently: the charter does"
    " not let the member organizations move it yet.",
    "home.bad_vote": "That organization's node cannot be the circle's home: it is not one"
    " of the circle's member nodes.",
}


def days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


async def home_move_section(
    node: Node, circle_id: str, name_of: Callable[[str], str]
) -> dict[str, Any] | None:
    """What the circle page shows an admin of a member node whose home has been silent
    past the charter's timeout; None while it has not (or this node is the home)."""
    silence: HomeSilence | None = await node.gov.home_silence(circle_id)
    if silence is None or not silence.timed_out:
        return None
    home = name_of(silence.circle.home)
    candidates = sorted(silence.voters, key=name_of)
    return {
        "said": f"{home}'s node has not been heard from for {days(silence.silent_days)}."
        f" The circle's charter lets the member organizations move the home after"
        f" {days(silence.timeout_days)}.",
        "candidates": [(n, name_of(n)) for n in candidates],
        "votes": [
            (name_of(voter), name_of(to))
            for voter, to in sorted(silence.votes.items(), key=lambda v: name_of(v[0]))
        ],
        "waiting": [name_of(n) for n in candidates if n not in silence.votes],
        "mine": name_of(silence.mine) if silence.mine else None,
    }


async def vote(request: web.Request) -> web.Response:
    """This organization's vote (a node admin's act) to move the silent home, or its
    withdrawal."""
    node = node_of(request)
    circle_id = request.match_info["circle"]
    # A member page first, so that who may not read the circle learns no more than that.
    if session_of(request).member.role != "admin":
        raise page_error(403, "auth.forbidden", "Your organization's admins cast its vote.")
    form = Form("home-vote", posted(request))
    to = form.text("to", "New home", required=True)
    withdraw = form.raw("withdraw") == "1"
    form.check()
    try:
        await node.gov.vote_home_move(circle_id, to, withdraw=withdraw)
    except DomainError as exc:
        form.fail("", REFUSALS.get(exc.code, "The vote was not accepted."))
        form.check()
        raise
    names = await node.load_org_names()
    who = names.get(to, "the organization chosen")
    flash(
        request,
        f"Your organization's vote to move the home to {who} is withdrawn."
        if withdraw
        else f"Your organization voted to move the home to {who}. The home moves once"
        " every member organization has voted.",
    )
    raise web.HTTPSeeOther(f"/circles/{circle_id}#home-move")


def routes(app: web.Application, again: Any) -> None:
    """The vote's form; ``again`` is the circle page, shown again with a refusal."""
    app.router.add_post("/circles/{circle}/home-vote", page("member", again=again)(vote))
