"""Each circle's backlog of tensions and agenda items: any member adds one, the facilitator
or secretary closes one, a meeting's agenda draws from it; a child circle's referred
decision lands on its parent's backlog (PROTOCOL.md §13.8)."""

from __future__ import annotations

from typing import Any

from node.domain.errors import DomainError
from node.governance.process import Process

_COLUMNS = (
    "b.id, b.circle_id, b.title, b.note, b.author, b.source, b.added_at, b.meeting_id,"
    " m.title, b.closed_id IS NOT NULL, b.closed_by, b.closed_at, b.close_note"
)
_KEYS = (
    "id",
    "circle_id",
    "title",
    "note",
    "author",
    "source",
    "added_at",
    "meeting_id",
    "meeting_title",
    "closed",
    "closed_by",
    "closed_at",
    "close_note",
)


class Backlog(Process):
    """The backlogs of the node's circles."""

    async def add_backlog(self, circle_id: str, handle: str, title: str, note: str = "") -> str:
        """An active member puts a tension or agenda item on the circle's backlog."""
        body = {"op": "backlog", "title": title.strip(), "note": note}
        return await self.act_id("meeting", circle_id, body, handle)

    async def close_backlog(
        self, item_id: str, handle: str, note: str = "", *, circle_id: str | None = None
    ) -> str:
        """The facilitator or secretary closes a backlog item (dealt with, or dropped);
        with ``circle_id``, only an item of that circle."""
        row = await self.node.store.fetchone(
            "SELECT circle_id FROM backlog WHERE id = ?", (item_id,)
        )
        if row is None or circle_id not in (None, row[0]):
            raise DomainError("meeting.unknown_backlog", f"no backlog item {item_id}")
        body = {"op": "backlog_close", "item": item_id, "note": note}
        return await self.act_id("meeting", row[0], body, handle, (item_id,))

    async def backlog(self, circle_id: str, *, closed: bool = False) -> list[dict[str, Any]]:
        """The circle's open backlog items, oldest first (or its closed ones, newest first)."""
        order = "b.closed_at DESC" if closed else "b.added_at"
        rows = await self.node.store.fetchall(
            f"SELECT {_COLUMNS} FROM backlog b"  # noqa: S608 - fixed columns and order
            " LEFT JOIN meetings m ON m.id = b.meeting_id"
            f" WHERE b.circle_id = ? AND (b.closed_id IS NOT NULL) = ? ORDER BY {order}, b.id",
            (circle_id, closed),
        )
        return [dict(zip(_KEYS, r, strict=True)) for r in rows]

    async def raise_referrals(self) -> list[str]:
        """Every referred decision of a circle whose parent this node is home of becomes
        an item on the parent's backlog, once, written by this node; the new items' ids."""
        rows = await self.node.store.fetchall(
            "SELECT p.decision_id, p.title, c.name, c.parent FROM proposals p"
            " JOIN circles c ON c.id = p.circle_id JOIN circles pc ON pc.id = c.parent"
            " WHERE p.outcome = 'referred' AND p.decision_id IS NOT NULL AND pc.home = ?"
            " AND NOT EXISTS (SELECT 1 FROM backlog b WHERE b.source = p.decision_id)"
            " ORDER BY p.updated_at, p.root",
            (self.node.node_id,),
        )
        raised = []
        for decision_id, title, child, parent in rows:
            body = {
                "op": "backlog",
                "title": title,
                "note": f"Referred by {child}: the circle could not decide it and asks this"
                " circle to take it up.",
                "source": decision_id,
            }
            raised.append(await self.act_id("meeting", parent, body, None, (decision_id,)))
        return raised
