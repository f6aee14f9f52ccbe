"""One governance envelope run through the state machine of its process (consent with
its discussion, elections, meetings, the charter and memberships) or the rules of
campaigns: the event applied in its position, a member node's preview of an event
before it sends it, and the process an envelope belongs to."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import orjson

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.roles import check_known, is_full
from node.store.campaigns import apply_campaign, process_of
from node.store.governance.discussion import discussion_process, run_discussion
from node.store.governance.elections import run_selection
from node.store.governance.meetings import run_meeting
from node.store.governance.memberships import run_membership
from node.store.governance.proposals import load_proposal, run_consent
from node.store.governance.structure import apply_structure
from node.store.home_moves import check_move, is_move
from protocol import Envelope, RemoteProtocolError
from protocol.schemas import validate_body


def run_event(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str, at: dt.datetime
) -> str | None:
    """Run one envelope through its state machine; the process it belongs to."""
    actor = env.actor or env.author
    if env.kind == "membership":
        check_membership(conn, circle, env, env_id)
    if is_move(circle, env):
        # A move of the home without it (§13.15): its votes stand in for a decision.
        row = conn.execute("SELECT pos FROM circle_order WHERE envelope_id = ?", (env_id,))
        check_move(conn, circle, env, int(row.fetchone()[0]), at)
        run_membership(conn, circle, env, env_id)
        return None
    if env.kind in ("circle", "membership"):
        process = apply_structure(conn, circle, env, env_id)
        run_membership(conn, circle, env, env_id)
        return process
    try:
        body: Any = validate_body(env.kind, env.body)
    except RemoteProtocolError as exc:  # held envelopes were checked; kept for safety
        raise DomainError(str(exc.code), exc.message) from None
    if env.kind == "campaign":
        return apply_campaign(conn, circle, env, env_id, body, at)
    if env.kind == "meeting":
        return run_meeting(conn, circle, env_id, actor, body, at)
    if env.kind == "selection":
        return run_selection(conn, circle, env_id, actor, body, at)
    if env.kind == "message":
        return run_discussion(conn, circle, actor, body)
    return run_consent(conn, circle, env, env_id, actor, body, at)


def check_membership(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str
) -> None:
    """A membership's roles at its position, on every node (§13.9): each is a role of the
    circle's register (``circle.unknown_role``), and a member node's delegation request
    fits within its organization's delegate seats, counting its earlier requests the
    home has not answered yet (``circle.role_taken``)."""
    body = env.body or {}
    roles = [str(r) for r in body.get("roles", [])]
    check_known(roles, circle.seats, circle.name)
    member = str(body.get("member", ""))
    request = env.author != circle.home and member != env.author
    if request and "delegate" in roles and body.get("status") == "active":
        seat = circle.seats["delegate"]
        taken = {*circle.holders("delegate"), *_unanswered(conn, circle, env.author, env_id)}
        if is_full(seat, sorted(taken), member, None):
            raise DomainError(
                "circle.role_taken",
                f"{circle.name} has its {seat.holders} delegate(s) for this organization already",
            )


def _unanswered(
    conn: sqlite3.Connection, circle: CircleState, author: str, env_id: str
) -> list[str]:
    """The people ``author``'s applied delegation requests before ``env_id``'s position
    name as delegates, whose membership the home has not written since."""
    row = conn.execute("SELECT pos FROM circle_order WHERE envelope_id = ?", (env_id,)).fetchone()
    before = row[0] if row else 2**62  # a preview: every position held
    latest: dict[str, tuple[int, bool]] = {}
    for pos, raw in conn.execute(
        "SELECT o.pos, e.body FROM circle_order o JOIN envelopes e ON e.id = o.envelope_id"
        " JOIN gov_effects g ON g.envelope_id = o.envelope_id AND g.status = 'applied'"
        " WHERE o.scope = ? AND e.author = ? AND e.kind = 'membership' AND o.pos < ?"
        " AND e.body IS NOT NULL ORDER BY o.pos",
        (circle.id, author, before),
    ):
        body = orjson.loads(raw)
        if body["member"] != author:
            wants = body["status"] == "active" and "delegate" in body.get("roles", [])
            latest[body["member"]] = (pos, wants)
    pending = []
    for member, (pos, wants) in latest.items():
        answer = conn.execute(
            "SELECT o.pos FROM circle_members m JOIN circle_order o"
            " ON o.envelope_id = m.envelope_id WHERE m.circle_id = ? AND m.member = ?",
            (circle.id, member),
        ).fetchone()
        if wants and (answer is None or answer[0] < pos):
            pending.append(member)
    return pending


def preview(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str, at: dt.datetime
) -> None:
    """Judge an event against this node's state without keeping its effect (a member
    node, before it sends the envelope to the home); raises the rule's DomainError."""
    conn.execute("SAVEPOINT preview")
    try:
        run_event(conn, circle, env, env_id, at)
    finally:
        conn.execute("ROLLBACK TO preview")
        conn.execute("RELEASE preview")


def process_of_body(conn: sqlite3.Connection, env: Envelope) -> str | None:
    """The proposal an envelope is about, as far as its body says (for refused ones)."""
    body = env.body or {}
    if env.kind == "campaign":
        return process_of(env)
    if env.kind in ("selection", "meeting"):
        found = body.get(env.kind) or body.get("item")  # a backlog item's close
        return found if isinstance(found, str) else None
    if env.kind == "message":
        return discussion_process(conn, body.get("purpose"), body.get("thread"))
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
