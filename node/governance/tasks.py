"""What needs a member now: every real task of theirs in their circles, each with the page
where they do it (PROTOCOL.md §13 says what each state allows; this only reads it).

A round they have not answered (a proposal's or an election's); as facilitator, a round
that can close (everyone answered, or its deadline passed) and an election whose
nominations can be revealed; as proposer, an objection awaiting an amendment; an action
item they own; as facilitator or secretary, minutes to write or to approve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.domain.circles import CircleState
from node.governance.meetings import Meetings
from node.governance.process import Process
from node.store import governance as gov
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class Task:
    """One thing a member should do: ``kind`` says which (for tests and styling),
    ``text`` says it in words, ``href`` is where they do it."""

    kind: str
    text: str
    href: str
    circle: str
    when: str | None = None  # a deadline (a time) or a due date
    overdue: bool = False


def _everyone_answered(circle: CircleState, answered: Mapping[str, object]) -> bool:
    people = [m.member for m in circle.members.values() if m.active and "@" in m.member]
    return all(p in answered for p in people)


def _passed(deadline: dt.datetime | None, now: dt.datetime) -> bool:
    return deadline is not None and deadline <= now


class Tasks(Process):
    """Each member's tasks, read from the governance tables."""

    def __init__(self, node: NodeCore, meetings: Meetings) -> None:
        super().__init__(node)
        self.meetings = meetings

    async def tasks(self, actor: str) -> list[Task]:
        """Every task of ``actor`` now, those with the nearest time first."""
        rows = await self.node.store.fetchall(
            "SELECT circle_id FROM circle_members WHERE member = ? AND status = 'active'",
            (actor,),
        )
        circles: dict[str, CircleState] = {}
        for (circle_id,) in rows:
            circle = await self.node.circle(circle_id)
            if circle is not None:
                circles[circle_id] = circle
        now = self.node.clock.now()
        found = [
            *await self._proposals(actor, circles, now),
            *await self._elections(actor, circles, now),
            *await self._actions(actor, circles, now),
            *await self._minutes(actor, circles, now),
        ]
        return sorted(found, key=lambda t: (t.when is None, t.when or "", t.kind, t.text))

    async def _proposals(
        self, actor: str, circles: Mapping[str, CircleState], now: dt.datetime
    ) -> Iterable[Task]:
        out = []
        for (blob,) in await self._states("proposals", "('consent', 'integrating')", circles):
            state = gov.decode_state(blob)
            circle = circles[state.circle]
            href = f"/proposals/{state.root}"
            title = state.history[-1].title if state.history else state.root
            when = format_ts(state.deadline) if state.deadline else None
            if state.phase == "consent":
                if actor not in state.stances and not _passed(state.deadline, now):
                    text = f"Give your stance on “{title}”"
                    out.append(Task("stance", text, href, circle.name, when))
                can_close = _everyone_answered(circle, state.stances)
                if actor in circle.holders("facilitator") and (
                    can_close or _passed(state.deadline, now)
                ):
                    text = f"Close the consent round on “{title}”"
                    out.append(Task("close_round", text, href, circle.name, when))
            open_objections = [o for o in state.objections if o.resolved_by is None]
            if state.proposer == actor and open_objections:
                text = f"Amend “{title}” to integrate an objection"
                out.append(Task("amend", text, href, circle.name))
        return out

    async def _elections(
        self, actor: str, circles: Mapping[str, CircleState], now: dt.datetime
    ) -> Iterable[Task]:
        out = []
        for (blob,) in await self._states("selections", "('nominations', 'consent')", circles):
            sel = gov.decode_selection(blob)
            circle = circles[sel.circle]
            href = f"/elections/{sel.id}"
            when = format_ts(sel.deadline) if sel.deadline else None
            facilitates = actor in circle.holders("facilitator")
            if sel.phase == "nominations":
                if facilitates and sel.nominations:
                    text = f"Reveal the nominations for {sel.role}: start the nomination round"
                    out.append(Task("reveal", text, href, circle.name))
                continue
            if actor not in sel.stances and not _passed(sel.deadline, now):
                text = f"Give your stance on the candidate for {sel.role}"
                out.append(Task("election_stance", text, href, circle.name, when))
            if facilitates and (
                _everyone_answered(circle, sel.stances) or _passed(sel.deadline, now)
            ):
                text = f"Close the consent round of the election for {sel.role}"
                out.append(Task("close_election", text, href, circle.name, when))
        return out

    async def _actions(
        self, actor: str, circles: Mapping[str, CircleState], now: dt.datetime
    ) -> Iterable[Task]:
        today = now.date().isoformat()
        return [
            Task(
                "action",
                a["what"],
                f"/meetings/{a['meeting']}#action-{a['n']}",
                circles[a["circle_id"]].name,
                a["due"],
                a["due"] is not None and a["due"] < today,
            )
            for a in await self.meetings.owned_actions(actor)
            if a["circle_id"] in circles
        ]

    async def _minutes(
        self, actor: str, circles: Mapping[str, CircleState], now: dt.datetime
    ) -> Iterable[Task]:
        kept = [
            c.id
            for c in circles.values()
            if actor in c.holders("facilitator") or actor in c.holders("secretary")
        ]
        if not kept:
            return []
        marks = ", ".join("?" * len(kept))
        rows = await self.node.store.fetchall(
            "SELECT id, circle_id, title, starts, minutes_id FROM meetings"  # noqa: S608
            f" WHERE circle_id IN ({marks}) AND approved_by IS NULL"
            " AND (minutes_id IS NOT NULL OR starts <= ?) ORDER BY starts",
            (*kept, format_ts(now)),
        )
        out = []
        for meeting_id, circle_id, title, starts, minutes_id in rows:
            href = f"/meetings/{meeting_id}"
            if minutes_id is None:
                text = f"Write the minutes of “{title}”"
                out.append(Task("write_minutes", text, href, circles[circle_id].name, starts))
            else:
                text = f"Have the next meeting approve the minutes of “{title}”"
                out.append(Task("approve_minutes", text, href, circles[circle_id].name))
        return out

    async def _states(
        self, table: str, phases: str, circles: Mapping[str, CircleState]
    ) -> list[tuple[bytes]]:
        if not circles:
            return []
        marks = ", ".join("?" * len(circles))
        rows = await self.node.store.fetchall(
            f"SELECT state FROM {table} WHERE phase IN {phases}"  # noqa: S608 - fixed names
            f" AND circle_id IN ({marks})",
            tuple(circles),
        )
        return [(r[0],) for r in rows]
