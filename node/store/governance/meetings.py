"""Meetings in the governance tables: the facilitator or the secretary schedules one and
writes its minutes once (``meetings``); attendance and items are checked against the
circle."""

from __future__ import annotations

import datetime as dt
import sqlite3

import msgspec

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.governance.times import stamp
from protocol.schemas import AgendaItem, MeetingMinutes, MeetingSchedule


def run_meeting(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    actor: str,
    body: MeetingSchedule | MeetingMinutes,
    at: dt.datetime,
) -> str:
    """Meetings: the facilitator or the secretary schedules one and writes its minutes
    once; attendance names active members, items name this circle's proposals and
    decisions."""
    keepers = set(circle.holders("facilitator")) | set(circle.holders("secretary"))
    if actor not in keepers:
        raise DomainError("meeting.not_keeper", f"{actor} is not the facilitator or secretary")
    if isinstance(body, MeetingSchedule):
        _check_items(conn, circle, body.agenda)
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
        return env_id
    row = conn.execute(
        "SELECT minutes_id FROM meetings WHERE id = ? AND circle_id = ?",
        (body.meeting, circle.id),
    ).fetchone()
    if row is None:
        raise DomainError("meeting.unknown", f"no meeting {body.meeting} in this circle")
    if row[0] is not None:
        raise DomainError("meeting.minuted", "the meeting's minutes are written already")
    absent = [a for a in body.attendance if not circle.is_active(a)]
    if absent:
        raise DomainError("meeting.not_member", f"{absent[0]} is not a member of the circle")
    _check_items(conn, circle, body.items)
    conn.execute(
        "UPDATE meetings SET minutes_id = ?, updated_at = ? WHERE id = ?",
        (env_id, stamp(at), body.meeting),
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
