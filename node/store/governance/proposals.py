"""Proposals in the governance tables: ``proposal``, ``phase``, ``stance`` and
``decision`` envelopes run through ``node.domain.consent``, and each proposal's state
kept (``proposals``, ``current_stances``), with the circle's rules for rounds."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec
import orjson

from node.domain import consent
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.campaigns import adopts_of, mark_adopted
from node.store.governance.times import stamp
from protocol import Envelope
from protocol.schemas import PhaseBody, ProposalBody, StanceBody

_STATE_ENCODER = msgspec.json.Encoder()
_STATE_DECODER = msgspec.json.Decoder(consent.ProposalState)


def run_consent(
    conn: sqlite3.Connection,
    circle: CircleState,
    env: Envelope,
    env_id: str,
    actor: str,
    body: Any,
    at: dt.datetime,
) -> str:
    """A ``proposal``, ``phase``, ``stance`` or ``decision`` through the consent process;
    the proposal it belongs to."""
    rules = rules_of(conn, circle.id)
    if env.kind == "proposal":
        assert isinstance(body, ProposalBody)
        if body.replaces is not None:
            _check_replaces(conn, circle, body.replaces)
        if body.root is None:
            event = consent.Proposed.from_body(env_id, actor, body)
            state = consent.start(event, circle=circle)
            if event.review_of is not None:
                _take_review(conn, circle, event.review_of, at)
            _save(conn, state, at)
            return state.root
        state = _load(conn, body.root)
        new = consent.apply(
            state,
            consent.Amended.from_body(env_id, actor, body),
            circle=circle,
            now=at,
            rules=rules,
        )
    elif env.kind == "phase":
        assert isinstance(body, PhaseBody)
        state = _load(conn, body.proposal)
        new = consent.apply(
            state,
            consent.PhaseChanged.from_body(actor, body, env_id),
            circle=circle,
            now=at,
            rules=rules,
        )
    elif env.kind == "stance":
        assert isinstance(body, StanceBody)
        state = _load(conn, root_of_version(conn, body.proposal))
        new = consent.apply(
            state,
            consent.StanceGiven.from_body(
                env_id, actor, body, meeting_open=_meeting_open(conn, circle.id, body.meeting)
            ),
            circle=circle,
            now=at,
            rules=rules,
        )
    else:  # decision
        state = _load(conn, root_of_version(conn, env.body["proposal"]))  # type: ignore[index]
        new = consent.apply(
            state, consent.Decided(actor, env.body or {}), circle=circle, now=at, rules=rules
        )
        if new.outcome == "adopted":
            # The campaign objects the adopted version names become the circle's (§13.11).
            version = str((env.body or {})["proposal"])
            mark_adopted(conn, circle.id, env_id, adopts_of(conn, version))
        conn.execute("UPDATE proposals SET decision_id = ? WHERE root = ?", (env_id, state.root))
    if new.circle != circle.id:
        raise DomainError("consent.wrong_circle", "the proposal belongs to another circle")
    _save(conn, new, at)
    return new.root


def _take_review(
    conn: sqlite3.Connection, circle: CircleState, decision: str, at: dt.datetime
) -> None:
    row = conn.execute(
        "SELECT root, review_date, review_done FROM proposals"
        " WHERE decision_id = ? AND outcome = 'adopted' AND circle_id = ?",
        (decision, circle.id),
    ).fetchone()
    if row is None or row[1] is None:
        raise DomainError(
            "consent.no_review_due", f"{decision} is no adopted decision with a review"
        )
    if row[2] or dt.date.fromisoformat(row[1]) > at.date():
        raise DomainError("consent.no_review_due", f"the review of {decision} is not due")
    conn.execute("UPDATE proposals SET review_done = 1 WHERE root = ?", (row[0],))


def _check_replaces(conn: sqlite3.Connection, circle: CircleState, decision: str) -> None:
    """A proposal replaces an adopted decision of its own circle, or none (§8.4)."""
    if not conn.execute(
        "SELECT 1 FROM proposals WHERE decision_id = ? AND outcome = 'adopted' AND circle_id = ?",
        (decision, circle.id),
    ).fetchone():
        raise DomainError(
            "consent.unknown_decision", f"{decision} is no adopted decision of the circle"
        )


def _meeting_open(conn: sqlite3.Connection, circle_id: str, meeting: str | None) -> bool:
    """Whether ``meeting`` is a meeting of the circle, scheduled and not yet minuted."""
    if meeting is None:
        return False
    row = conn.execute(
        "SELECT 1 FROM meetings WHERE id = ? AND circle_id = ? AND minutes_id IS NULL",
        (meeting, circle_id),
    ).fetchone()
    return row is not None


def rules_of(conn: sqlite3.Connection, circle_id: str) -> consent.ConsentRules:
    # The quorum is read from the charter itself (its envelope), not a column of its own.
    row = conn.execute(
        "SELECT c.silence, c.round_hours, e.body FROM circles c"
        " LEFT JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (circle_id,),
    ).fetchone()
    if row is None:
        return consent.DEFAULT_RULES
    charter = orjson.loads(row[2]) if row[2] is not None else {}
    quorum = charter.get("quorum", 0) if isinstance(charter, dict) else 0
    return consent.ConsentRules(silence=row[0], round_hours=row[1], quorum=int(quorum))


def root_of_version(conn: sqlite3.Connection, version_id: str) -> str:
    row = conn.execute(
        "SELECT process FROM gov_effects WHERE envelope_id = ? AND status = 'applied'",
        (version_id,),
    ).fetchone()
    if row is None or row[0] is None:
        raise DomainError("consent.unknown_proposal", f"no proposal version {version_id}")
    return str(row[0])


def _load(conn: sqlite3.Connection, root: str) -> consent.ProposalState:
    state = load_proposal(conn, root)
    if state is None:
        raise DomainError("consent.unknown_proposal", f"no proposal {root}")
    return state


def load_proposal(conn: sqlite3.Connection, root: str) -> consent.ProposalState | None:
    row = conn.execute("SELECT state FROM proposals WHERE root = ?", (root,)).fetchone()
    return None if row is None else _STATE_DECODER.decode(row[0])


def decode_state(data: bytes) -> consent.ProposalState:
    return _STATE_DECODER.decode(data)


def _save(conn: sqlite3.Connection, state: consent.ProposalState, at: dt.datetime) -> None:
    current = state.current
    conn.execute("DELETE FROM current_stances WHERE root = ?", (state.root,))
    conn.executemany(
        "INSERT INTO current_stances (root, member, value) VALUES (?, ?, ?)",
        [(state.root, s.member, s.value) for s in state.stances.values()],
    )
    conn.execute(
        "INSERT INTO proposals (root, circle_id, proposer, title, version, version_id, phase,"
        " deadline, outcome, review_date, updated_at, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (root) DO UPDATE SET title = excluded.title,"
        " version = excluded.version, version_id = excluded.version_id,"
        " phase = excluded.phase, deadline = excluded.deadline, outcome = excluded.outcome,"
        " review_date = excluded.review_date, updated_at = excluded.updated_at,"
        " state = excluded.state",
        (
            state.root,
            state.circle,
            state.proposer,
            current.title,
            state.version,
            state.version_id,
            state.phase,
            None if state.deadline is None else stamp(state.deadline),
            state.outcome,
            None if current.review_date is None else current.review_date.isoformat(),
            stamp(at),
            _STATE_ENCODER.encode(state),
        ),
    )
