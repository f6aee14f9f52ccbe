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

import sqlite3

from node.domain.errors import DomainError
from node.store.campaigns import CAMPAIGN_TABLES
from node.store.codec import envelope_from_row
from node.store.governance.discussion import PURPOSES
from node.store.governance.events import process_of_body, run_event
from node.store.governance.logbook import append_entry, entry_kind
from node.store.governance.structure import NOT_DECIDED
from node.store.governance.times import parse_at
from node.store.home_moves import is_move
from node.store.projection import rebuild as rebuild_projection
from node.store.state import load_circle
from protocol import Envelope, ErrorCode, RemoteProtocolError
from protocol.ids import is_direct

# The charter and membership are ordered too, so the membership every event is judged
# against is the one that held at its position (on every node, and in an offline replay).
ORDERED_KINDS = frozenset(
    {
        "circle",
        "membership",
        "proposal",
        "phase",
        "stance",
        "decision",
        "selection",
        "meeting",
        "campaign",
    }
)
GOVERNANCE_TABLES = (
    "gov_applied",
    "gov_effects",
    "proposals",
    "disputes",
    "meetings",
    "meeting_minutes",
    "meeting_actions",
    "backlog",
    "logbook",
    "selections",
    "current_stances",
    *CAMPAIGN_TABLES,
)


def is_ordered(env: Envelope) -> bool:
    """Whether the envelope takes a position in its circle's order: the ordered kinds,
    and the questions, answers and reactions on proposals (§13.2)."""
    if is_direct(env.scope):
        return False
    if env.kind == "message":
        return env.body is not None and env.body.get("purpose") in PURPOSES
    return env.kind in ORDERED_KINDS


def may_hold_position(env: Envelope) -> bool:
    """Whether the home may send a position with this envelope: an ordered one, or a
    message (whose purpose its withdrawn body no longer shows)."""
    return not is_direct(env.scope) and (env.kind in ORDERED_KINDS or env.kind == "message")


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


def void_after(conn: sqlite3.Connection, scope: str, pos: int) -> list[str]:
    """Drop the circle's positions after ``pos`` (an old home's, which a move without it
    voids, §13.15) and recompute what the log and the order derive; the envelopes they
    carried, which stay in their feeds."""
    voided = [
        str(r[0])
        for r in conn.execute(
            "SELECT envelope_id FROM circle_order WHERE scope = ? AND pos > ? ORDER BY pos",
            (scope, pos),
        )
    ]
    if voided:
        conn.execute("DELETE FROM circle_order WHERE scope = ? AND pos > ?", (scope, pos))
        rebuild_projection(conn)
        rebuild(conn)
    return voided


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
    moved = False
    # An act void at a move of the home, sent again, has its place in the order now.
    conn.execute(
        "DELETE FROM disputes WHERE envelope_id = ? AND code = ?",
        (env_id, ErrorCode.HOME_VOID.value),
    )
    try:
        circle = load_circle(conn, scope)
        if circle is None or env.body is None:
            raise DomainError("consent.unknown_circle", "no circle, or the content is gone")
        moved = is_move(circle, env)
        process = run_event(conn, circle, env, env_id, parse_at(at))
    except DomainError as exc:
        code, message = exc.code, exc.message
        status = "disputed" if env.kind == "decision" else "refused"
        process = process_of_body(conn, env)
        # A structure change no decision backs is a dispute too (§13.14).
        if status == "disputed" or code == NOT_DECIDED:
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
        entry = entry_kind(env)
        if entry is not None:
            append_entry(conn, scope, pos, env_id, entry, at)
        if moved:
            _void_unordered(conn, scope, at)


def _void_unordered(conn: sqlite3.Connection, scope: str, at: str) -> None:
    """At a move of the home without it (§13.15): what waited for the old home's order,
    or held a position of it that the move voided, takes effect nowhere. Each such act is
    shown to the admins as void (``home.void``), to be sent again."""
    for env_id, author, header, raw in conn.execute(
        "SELECT e.id, e.author, e.header, e.body FROM envelopes e WHERE e.scope = ?"
        " AND NOT EXISTS (SELECT 1 FROM circle_order o WHERE o.envelope_id = e.id)",
        (scope,),
    ).fetchall():
        if is_ordered(envelope_from_row(header, raw)):
            conn.execute(
                "INSERT OR IGNORE INTO disputes (envelope_id, scope, process, author, code,"
                " message, at) VALUES (?, ?, NULL, ?, ?, ?, ?)",
                (
                    env_id,
                    scope,
                    author,
                    ErrorCode.HOME_VOID.value,
                    "the old home did not order it before the circle moved its home: sent again",
                    at,
                ),
            )


def require_applied(conn: sqlite3.Connection, env_id: str) -> None:
    """Raise the rule's DomainError unless the order applied ``env_id`` (home node)."""
    row = conn.execute(
        "SELECT status, code, message FROM gov_effects WHERE envelope_id = ?", (env_id,)
    ).fetchone()
    if row is None:
        raise DomainError("consent.not_ordered", "the envelope has no place in the order")
    if row[0] != "applied":
        raise DomainError(row[1], row[2])
