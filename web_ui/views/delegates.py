"""The organization's delegates on a federated circle's page, as its admins see them: who
they are, which requests wait for the circle's home, and why the home refused one, in
words (PROTOCOL.md §13.9)."""

from __future__ import annotations

from typing import Any

from node.governance.delegates import Delegation
from node.service import Node

# Why a home refuses a delegation request, in words (the codes of §13.9).
REFUSALS = {
    "circle.role_taken": "the organization has as many delegates as the circle's charter allows",
    "circle.unknown_role": "the circle's charter has no delegate role",
    "circle.not_in_parent": "a delegate must first be a member of the circle's parent circle",
    "circle.leader_is_delegate": "the circle's leader cannot be a delegate as well",
    "member.disabled": "the person's account is disabled",
}


def refusal(d: Delegation) -> str:
    """Why the home refused ``d``, in words."""
    return REFUSALS.get(d.code or "", "the circle's home refused it")


async def delegates_section(node: Node, circle_id: str) -> dict[str, Any]:
    """What the circle page's delegates section shows a node admin."""
    people = [m for m in await node.members() if not m.disabled]
    names = {node.actor_of(m.handle): m.display_name for m in people}
    return {
        "delegations": [
            {"d": d, "name": names.get(d.member, d.member), "why": refusal(d)}
            for d in await node.gov.delegations(circle_id)
        ],
        "people": [(m.handle, m.display_name) for m in people],
        "org": node.node_id,
    }
