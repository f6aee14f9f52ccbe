"""The rules every node checks on a person's membership at its position in the circle
order (PROTOCOL.md §13.9, §13.12): the home's membership and a member node's delegation
request alike, so a home cannot slip in what its members would refuse. Pure; the home
checks more when it writes one (the parent circle, its own members), which its member
nodes may not hold."""

from __future__ import annotations

from collections.abc import Sequence

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.roles import check_known, rivals


def check_membership(circle: CircleState, member: str, roles: Sequence[str], status: str) -> None:
    """Raise the rule's DomainError unless ``member`` may hold ``roles`` with ``status``:
    roles of the circle's register (§8.2), within their seats (§13.7, §13.9)."""
    check_known(roles, circle.seats, circle.name)
    if status == "removed":
        if not circle.is_active(member):
            raise DomainError("circle.not_member", f"{member} is not a member of {circle.name}")
        return
    if "leader" in roles and "delegate" in roles:
        raise DomainError(
            "circle.leader_is_delegate", "the leader and the delegate must be different people"
        )
    for role in roles:
        seat = circle.seats[role]
        others = rivals(seat, circle.holders(role), member)
        if member not in circle.holders(role) and len(others) >= seat.holders:
            raise DomainError(
                "circle.role_taken",
                f"{circle.name} has no free seat of {role}: {others[0]} holds it",
            )


def requested_roles(circle: CircleState, member: str, roles: Sequence[str]) -> list[str]:
    """The roles a delegation request asks for (§13.9): the request speaks for the
    delegate role alone, and the roles the circle gave the person stay."""
    held = circle.members.get(member)
    kept = [r for r in (held.roles if held is not None else ()) if r != "delegate"]
    return [*kept, *roles]
