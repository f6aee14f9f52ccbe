"""A circle's role register as members read it: each role of the charter's register, its
holders with the end of their term, its open seats, whose term is due for a new
election, and, for a circle with a parent, that the parent chooses its leader
(PROTOCOL.md §8.2, §13.7, §13.16)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from node.domain.circles import CircleState
from node.domain.leaders import LEADER
from node.domain.roles import RoleSeat, organization_of
from node.domain.selection import term_expiring
from node.governance.process import Process
from node.store import governance as gov

# A term ending within this many days is due for a new election (§13.7).
DUE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Holder:
    member: str
    term_end: dt.date | None  # None: named without an election, no term set
    due: bool  # the term has ended or ends within DUE_DAYS


@dataclass(frozen=True, slots=True)
class RoleEntry:
    seat: RoleSeat
    holders: list[Holder]
    open_seats: int  # for the delegate role: the seats left over all member organizations
    # The leader of a circle with a parent: the parent's id and name (None: not held
    # here), the circle that chooses it (§13.16).
    chosen_by: tuple[str, str | None] | None = None

    @property
    def due(self) -> bool:
        return any(h.due for h in self.holders)


class Roles(Process):
    """The role register of the node's circles."""

    async def register(self, circle: CircleState) -> list[RoleEntry]:
        """Every role of ``circle``'s register, built-in ones first, with its holders."""
        today = self.now().date()
        terms: dict[tuple[str, str], tuple[dt.date, bool]] = {}
        rows = await self.node.store.fetchall(
            "SELECT state FROM selections WHERE circle_id IN (?, ?) AND selected IS NOT NULL"
            " ORDER BY term_start",
            (circle.id, circle.parent or circle.id),
        )
        for (data,) in rows:
            state = gov.decode_selection(data)
            if (state.circle != circle.id) != (state.for_circle == circle.id):
                continue  # another circle's, or one the parent chose for another child
            if state.selected is not None and state.term_end is not None:
                due = term_expiring(state, today, DUE_DAYS)
                terms[(state.role, state.selected)] = (state.term_end, due)
        orgs = {
            organization_of(m.member)
            for m in circle.members.values()
            if m.active and m.member != circle.home
        } | {circle.home}
        chosen_by = None
        if circle.parent is not None:
            parent = await self.node.circle(circle.parent)
            chosen_by = (circle.parent, parent.name if parent is not None else None)
        entries = []
        for seat in circle.seats.values():
            holders = []
            for member in sorted(circle.holders(seat.name)):
                end, due = terms.get((seat.name, member), (None, False))
                holders.append(Holder(member, end, due))
            seats = seat.holders * (len(orgs) if seat.per_organization else 1)
            chosen = chosen_by if seat.name == LEADER else None
            entries.append(RoleEntry(seat, holders, max(seats - len(holders), 0), chosen))
        return entries
