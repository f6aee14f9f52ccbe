"""Meetings in the governance tables (PROTOCOL.md §13.8): the facilitator or the secretary
schedules one and writes its minutes once (``meetings``), corrects them whole
(``meeting_minutes`` keeps every version), a later meeting approves them; their action
items (``meeting_actions``) are marked done by their owner. The backlog is ``backlog``'s.

Every check of an event comes before its first write: a refused event changes nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.governance.backlog import check_drawn, draw, run_backlog
from node.store.governance.times import stamp
from protocol.schemas import (
    AgendaItem,
    MeetingBacklog,
    MeetingBacklogClose,
    MeetingCorrect,
    MeetingDone,
    MeetingMinutes,
    MeetingSchedule,
    MinutesContent,
)

MeetingEvent = (
    MeetingSchedule
    | MeetingMinutes
    | MeetingCorrect
    | MeetingDone
    | MeetingBacklog
    | MeetingBacklogClose
)


def keepers(circle: CircleState) -> set[str]:
    """Who keeps the circle's meetings: its facilitator and its secretary."""
    return set(circle.holders("facilitator")) | set(circle.holders("secretary"))


def run_meeting(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    actor: str,
    body: MeetingEvent,
    at: dt.datetime,
) -> str:
    """One meeting event, checked at its position; the process it belongs to (the
    meeting's id, or the backlog item's)."""
    if isinstance(body, MeetingBacklog | MeetingBacklogClose):
        return run_backlog(conn, circle, env_id, actor, body, at, keepers(circle))
    if isinstance(body, MeetingDone):
        return _done(conn, circle, env_id, actor, body, at)
    if actor not in keepers(circle):
        raise DomainError("meeting.not_keeper", f"{actor} is not the facilitator or secretary")
    if isinstance(body, MeetingSchedule):
        _check_items(conn, circle, body.agenda)
        check_drawn(conn, circle, body.agenda)
        conn.execute(
            "INSERT INTO meetings (id, circle_id, title, starts, agenda, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                env_id,
                circle.id,
                body.title,
                body.starts,
                msgspec.json.encode(body.agenda),
                stamp(at),
            ),
        )
        draw(conn, env_id, body.agenda)
        return env_id
    held = _meeting(conn, circle, body.meeting)
    if isinstance(body, MeetingMinutes):
        if held["minutes_id"] is not None:
            raise DomainError("meeting.minuted", "the meeting's minutes are written already")
        _check_content(conn, circle, held, body, None)
        _record_version(conn, circle, env_id, body, None, "", at)
        return body.meeting
    if held["minutes_id"] is None:
        raise DomainError("meeting.not_minuted", "the meeting has no minutes to correct")
    if body.replaces != held["minutes_id"]:
        raise DomainError("meeting.not_latest", "a later version replaced those minutes")
    if held["approved_by"] is not None:
        raise DomainError("meeting.approved", "approved minutes are not corrected any more")
    previous = conn.execute(
        "SELECT approves FROM meeting_minutes WHERE id = ?", (body.replaces,)
    ).fetchone()
    _check_content(conn, circle, held, body, previous[0] if previous else None)
    _record_version(conn, circle, env_id, body, body.replaces, body.note, at)
    return body.meeting


def _meeting(conn: sqlite3.Connection, circle: CircleState, meeting_id: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT id, starts, minutes_id, approved_by FROM meetings WHERE id = ? AND circle_id = ?",
        (meeting_id, circle.id),
    ).fetchone()
    if row is None:
        raise DomainError("meeting.unknown", f"no meeting {meeting_id} in this circle")
    return {"id": row[0], "starts": row[1], "minutes_id": row[2], "approved_by": row[3]}


def _check_content(
    conn: sqlite3.Connection,
    circle: CircleState,
    held: dict[str, Any],
    body: MinutesContent,
    approved_before: str | None,
) -> None:
    absent = [a for a in body.attendance if not circle.is_active(a)]
    absent += [
        a.owner for item in body.items for a in item.actions if not circle.is_active(a.owner)
    ]
    if absent:
        raise DomainError("meeting.not_member", f"{absent[0]} is not a member of the circle")
    _check_items(conn, circle, body.items)
    if approved_before is not None:
        if body.approves != approved_before:
            raise DomainError("meeting.bad_approval", "a correction keeps the approval it had")
        return
    if body.approves is None:
        return
    row = conn.execute(
        "SELECT m.id, m.starts, m.minutes_id, m.approved_by FROM meeting_minutes v"
        " JOIN meetings m ON m.id = v.meeting_id WHERE v.id = ? AND v.circle_id = ?",
        (body.approves, circle.id),
    ).fetchone()
    if row is None or row[0] == held["id"] or row[1] >= held["starts"]:
        raise DomainError(
            "meeting.bad_approval", "approves no minutes of an earlier meeting of this circle"
        )
    if row[2] != body.approves:
        raise DomainError("meeting.not_latest", "a later version replaced those minutes")
    if row[3] is not None:
        raise DomainError("meeting.bad_approval", "those minutes are approved already")


def _record_version(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    body: MinutesContent,
    replaces: str | None,
    note: str,
    at: dt.datetime,
) -> None:
    """The minutes' new current version: its row, its action items (keeping the done
    marks of actions with the same text and owner) and the approval it records."""
    conn.execute(
        "INSERT INTO meeting_minutes (id, meeting_id, circle_id, replaces, approves, note, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (env_id, body.meeting, circle.id, replaces, body.approves, note, stamp(at)),
    )
    conn.execute(
        "UPDATE meetings SET minutes_id = ?, updated_at = ? WHERE id = ?",
        (env_id, stamp(at), body.meeting),
    )
    marks: dict[tuple[str, str], list[tuple[str | None, str | None, str | None]]] = {}
    for what, owner, done_id, done_by, done_at in conn.execute(
        "SELECT what, owner, done_id, done_by, done_at FROM meeting_actions"
        " WHERE meeting_id = ? AND done_id IS NOT NULL ORDER BY n",
        (body.meeting,),
    ):
        marks.setdefault((what, owner), []).append((done_id, done_by, done_at))
    conn.execute("DELETE FROM meeting_actions WHERE meeting_id = ?", (body.meeting,))
    n = 0
    for item in body.items:
        for action in item.actions:
            n += 1
            kept = marks.get((action.what, action.owner))
            done = kept.pop(0) if kept else (None, None, None)
            conn.execute(
                "INSERT INTO meeting_actions (meeting_id, n, circle_id, item, what, owner, due,"
                " done_id, done_by, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    body.meeting,
                    n,
                    circle.id,
                    item.title,
                    action.what,
                    action.owner,
                    action.due,
                    *done,
                ),
            )
    if body.approves is not None:
        conn.execute(
            "UPDATE meetings SET approved_by = ?, approved_version = ?, updated_at = ?"
            " WHERE minutes_id = ?",
            (body.meeting, body.approves, stamp(at), body.approves),
        )


def _done(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    actor: str,
    body: MeetingDone,
    at: dt.datetime,
) -> str:
    held = _meeting(conn, circle, body.meeting)
    if held["minutes_id"] != body.minutes:
        raise DomainError("meeting.not_latest", "those are not the meeting's current minutes")
    row = conn.execute(
        "SELECT owner, done_id FROM meeting_actions WHERE meeting_id = ? AND n = ?",
        (body.meeting, body.action),
    ).fetchone()
    if row is None:
        raise DomainError("meeting.unknown_action", f"the minutes hold no action {body.action}")
    if actor != row[0] and actor not in keepers(circle):
        raise DomainError("meeting.not_owner", f"{actor} neither owns the action nor keeps it")
    if row[1] is not None:
        raise DomainError("meeting.done_already", "the action is marked done already")
    conn.execute(
        "UPDATE meeting_actions SET done_id = ?, done_by = ?, done_at = ?"
        " WHERE meeting_id = ? AND n = ?",
        (env_id, actor, stamp(at), body.meeting, body.action),
    )
    return body.meeting


def _check_items(conn: sqlite3.Connection, circle: CircleState, items: list[AgendaItem]) -> None:
    for item in items:
        if item.proposal is not None:
            row = conn.execute(
                "SELECT 1 FROM proposals WHERE root = ? AND circle_id = ?",
                (item.proposal, circle.id),
            ).fetchone()
            if row is None:
                raise DomainError("meeting.unknown_proposal", f"no proposal {item.proposal} here")
        if item.decision is not None:
            row = conn.execute(
                "SELECT 1 FROM gov_effects g JOIN envelopes e ON e.id = g.envelope_id"
                " WHERE g.envelope_id = ? AND g.scope = ? AND g.status = 'applied'"
                " AND e.kind = 'decision'",
                (item.decision, circle.id),
            ).fetchone()
            if row is None:
                raise DomainError("meeting.unknown_decision", f"no decision {item.decision} here")
