"""The circle order and the governance state it drives (PROTOCOL.md §13), inside the
writer transaction (synchronous sqlite3).

A circle's governance envelopes take effect in one order everywhere: the order its home
node accepted them in. The home gives each a position (``assign``); member nodes record
the positions the home sends with its envelopes (``record``) and apply positions in
sequence as soon as the envelope of the next one is held (``apply_pending``), so every
node runs the same events through the same state machines at the same (home) times and
reaches the same state. An envelope whose event a rule refuses is kept (its feed stays
whole) and marked refused with the rule's code; a decision that does not re-verify is
kept as a dispute, never adopted.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec

from node.domain import consent, selection
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.codec import envelope_from_row
from node.store.state import load_circle
from protocol import Envelope, ErrorCode, RemoteProtocolError, canonical
from protocol.ids import is_direct, sha256_id
from protocol.schemas import (
    AgendaItem,
    MeetingMinutes,
    MeetingSchedule,
    PhaseBody,
    ProposalBody,
    SelectionNominate,
    SelectionOpen,
    SelectionPhase,
    SelectionReveal,
    SelectionStance,
    StanceBody,
    validate_body,
)

# The charter and membership are ordered too, so the membership every event is judged
# against is the one that held at its position (on every node, and in an offline replay).
ORDERED_KINDS = frozenset(
    {"circle", "membership", "proposal", "phase", "stance", "decision", "selection", "meeting"}
)
GOVERNANCE_TABLES = (
    "gov_applied",
    "gov_effects",
    "proposals",
    "disputes",
    "meetings",
    "logbook",
    "selections",
    "current_stances",
)

_STATE_ENCODER = msgspec.json.Encoder()
_STATE_DECODER = msgspec.json.Decoder(consent.ProposalState)
_SELECTION_DECODER = msgspec.json.Decoder(selection.SelectionState)


def is_ordered(env: Envelope) -> bool:
    return env.kind in ORDERED_KINDS and not is_direct(env.scope)


def parse_at(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at)


# --- the order --------------------------------------------------------------------------


def assign(conn: sqlite3.Connection, scope: str, env_id: str, at: str) -> int:
    """Give an envelope of a circle we are home of the next position, and apply it."""
    row = conn.execute("SELECT max(pos) FROM circle_order WHERE scope = ?", (scope,)).fetchone()
    pos = (row[0] or 0) + 1
    conn.execute(
        "INSERT INTO circle_order (scope, pos, envelope_id, at) VALUES (?, ?, ?, ?)",
        (scope, pos, env_id, at),
    )
    apply_pending(conn, scope)
    return pos


def check_order(conn: sqlite3.Connection, scope: str, pos: int, env_id: str, at: str) -> bool:
    """Whether a position the home sent is new (True) or held already (False); a
    different envelope at a held position, or the same envelope at two, is the home
    contradicting itself: ``order.conflict``."""
    row = conn.execute(
        "SELECT envelope_id, at FROM circle_order WHERE scope = ? AND pos = ?", (scope, pos)
    ).fetchone()
    if row is not None:
        if (row[0], row[1]) != (env_id, at):
            raise RemoteProtocolError(
                ErrorCode.ORDER_CONFLICT, f"position {pos} of {scope} holds {row[0]} already"
            )
        return False
    other = conn.execute(
        "SELECT pos FROM circle_order WHERE scope = ? AND envelope_id = ?", (scope, env_id)
    ).fetchone()
    if other is not None:
        raise RemoteProtocolError(
            ErrorCode.ORDER_CONFLICT, f"{env_id} holds position {other[0]} of {scope} already"
        )
    return True


def record(conn: sqlite3.Connection, scope: str, pos: int, env_id: str, at: str) -> None:
    """Keep a position the home sent (checked by ``check_order``)."""
    if not check_order(conn, scope, pos, env_id, at):
        return
    conn.execute(
        "INSERT INTO circle_order (scope, pos, envelope_id, at) VALUES (?, ?, ?, ?)",
        (scope, pos, env_id, at),
    )


def positions(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[str, int, str]]:
    """envelope id -> (scope, pos, at) for those of ``ids`` that have a position."""
    out: dict[str, tuple[str, int, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for env_id, scope, pos, at in conn.execute(
            f"SELECT envelope_id, scope, pos, at FROM circle_order"  # noqa: S608
            f" WHERE envelope_id IN ({marks})",
            chunk,
        ):
            out[env_id] = (scope, pos, at)
    return out


def apply_pending(conn: sqlite3.Connection, scope: str) -> int:
    """Apply the circle's order from where it stopped, up to the first position whose
    envelope is not held yet; how many were applied."""
    row = conn.execute("SELECT pos FROM gov_applied WHERE scope = ?", (scope,)).fetchone()
    done = row[0] if row else 0
    start = done
    while True:
        nxt = conn.execute(
            "SELECT o.envelope_id, o.at, e.header, e.body FROM circle_order o"
            " JOIN envelopes e ON e.id = o.envelope_id WHERE o.scope = ? AND o.pos = ?",
            (scope, done + 1),
        ).fetchone()
        if nxt is None:
            break
        done += 1
        _apply(conn, scope, done, nxt[0], envelope_from_row(nxt[2], nxt[3]), nxt[1])
    if done != start:
        conn.execute(
            "INSERT INTO gov_applied (scope, pos) VALUES (?, ?)"
            " ON CONFLICT (scope) DO UPDATE SET pos = excluded.pos",
            (scope, done),
        )
    return done - start


def rebuild(conn: sqlite3.Connection) -> int:
    """Recompute the governance tables from the circle order (in the caller's transaction)."""
    for table in GOVERNANCE_TABLES:
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    scopes = [r[0] for r in conn.execute("SELECT DISTINCT scope FROM circle_order")]
    return sum(apply_pending(conn, s) for s in scopes)


# --- applying one event -----------------------------------------------------------------


def _apply(
    conn: sqlite3.Connection, scope: str, pos: int, env_id: str, env: Envelope, at: str
) -> None:
    process: str | None = None
    status, code, message = "applied", None, None
    try:
        circle = load_circle(conn, scope)
        if circle is None or env.body is None:
            raise DomainError("consent.unknown_circle", "no circle, or the content is gone")
        process = _event(conn, circle, env, env_id, parse_at(at))
    except DomainError as exc:
        code, message = exc.code, exc.message
        status = "disputed" if env.kind == "decision" else "refused"
        process = _process_of_body(conn, env)
        if status == "disputed":
            conn.execute(
                "INSERT OR IGNORE INTO disputes (envelope_id, scope, process, author, code,"
                " message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (env_id, scope, process, env.author, code, message, at),
            )
    conn.execute(
        "INSERT INTO gov_effects (envelope_id, scope, pos, process, status, code, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (env_id, scope, pos, process, status, code, message),
    )
    if status == "applied":
        entry = _logbook_kind(env)
        if entry is not None:
            _log(conn, scope, pos, env_id, entry, at)


def _logbook_kind(env: Envelope) -> str | None:
    """What an applied envelope records in the circle's logbook, if anything."""
    body = env.body or {}
    if env.kind == "decision":
        return "decision"
    if env.kind == "selection" and body.get("op") == "result":
        return "selection"
    if env.kind == "meeting" and body.get("op") == "minutes":
        return "minutes"
    if env.kind == "circle":
        return "policy"  # the charter: aim, domain, rules of the rounds
    return None


def logbook_hash(prev: str | None, n: int, pos: int, env_id: str, kind: str, at: str) -> str:
    """An entry's hash: over the previous entry's hash and the entry (§13.6)."""
    return sha256_id(
        canonical.encode(
            {"at": at, "envelope": env_id, "kind": kind, "n": n, "pos": pos, "prev": prev}
        )
    )


def _log(conn: sqlite3.Connection, scope: str, pos: int, env_id: str, kind: str, at: str) -> None:
    row = conn.execute(
        "SELECT n, hash FROM logbook WHERE scope = ? ORDER BY n DESC LIMIT 1", (scope,)
    ).fetchone()
    n, prev = (row[0] + 1, row[1]) if row else (1, None)
    conn.execute(
        "INSERT INTO logbook (scope, n, pos, envelope_id, kind, at, hash, prev)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (scope, n, pos, env_id, kind, at, logbook_hash(prev, n, pos, env_id, kind, at), prev),
    )


def _event(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str, at: dt.datetime
) -> str | None:
    """Run one envelope through its state machine; the process it belongs to."""
    actor = env.actor or env.author
    if env.kind in ("circle", "membership"):
        return None  # projected when stored; the position fixes when it holds
    try:
        body: Any = validate_body(env.kind, env.body)
    except RemoteProtocolError as exc:  # held envelopes were checked; kept for safety
        raise DomainError(str(exc.code), exc.message) from None
    if env.kind == "meeting":
        return _meeting(conn, circle, env_id, actor, body, at)
    if env.kind == "selection":
        return _selection(conn, circle, env_id, actor, body, at)
    rules = rules_of(conn, circle.id)
    if env.kind == "proposal":
        assert isinstance(body, ProposalBody)
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
            state, consent.PhaseChanged.from_body(actor, body), circle=circle, now=at, rules=rules
        )
    elif env.kind == "stance":
        assert isinstance(body, StanceBody)
        state = _load(conn, _root_of_version(conn, body.proposal))
        new = consent.apply(
            state,
            consent.StanceGiven.from_body(env_id, actor, body),
            circle=circle,
            now=at,
            rules=rules,
        )
    else:  # decision
        state = _load(conn, _root_of_version(conn, env.body["proposal"]))  # type: ignore[index]
        new = consent.apply(
            state, consent.Decided(actor, env.body or {}), circle=circle, now=at, rules=rules
        )
        conn.execute("UPDATE proposals SET decision_id = ? WHERE root = ?", (env_id, state.root))
    if new.circle != circle.id:
        raise DomainError("consent.wrong_circle", "the proposal belongs to another circle")
    _save(conn, new, at)
    return new.root


def _meeting(
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
            (env_id, circle.id, body.title, body.starts, msgspec.json.encode(body.agenda), _ts(at)),
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
        (env_id, _ts(at), body.meeting),
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


def _selection(
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
            _ts(at),
            _STATE_ENCODER.encode(state),
        ),
    )


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


def rules_of(conn: sqlite3.Connection, circle_id: str) -> consent.ConsentRules:
    row = conn.execute(
        "SELECT silence, round_hours FROM circles WHERE id = ?", (circle_id,)
    ).fetchone()
    return (
        consent.ConsentRules(silence=row[0], round_hours=row[1]) if row else consent.DEFAULT_RULES
    )


def _root_of_version(conn: sqlite3.Connection, version_id: str) -> str:
    row = conn.execute(
        "SELECT process FROM gov_effects WHERE envelope_id = ? AND status = 'applied'",
        (version_id,),
    ).fetchone()
    if row is None or row[0] is None:
        raise DomainError("consent.unknown_proposal", f"no proposal version {version_id}")
    return str(row[0])


def _process_of_body(conn: sqlite3.Connection, env: Envelope) -> str | None:
    """The proposal an envelope is about, as far as its body says (for refused ones)."""
    body = env.body or {}
    if env.kind in ("selection", "meeting"):
        found = body.get(env.kind)
        return found if isinstance(found, str) else None
    target = body.get("root") if env.kind == "proposal" else body.get("proposal")
    if not isinstance(target, str):
        return None
    if env.kind in ("proposal", "phase"):
        return target if load_proposal(conn, target) is not None else None
    row = conn.execute(
        "SELECT process FROM gov_effects WHERE envelope_id = ? AND status = 'applied'",
        (target,),
    ).fetchone()
    return None if row is None else row[0]


def require_applied(conn: sqlite3.Connection, env_id: str) -> None:
    """Raise the rule's DomainError unless the order applied ``env_id`` (home node)."""
    row = conn.execute(
        "SELECT status, code, message FROM gov_effects WHERE envelope_id = ?", (env_id,)
    ).fetchone()
    if row is None:
        raise DomainError("consent.not_ordered", "the envelope has no place in the order")
    if row[0] != "applied":
        raise DomainError(row[1], row[2])


def preview(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str, at: dt.datetime
) -> None:
    """Judge an event against this node's state without keeping its effect (a member
    node, before it sends the envelope to the home); raises the rule's DomainError."""
    conn.execute("SAVEPOINT preview")
    try:
        _event(conn, circle, env, env_id, at)
    finally:
        conn.execute("ROLLBACK TO preview")
        conn.execute("RELEASE preview")


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
            None if state.deadline is None else _ts(state.deadline),
            state.outcome,
            None if current.review_date is None else current.review_date.isoformat(),
            _ts(at),
            _STATE_ENCODER.encode(state),
        ),
    )


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
