"""A circle's meetings: scheduled with their agenda by the facilitator or secretary, then
minuted once (attendance, rounds, items and the decisions taken)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from node.domain.errors import DomainError
from node.governance.process import Process
from protocol import format_ts


def _meeting_row(row: Any) -> dict[str, Any]:
    i, circle_id, title, starts, agenda, minutes_id = row
    return {
        "id": i,
        "circle_id": circle_id,
        "title": title,
        "starts": starts,
        "agenda": orjson.loads(agenda),
        "minutes_id": minutes_id,
    }


class Meetings(Process):
    """The meetings of the node's circles."""

    async def schedule_meeting(
        self,
        circle_id: str,
        handle: str,
        title: str,
        starts: dt.datetime,
        agenda: Sequence[dict[str, Any]] = (),
    ) -> str:
        """The facilitator or secretary schedules a meeting with its agenda (items of type
        report, explore or decide, optionally naming a proposal); returns its id."""
        body = {"op": "schedule", "title": title.strip(), "starts": format_ts(starts)}
        body["agenda"] = [dict(item) for item in agenda]  # type: ignore[assignment]
        return await self.act_id("meeting", circle_id, body, handle)

    async def write_minutes(
        self,
        meeting_id: str,
        handle: str,
        *,
        attendance: Sequence[str],
        agenda_consented: bool,
        opening: str = "",
        items: Sequence[dict[str, Any]] = (),
        closing: str = "",
    ) -> str:
        """The minutes of a meeting (once): who attended (actors), the opening round, the
        agenda consented, the items with their notes and decisions, the closing round."""
        held = await self.meeting(meeting_id)
        if held is None:
            raise DomainError("meeting.unknown", f"no meeting {meeting_id}")
        body: dict[str, Any] = {
            "op": "minutes",
            "meeting": meeting_id,
            "attendance": list(attendance),
            "agenda_consented": agenda_consented,
            "opening": opening,
            "items": [dict(item) for item in items],
            "closing": closing,
        }
        return await self.act_id("meeting", held["circle_id"], body, handle, (meeting_id,))

    async def meetings(self, circle_id: str) -> list[dict[str, Any]]:
        rows = await self.node.store.fetchall(
            "SELECT id, circle_id, title, starts, agenda, minutes_id FROM meetings"
            " WHERE circle_id = ? ORDER BY starts DESC, id",
            (circle_id,),
        )
        return [_meeting_row(r) for r in rows]

    async def meeting(self, meeting_id: str) -> dict[str, Any] | None:
        row = await self.node.store.fetchone(
            "SELECT id, circle_id, title, starts, agenda, minutes_id FROM meetings WHERE id = ?",
            (meeting_id,),
        )
        return None if row is None else _meeting_row(row)
