"""The rules every node checks on a person's membership at its position in the circle
order (PROTOCOL.md §13.9, §13.12): the home's membership and a member node's delegation
request alike, so a home cannot slip in what its members would refuse. Pure; the home
checks more when it writes one (the parent circle, its own members), which its member
nodes may not hold."""

from __future__ import annotations

from collections.abc import Sequence

from node.domain.circles import ROLES, SINGLE_HOLDER, CircleState
from node.domain.errors import DomainError


def check_membership(circle: CircleState, member: str, roles: Sequence[str], status: str) -> None:
    """Raise the rule's DomainError unless ``member`` may hold ``roles`` with ``status``."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError("circle.bad_role", f"unknown role(s) {unknown}; roles are {ROLES}")
    if status == "removed":
        if not circle.is_active(member):
            raise DomainError("circle.not_member", f"{member} is not a member of {circle.name}")
        return
    if "leader" in roles and "delegate" in roles:
        raise DomainError(
            "circle.leader_is_delegate", "the leader and the delegate must be different people"
        )
    for role in SINGLE_HOLDER:
        others = [h for h in circle.holders(role) if h != member]
        if role in roles and others:
            raise DomainError(
                "circle.role_taken", f"{others[0]} is the {role} of {circle.name} already"
            )


def requested_roles(circle: CircleState, member: str, roles: Sequence[str]) -> list[str]:
    """The roles a delegation request asks for (§13.9): the request speaks for the
    delegate role alone, and the roles the circle gave the person stay."""
    held = circle.members.get(member)
    kept = [r for r in (held.roles if held is not None else ()) if r != "delegate"]
    return [*kept, *roles]
