"""Circles: aim, domain, parent, members and roles, with the double-link invariants.

- roles are those of the circle's register (``node.domain.roles``), each held by at most
  as many as the register allows (by default one leader, one facilitator, one secretary,
  two delegates per organization);
- nobody is both leader and delegate of the same circle;
- a circle's leader and delegates are active members of its parent circle, and stay
  so: removing them from the parent first needs their role in the child changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from node.domain.errors import DomainError
from node.domain.roles import BUILT_IN, RoleSeat, check_known, rivals

ROLES = ("leader", "delegate", "facilitator", "secretary")
# The built-in roles one member holds at a time, unless the charter says otherwise.
SINGLE_HOLDER = ("leader", "facilitator", "secretary")
LINK_ROLES = ("leader", "delegate")


@dataclass(frozen=True, slots=True)
class CircleMember:
    member: str
    status: str
    roles: tuple[str, ...] = ()
    final_seq: int | None = None
    # For a node: the home's membership envelope that invited it (PROTOCOL.md §13.10).
    invitation: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def invited(self) -> bool:
        """A node the home invited that has not accepted yet: not a member node."""
        return self.status == "invited"


@dataclass(frozen=True, slots=True)
class CircleState:
    id: str
    home: str
    name: str
    aim: str
    domain: str = ""
    parent: str | None = None
    federated: bool = False
    members: dict[str, CircleMember] = field(default_factory=dict)
    # The role register the charter makes (node.domain.roles.register).
    seats: Mapping[str, RoleSeat] = field(default_factory=lambda: dict(BUILT_IN))

    def holders(self, role: str) -> list[str]:
        return [m.member for m in self.members.values() if m.active and role in m.roles]

    def is_active(self, member: str) -> bool:
        m = self.members.get(member)
        return m is not None and m.active


def circle_body(
    name: str, aim: str, domain: str, parent: CircleState | None, federated: bool
) -> dict[str, Any]:
    """The body of a new circle's charter."""
    name = name.strip()
    if not name or len(name) > 200:
        raise DomainError("circle.bad_name", "a circle's name is 1-200 characters")
    if not aim.strip():
        raise DomainError("circle.no_aim", "a circle needs an aim")
    body: dict[str, Any] = {"name": name, "aim": aim.strip(), "federated": federated}
    if domain.strip():
        body["domain"] = domain.strip()
    if parent is not None:
        body["parent"] = parent.id
    return body


def membership_body(
    circle: CircleState,
    parent: CircleState | None,
    children: Sequence[CircleState],
    member: str,
    roles: Sequence[str],
    status: str = "active",
) -> dict[str, Any]:
    """Decide a membership change; return the body of the ``membership`` envelope."""
    if status not in ("active", "removed"):
        raise DomainError("circle.bad_status", f"status must be active or removed, not {status}")
    check_known(roles, circle.seats, circle.name)
    roles = list(dict.fromkeys(roles))
    if status == "removed":
        roles = []
    if "leader" in roles and "delegate" in roles:
        raise DomainError(
            "circle.leader_is_delegate", "the leader and the delegate must be different people"
        )
    for role in roles:
        seat = circle.seats[role]
        others = rivals(seat, circle.holders(role), member)
        if member not in circle.holders(role) and len(others) >= seat.holders:
            raise DomainError("circle.role_taken", _taken(seat, others, circle.name))
    # The new roles replace the member's old ones, so leader and delegate in ``roles``
    # (checked above) is the only way to hold both.
    for role in LINK_ROLES:
        if role not in roles:
            continue
        if parent is not None and not parent.is_active(member):
            raise DomainError(
                "circle.not_in_parent",
                f"a {role} of {circle.name} must be a member of its parent {parent.name} first",
            )
    current = circle.members.get(member)
    if status == "active" and current is not None and current.invited:
        raise DomainError(
            "circle.invited",
            f"{member} is invited to {circle.name} already; it joins when its admin accepts",
        )
    if status == "removed":
        # Removing an invited node withdraws its invitation.
        if current is None or not (current.active or current.invited):
            raise DomainError("circle.not_member", f"{member} is not a member of {circle.name}")
        for child in children:
            held = [r for r in LINK_ROLES if member in child.holders(r)]
            if held:
                raise DomainError(
                    "circle.double_link",
                    f"{member} is {held[0]} of {child.name}, a sub-circle; change that first",
                )
    return {"member": member, "status": status, "roles": roles}


def _taken(seat: RoleSeat, others: Sequence[str], circle: str) -> str:
    if seat.holders == 1:
        return f"{others[0]} is the {seat.name} of {circle} already"
    whose = " for this organization" if seat.per_organization else ""
    return f"{circle} has its {seat.holders} {seat.name}s{whose} already: {', '.join(others)}"
