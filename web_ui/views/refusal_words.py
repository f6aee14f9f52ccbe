"""Why the circle refused an act, in words for the member who made it (the rule's code
stays in the page's source for whoever reports a problem): on the proposal page, the
home page and the notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from node.service import Node

# What the act was, as a noun ("your …", "… by Ben").
_WHAT = {
    "stance": "stance",
    "proposal": "proposal",
    "phase": "move to another phase",
    "decision": "decision",
    "selection": "act in an election",
    "meeting": "meeting record",
    "membership": "request naming a delegate",
    "campaign": "change to a campaign",
}
_PURPOSES = {"question": "question", "answer": "answer", "reaction": "reaction"}

# Why, in plain words; the rule's own message where no words are written yet.
_WHY = {
    "consent.round_closed": "The consent round had closed when it reached the circle's home.",
    "consent.not_in_round": "The consent round was no longer open when it reached the"
    " circle's home.",
    "consent.wrong_version": "The proposal had a newer version by then.",
    "consent.wrong_phase": "It did not fit the proposal's phase then: questions belong to"
    " the questions round, reactions to the reactions round, and nothing is added after"
    " the decision.",
    "consent.not_member": "You were not a member of the circle then.",
    "consent.not_facilitator": "Only the circle's facilitator may do that.",
    "consent.not_proposer": "Only the proposer or the facilitator may amend it.",
    "consent.bad_transition": "The proposal could not move that way from where it was.",
    "consent.unknown_question": "The question it answers is not part of the proposal.",
    "consent.unknown_proposal": "The proposal it names is not held in the circle.",
    "circle.leader_is_delegate": "The circle's leader cannot be its delegate as well.",
    "circle.role_taken": "Someone else holds that role in the circle.",
    "circle.not_member": "You were not a member of the circle then.",
    "circle.unknown_role": "The circle has no such role: its charter declares none of that name.",
    "selection.round_closed": "The election's consent round had closed by then.",
    "selection.closed": "The election was over by then.",
    "selection.leader_by_parent": "The circle's leader is chosen by its parent circle, which"
    " opens that election.",
    "selection.not_child": "That circle does not name this one as its parent, so its leader"
    " is not chosen here.",
}


def what(kind: str, purpose: str | None = None) -> str:
    return _PURPOSES.get(purpose or "", _WHAT.get(kind, "act"))


def why(code: str | None, message: str | None) -> str:
    found = _WHY.get(code or "")
    if found is not None:
        return found
    text = (message or "The circle's rules refused it.").strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def refusal(
    kind: str, purpose: str | None, code: str | None, message: str | None
) -> dict[str, Any]:
    """A refused act for a template: what it was, why, and the code for reports."""
    return {"what": what(kind, purpose), "why": why(code, message), "code": code or ""}


async def refused_acts(node: Node, handle: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The member's refused acts for ``partials/refused.html``, newest first."""
    return [
        {**refusal(r.kind, r.purpose, r.code, r.message), "act": r}
        for r in await node.gov.refused_acts(node.actor_of(handle), limit=limit)
    ]
