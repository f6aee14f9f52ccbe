"""A circle's meetings: scheduled with their agenda (drawn from the backlog or not) by the
facilitator or secretary, minuted once, corrected whole, approved by a later meeting; the
action items the minutes agree, marked done by their owners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from node.domain.errors import DomainError
from node.governance.process import Process
from node.store.codec import envelope_from_row
from protocol import format_ts

_COLUMNS = "id, circle_id, title, starts, agenda, minutes_id, approved_by, approved_version"


def _meeting_row(row: Any) -> dict[str, Any]:
    i, circle_id, title, starts, agenda, minutes_id, approved_by, approved_version = row
    return {
        "id": i,
        "circle_id": circle_id,
        "title": title,
        "starts": starts,
        "agenda": orjson.loads(agenda),
        "minutes_id": minutes_id,
        "approved_by": approved_by,
        "approved_version": approved_version,
    }


def _action_row(row: Any) -> dict[str, Any]:
    meeting_id, n, circle_id, item, what, owner, due, done_id, done_by, done_at, title = row
    return {
        "meeting": meeting_id,
        "n": n,
        "circle_id": circle_id,
        "item": item,
        "what": what,
        "owner": owner,
        "due": due,
        "done": done_id is not None,
        "done_by": done_by,
        "done_at": done_at,
        "meeting_title": title,
    }


_ACTIONS = (
    "SELECT a.meeting_id, a.n, a.circle_id, a.item, a.what, a.owner, a.due, a.done_id,"
    " a.done_by, a.done_at, m.title FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id"
)


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
        report, explore or decide, optionally naming a proposal, or the backlog item it
        is drawn from); returns its id."""
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
        guests: Sequence[str] = (),
        approves: str | None = None,
    ) -> str:
        """The minutes of a meeting (once): who attended (actors, and guests by name), the
        opening round, the agenda consented, the items with their notes, decisions and
        action items, the closing round, and the earlier minutes this meeting approved."""
        held = await self._held(meeting_id)
        body = _content(
            meeting_id, attendance, agenda_consented, opening, items, closing, guests, approves
        )
        refs = (meeting_id,) if approves is None else (meeting_id, approves)
        return await self.act_id("meeting", held["circle_id"], body, handle, refs)

    async def correct_minutes(
        self,
        meeting_id: str,
        handle: str,
        *,
        replaces: str,
        note: str,
        attendance: Sequence[str],
        agenda_consented: bool,
        opening: str = "",
        items: Sequence[dict[str, Any]] = (),
        closing: str = "",
        guests: Sequence[str] = (),
        approves: str | None = None,
    ) -> str:
        """The facilitator or secretary corrects a meeting's minutes: the full corrected
        minutes replacing version ``replaces``, with ``note`` saying what changed."""
        held = await self._held(meeting_id)
        body = _content(
            meeting_id, attendance, agenda_consented, opening, items, closing, guests, approves
        )
        body.update(op="correct", replaces=replaces, note=note)
        return await self.act_id("meeting", held["circle_id"], body, handle, (meeting_id, replaces))

    async def mark_done(self, meeting_id: str, n: int, handle: str) -> str:
        """The owner of the meeting's ``n``-th action item (or its facilitator or
        secretary) marks it done."""
        held = await self._held(meeting_id)
        if held["minutes_id"] is None:
            raise DomainError("meeting.unknown_action", "the meeting has no minutes yet")
        body = {"op": "done", "meeting": meeting_id, "minutes": held["minutes_id"], "action": n}
        return await self.act_id("meeting", held["circle_id"], body, handle, (meeting_id,))

    async def meetings(self, circle_id: str) -> list[dict[str, Any]]:
        rows = await self.node.store.fetchall(
            f"SELECT {_COLUMNS} FROM meetings WHERE circle_id = ?"  # noqa: S608 - fixed columns
            " ORDER BY starts DESC, id",
            (circle_id,),
        )
        return [_meeting_row(r) for r in rows]

    async def meeting(self, meeting_id: str) -> dict[str, Any] | None:
        row = await self.node.store.fetchone(
            f"SELECT {_COLUMNS} FROM meetings WHERE id = ?",  # noqa: S608 - fixed columns
            (meeting_id,),
        )
        return None if row is None else _meeting_row(row)

    async def minutes_versions(self, meeting_id: str) -> list[dict[str, Any]]:
        """Every version of a meeting's minutes, first to current: its id, body, author,
        when it was ordered, what it replaced and the note of what changed."""
        out = []
        for env_id, replaces, note, at, header, body in await self.node.store.fetchall(
            "SELECT v.id, v.replaces, v.note, v.at, e.header, e.body FROM meeting_minutes v"
            " JOIN envelopes e ON e.id = v.id WHERE v.meeting_id = ? ORDER BY v.at, v.rowid",
            (meeting_id,),
        ):
            env = envelope_from_row(header, body)
            out.append(
                {
                    "id": env_id,
                    "replaces": replaces,
                    "note": note,
                    "at": at,
                    "actor": env.actor or env.author,
                    "body": env.body or {},
                }
            )
        return out

    async def actions(
        self, *, meeting_id: str | None = None, circle_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The action items of a meeting (all of them) or of a circle (the open ones)."""
        if meeting_id is not None:
            rows = await self.node.store.fetchall(
                _ACTIONS + " WHERE a.meeting_id = ? ORDER BY a.n", (meeting_id,)
            )
        else:
            rows = await self.node.store.fetchall(
                _ACTIONS + " WHERE a.circle_id = ? AND a.done_id IS NULL"
                " ORDER BY a.due IS NULL, a.due, m.starts, a.n",
                (circle_id,),
            )
        return [_action_row(r) for r in rows]

    async def owned_actions(self, actor: str) -> list[dict[str, Any]]:
        """The open action items ``actor`` owns, soonest due first."""
        rows = await self.node.store.fetchall(
            _ACTIONS + " WHERE a.owner = ? AND a.done_id IS NULL"
            " ORDER BY a.due IS NULL, a.due, m.starts, a.n",
            (actor,),
        )
        return [_action_row(r) for r in rows]

    async def _held(self, meeting_id: str) -> dict[str, Any]:
        held = await self.meeting(meeting_id)
        if held is None:
            raise DomainError("meeting.unknown", f"no meeting {meeting_id}")
        return held


def _content(
    meeting_id: str,
    attendance: Sequence[str],
    agenda_consented: bool,
    opening: str,
    items: Sequence[dict[str, Any]],
    closing: str,
    guests: Sequence[str],
    approves: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "op": "minutes",
        "meeting": meeting_id,
        "attendance": list(attendance),
        "agenda_consented": agenda_consented,
        "opening": opening,
        "items": [dict(item) for item in items],
        "closing": closing,
    }
    if guests:
        body["guests"] = list(guests)
    if approves is not None:
        body["approves"] = approves
    return body
