"""Moving a circle's home without it (PROTOCOL.md §13.15), over the store (synchronous
sqlite3, inside the writer transaction): the votes held, the silence of the home as the
order shows it, the check of a move charter (on receipt and at its position), and the
positions the old home assigned after the move's, which are void.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import orjson

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.home_moves import Vote, check_silent, check_votes, silent_since
from node.domain.structure import charter_of
from protocol import Envelope

VOTE = "home.vote"


def parse_at(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at)


def _vote(env_id: str, author: str, raw: bytes | None) -> Vote | None:
    if raw is None:
        return None
    body = orjson.loads(raw)
    return Vote(
        env_id,
        author,
        str(body["home"]),
        str(body["to"]),
        int(body["pos"]),
        str(body["pos_id"]),
        bool(body.get("withdrawn", False)),
    )


def latest_votes(conn: sqlite3.Connection, scope: str) -> dict[str, Vote]:
    """Each node's latest vote held in the circle (a later one replaces, or withdraws, it)."""
    out: dict[str, Vote] = {}
    for env_id, author, raw in conn.execute(
        "SELECT id, author, body FROM envelopes WHERE scope = ? AND kind = ? ORDER BY seq",
        (scope, VOTE),
    ):
        vote = _vote(env_id, author, raw)
        if vote is not None:
            out[author] = vote
    return out


def standing_votes(
    conn: sqlite3.Connection, circle: CircleState, to: str | None = None
) -> dict[str, Vote]:
    """The votes that count now: each node's latest, not withdrawn, from the current home
    (to ``to``, when given)."""
    return {
        voter: v
        for voter, v in latest_votes(conn, circle.id).items()
        if not v.withdrawn and v.home == circle.home and (to is None or v.to == to)
    }


def named_votes(conn: sqlite3.Connection, scope: str, refs: tuple[str, ...]) -> dict[str, Vote]:
    """The votes a move charter names in ``refs``, by voter; a named vote not held here
    (or another envelope) is ``home.votes_incomplete`` / ``home.bad_vote``."""
    out: dict[str, Vote] = {}
    for ref in refs:
        row = conn.execute(
            "SELECT author, scope, kind, body FROM envelopes WHERE id = ?", (ref,)
        ).fetchone()
        if row is None:
            raise DomainError("home.votes_incomplete", f"the vote {ref} is not held here")
        vote = _vote(ref, row[0], row[3]) if row[1] == scope and row[2] == VOTE else None
        if vote is None or vote.voter in out:
            raise DomainError("home.bad_vote", f"{ref} is not one vote of a node of this circle")
        out[vote.voter] = vote
    return out


def last_position(conn: sqlite3.Connection, scope: str) -> tuple[int, str, dt.datetime] | None:
    """The last position applied here: (pos, envelope id, at)."""
    row = conn.execute(
        "SELECT o.pos, o.envelope_id, o.at FROM gov_applied g JOIN circle_order o"
        " ON o.scope = g.scope AND o.pos = g.pos WHERE g.scope = ?",
        (scope,),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), parse_at(row[2]))


def timeout_days(conn: sqlite3.Connection, scope: str) -> int:
    """The charter's ``home_timeout_days`` (§8.2) as the order applied it."""
    row = conn.execute(
        "SELECT e.body FROM circles c JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (scope,),
    ).fetchone()
    held = orjson.loads(row[0]) if row is not None and row[0] is not None else {}
    return int(held.get("home_timeout_days", 14))


def home_silent(conn: sqlite3.Connection, circle: CircleState, now: dt.datetime) -> bool:
    """Whether the circle's home has assigned no position here for longer than the
    charter's timeout, by ``now``."""
    last = last_position(conn, circle.id)
    return last is not None and silent_since(timeout_days(conn, circle.id), last[2], now)


def _order(conn: sqlite3.Connection, scope: str, upto: int) -> dict[int, str]:
    return {
        int(p): str(i)
        for p, i in conn.execute(
            "SELECT pos, envelope_id FROM circle_order WHERE scope = ? AND pos <= ?", (scope, upto)
        )
    }


def _at(conn: sqlite3.Connection, scope: str, pos: int) -> dt.datetime | None:
    row = conn.execute(
        "SELECT at FROM circle_order WHERE scope = ? AND pos = ?", (scope, pos)
    ).fetchone()
    return None if row is None else parse_at(row[0])


def is_move(circle: CircleState | None, env: Envelope) -> bool:
    """Whether ``env`` is a charter moving the home without it: a ``circle`` of another
    node than the current home, naming its author as home."""
    return (
        circle is not None
        and env.kind == "circle"
        and env.author != circle.home
        and env.body is not None
        and env.body.get("home") == env.author
    )


def check_move(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, pos: int, now: dt.datetime
) -> None:
    """Raise the rule's DomainError unless ``env``, at position ``pos``, moves the home
    without it: the charter in force with only its ``home`` changed, the standing votes
    of every member node but the home to its author in ``refs``, the highest at
    ``pos - 1``, which the order holds, and the home silent past the timeout at ``now``
    (the receiver's clock on receipt, the position's ``at`` at the position)."""
    row = conn.execute(
        "SELECT e.body FROM circles c JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (circle.id,),
    ).fetchone()
    held = orjson.loads(row[0]) if row is not None and row[0] is not None else {}
    body = dict(env.body or {})
    if charter_of({**held, "home": body.get("home")}) != charter_of(body):
        raise DomainError(
            "circle.not_decided", "a move of the home without it changes nothing but the home"
        )
    votes = named_votes(conn, circle.id, env.refs)
    check_votes(circle, env.author, votes, _order(conn, circle.id, pos - 1), pos - 1)
    last_at = _at(conn, circle.id, pos - 1)
    if last_at is None:
        raise DomainError("home.votes_incomplete", f"position {pos - 1} is not held here")
    check_silent(circle, int(held.get("home_timeout_days", 14)), last_at, now)
