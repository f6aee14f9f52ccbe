"""Elections in the governance tables: ``selection`` envelopes run through
``node.domain.selection``, and each election's state kept (``selections``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec

from node.domain import selection
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.governance.proposals import rules_of
from node.store.governance.times import stamp
from protocol.schemas import (
    SelectionNominate,
    SelectionOpen,
    SelectionPhase,
    SelectionReveal,
    SelectionStance,
)

_STATE_ENCODER = msgspec.json.Encoder()
_SELECTION_DECODER = msgspec.json.Decoder(selection.SelectionState)


def run_selection(
    conn: sqlite3.Connection,
    circle: CircleState,
    env_id: str,
    actor: str,
    body: Any,
    at: dt.datetime,
) -> str:
    """An election's events through node.domain.selection."""
    if isinstance(body, SelectionOpen):
        state = selection.start(selection.Opened.from_body(env_id, actor, body), circle=circle)
        _save_selection(conn, state, at)
        return state.id
    current = load_selection(conn, body.selection)
    if current is None or current.circle != circle.id:
        raise DomainError("selection.unknown", f"no election {body.selection} in this circle")
    event: selection.Event
    if isinstance(body, SelectionNominate):
        event = selection.Nominated.from_body(env_id, actor, body)
    elif isinstance(body, SelectionReveal):
        event = selection.Revealed.from_body(actor, body)
    elif isinstance(body, SelectionPhase):
        event = selection.PhaseMoved.from_body(actor, body)
    elif isinstance(body, SelectionStance):
        event = selection.StanceGiven.from_body(env_id, actor, body)
    else:
        event = selection.ResultRecorded.from_body(actor, body)
    new = selection.apply(current, event, circle=circle, now=at, rules=rules_of(conn, circle.id))
    _save_selection(conn, new, at)
    return new.id


def load_selection(conn: sqlite3.Connection, selection_id: str) -> selection.SelectionState | None:
    row = conn.execute("SELECT state FROM selections WHERE id = ?", (selection_id,)).fetchone()
    return None if row is None else _SELECTION_DECODER.decode(row[0])


def decode_selection(data: bytes) -> selection.SelectionState:
    return _SELECTION_DECODER.decode(data)


def _save_selection(
    conn: sqlite3.Connection, state: selection.SelectionState, at: dt.datetime
) -> None:
    conn.execute(
        "INSERT INTO selections (id, circle_id, role, phase, candidate, selected, term_start,"
        " term_end, updated_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET phase = excluded.phase,"
        " candidate = excluded.candidate, selected = excluded.selected,"
        " term_start = excluded.term_start, term_end = excluded.term_end,"
        " updated_at = excluded.updated_at, state = excluded.state",
        (
            state.id,
            state.circle,
            state.role,
            state.phase,
            state.candidate,
            state.selected,
            None if state.term_start is None else state.term_start.isoformat(),
            None if state.term_end is None else state.term_end.isoformat(),
            stamp(at),
            _STATE_ENCODER.encode(state),
        ),
    )
