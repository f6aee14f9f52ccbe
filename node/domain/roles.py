"""A circle's role register (PROTOCOL.md §8.2): the four built-in roles with their default
limits and terms, as the charter's ``roles`` may change them, and the roles the circle
declares of its own (treasurer, communications …); who may hold how many of each.

Pure: the register is made from the charter's ``roles`` list, the holders are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.domain.errors import DomainError

# The delegate role's limit counts per organization: each names its own (§13.9).
PER_ORGANIZATION = "delegate"


@dataclass(frozen=True, slots=True)
class RoleSeat:
    """One role of the register: what it is, its term, and how many may hold it (for
    the delegate role: how many per organization)."""

    name: str
    description: str
    term_months: int
    holders: int
    built_in: bool = False

    @property
    def per_organization(self) -> bool:
        return self.name == PER_ORGANIZATION


BUILT_IN: Mapping[str, RoleSeat] = {
    "leader": RoleSeat("leader", "Holds the circle to its aim and links it to its parent.",
                       12, 1, True),
    "facilitator": RoleSeat("facilitator", "Runs the circle's meetings, rounds and elections.",
                            12, 1, True),
    "secretary": RoleSeat("secretary", "Keeps the minutes, the agenda and the logbook.",
                          12, 1, True),
    "delegate": RoleSeat("delegate", "Speaks for an organization in the circle and carries "
                         "its word back.", 12, 2, True),
}  # fmt: skip


def register(declared: Iterable[Mapping[str, Any]]) -> dict[str, RoleSeat]:
    """The circle's register: the built-in roles (a charter entry of the same name sets
    their description, term and limit) and the circle's own roles, in that order."""
    seats = dict(BUILT_IN)
    for spec in declared:
        name = str(spec["name"])
        base = seats.get(name)
        seat = RoleSeat(
            name,
            str(spec.get("description", "")) or (base.description if base else ""),
            int(spec.get("term_months", 12)),
            int(spec.get("holders", 1)),
            base is not None and base.built_in,
        )
        seats[name] = seat
    return seats


def check_known(roles: Iterable[str], seats: Mapping[str, RoleSeat], circle_name: str) -> None:
    """Every role named is in the register, else ``circle.unknown_role``."""
    unknown = [r for r in roles if r not in seats]
    if unknown:
        raise DomainError(
            "circle.unknown_role",
            f"{', '.join(unknown)} is no role of {circle_name}: its charter declares "
            f"{', '.join(seats)}",
        )


def organization_of(member: str) -> str:
    """The node (organization) a person member belongs to."""
    return member.partition("@")[2] or member


def rivals(seat: RoleSeat, holders: Sequence[str], member: str) -> list[str]:
    """The holders a new holder ``member`` shares the role's seats with: all of them, or
    for the delegate role those of ``member``'s organization."""
    org = organization_of(member)
    return [
        h
        for h in holders
        if h != member and (not seat.per_organization or organization_of(h) == org)
    ]


def is_full(seat: RoleSeat, holders: Sequence[str], member: str, replaces: str | None) -> bool:
    """Whether ``member`` cannot take the role without someone leaving it: its seats are
    all held by others (``replaces`` leaves them)."""
    if member in holders:
        return False
    return len([h for h in rivals(seat, holders, member) if h != replaces]) >= seat.holders
