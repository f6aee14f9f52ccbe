"""The leader of a circle chosen by its parent circle (PROTOCOL.md §13.16), the command
side: the parent opens the election naming the child (``for_circle``), and the child's
home, holding the parent's result, carries it out in the child with its own membership,
the parent's ``open`` and ``result`` attached so every node of the child checks them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.leaders import LEADER
from node.domain.roles import is_full
from node.domain.selection import SelectionState
from node.governance.process import Process
from node.governance.stuck import Stuck, StuckChange
from node.store import governance as gov
from node.store.codec import envelope_from_row

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class _Pending:
    """A parent's choice this node carries out: the child, the election and the parent's
    two envelopes as JSON objects."""

    child: str
    state: SelectionState
    result_id: str
    chosen_by: tuple[dict[str, Any], dict[str, Any]]


def child_leader_replaced(child: CircleState, replaces: str | None) -> str | None:
    """Whom a new leader of ``child`` replaces: ``replaces`` if given, else the present
    leader when every seat is held (the parent chooses the leader; it does not add one)."""
    if replaces is not None:
        return replaces
    holders = child.holders(LEADER)
    seat = child.seats[LEADER]
    return holders[0] if holders and is_full(seat, holders, "", None) else None


def check_child(parent: CircleState, child: CircleState | None) -> CircleState | None:
    """The circle whose leader ``parent`` may choose, when this node holds it: it must
    name ``parent`` as its parent, else ``selection.not_child``. A child this node does
    not hold (another organization's circle) judges the choice itself (§13.16)."""
    if child is not None and child.parent != parent.id:
        raise DomainError(
            "selection.not_child",
            f"only a circle whose charter names {parent.name} as its parent has its leader"
            " chosen there",
        )
    return child


class Leaders(Process):
    """Carrying out, in the child circles this node is home of, the leaders their parent
    circles chose."""

    def __init__(self, node: NodeCore, stuck: Stuck) -> None:
        super().__init__(node)
        self.stuck = stuck

    async def carry_out(self) -> list[str]:
        """Every parent's choice of a leader not carried out yet in a child homed here:
        the holder replaced gives the role up, the chosen member takes it (joining the
        circle if need be), each membership naming the result; the results' ids. A choice
        the child's rules refuse now (a double link) is left, and shown to the admins
        (``Stuck``)."""
        done, failed = [], []
        for item in await self.node.store.write(self._pending):
            try:
                await self._give(item)
            except DomainError as exc:
                who = str(item.state.selected)
                failed.append(
                    StuckChange("leader", item.child, item.result_id, who, exc.code, exc.message)
                )
                continue
            done.append(item.result_id)
        self.stuck.tried("leader", failed, "leader not given")
        return done

    async def _give(self, item: _Pending) -> None:
        child = await self.node.circle(item.child)
        selected = item.state.selected
        if child is None or selected is None:
            return
        gone = child_leader_replaced(child, item.state.replaces)
        refs = (item.result_id,)
        if gone is not None and gone != selected and gone in child.holders(LEADER):
            kept = [r for r in child.members[gone].roles if r != LEADER]
            child = await self.node.set_membership(
                child.id, gone, kept, refs=refs, chosen_by=item.chosen_by
            )
        held = child.members.get(selected)
        roles = list(dict.fromkeys([*(held.roles if held and held.active else ()), LEADER]))
        await self.node.set_membership(
            child.id, selected, roles, refs=refs, chosen_by=item.chosen_by
        )

    def _pending(self, conn: sqlite3.Connection) -> list[_Pending]:
        out = []
        for (data,) in conn.execute(
            "SELECT DISTINCT s.state FROM selections s JOIN circles c ON c.parent = s.circle_id"
            " WHERE s.role = ? AND s.selected IS NOT NULL AND c.home = ?"
            " ORDER BY s.updated_at, s.id",
            (LEADER, self.node.node_id),
        ):
            state = gov.decode_selection(data)
            child = state.for_circle
            found = _result_of(conn, state) if child is not None else None
            if child is None or found is None:
                continue
            parent_of = conn.execute("SELECT parent FROM circles WHERE id = ?", (child,))
            row = parent_of.fetchone()
            if (
                row is None
                or row[0] != state.circle
                or _carried_out(conn, child, found[0], str(state.selected))
            ):
                continue
            opening = _envelope_json(conn, state.id)
            if opening is not None:
                out.append(_Pending(child, state, found[0], (opening, found[1])))
        return out


def _result_of(
    conn: sqlite3.Connection, state: SelectionState
) -> tuple[str, dict[str, Any]] | None:
    """The applied ``result`` of the election and its envelope as a JSON object."""
    for env_id, header, body in conn.execute(
        "SELECT e.id, e.header, e.body FROM envelopes e JOIN gov_effects g"
        " ON g.envelope_id = e.id AND g.status = 'applied'"
        " WHERE e.scope = ? AND e.kind = 'selection' AND e.body IS NOT NULL",
        (state.circle,),
    ):
        found = orjson.loads(body)
        if found.get("op") == "result" and found.get("selection") == state.id:
            return str(env_id), envelope_from_row(header, body).to_json()
    return None


def _envelope_json(conn: sqlite3.Connection, env_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT header, body FROM envelopes WHERE id = ?", (env_id,)).fetchone()
    return None if row is None or row[1] is None else envelope_from_row(row[0], row[1]).to_json()


def _carried_out(conn: sqlite3.Connection, child: str, result_id: str, member: str) -> bool:
    """Whether the chosen member's membership in the child names the result."""
    for header, body in conn.execute(
        "SELECT header, body FROM envelopes WHERE scope = ? AND kind = 'membership'"
        " AND body IS NOT NULL",
        (child,),
    ):
        env = envelope_from_row(header, body)
        if result_id in env.refs and (env.body or {}).get("member") == member:
            return True
    return False
