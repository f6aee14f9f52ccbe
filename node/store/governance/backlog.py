"""Each circle's backlog (PROTOCOL.md §13.8): tensions and agenda items any member adds,
that a meeting's agenda draws from and the facilitator or secretary closes."""

from __future__ import annotations

import datetime as dt
import sqlite3

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.governance.times import stamp
from protocol.schemas import AgendaItem, MeetingBacklog, MeetingBacklogClose


def run_backlog(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    actor: str,
    body: MeetingBacklog | MeetingBacklogClose,
    at: dt.datetime,
    keepers: set[str],
) -> str:
    """Add an item (an active person member, or the home node itself) or close one (the
    facilitator or secretary); the item's id."""
    if isinstance(body, MeetingBacklog):
        person = "@" in actor and circle.is_active(actor)
        if not person and actor != circle.home:
            raise DomainError("meeting.not_member", f"{actor} is not a member of the circle")
        conn.execute(
            "INSERT INTO backlog (id, circle_id, title, note, author, source, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (env_id, circle.id, body.title, body.note, actor, body.source, stamp(at)),
        )
        return env_id
    if actor not in keepers:
        raise DomainError("meeting.not_keeper", f"{actor} is not the facilitator or secretary")
    _open_item(conn, circle, body.item)
    conn.execute(
        "UPDATE backlog SET closed_id = ?, closed_by = ?, closed_at = ?, close_note = ?"
        " WHERE id = ?",
        (env_id, actor, stamp(at), body.note, body.item),
    )
    return body.item


def check_drawn(conn: sqlite3.Connection, circle: CircleState, items: list[AgendaItem]) -> None:
    """Agenda items drawn from the backlog name open items of this circle."""
    for item in items:
        if item.backlog is not None:
            _open_item(conn, circle, item.backlog)


def draw(conn: sqlite3.Connection, meeting_id: str, items: list[AgendaItem]) -> None:
    """Mark the backlog items a meeting's agenda drew as on that meeting's agenda."""
    for item in items:
        if item.backlog is not None:
            conn.execute(
                "UPDATE backlog SET meeting_id = ? WHERE id = ?", (meeting_id, item.backlog)
            )


def _open_item(conn: sqlite3.Connection, circle: CircleState, item_id: str) -> None:
    row = conn.execute(
        "SELECT 1 FROM backlog WHERE id = ? AND circle_id = ? AND closed_id IS NULL",
        (item_id, circle.id),
    ).fetchone()
    if row is None:
        raise DomainError("meeting.unknown_backlog", f"no open backlog item {item_id} here")
