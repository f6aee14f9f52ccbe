"""One governance envelope run through the state machine of its process (consent,
elections, meetings) or the rules of campaigns: the event applied in its position, a
member node's preview of an event before it sends it, and the process an envelope
belongs to."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store.campaigns import apply_campaign, process_of
from node.store.governance.elections import run_selection
from node.store.governance.meetings import run_meeting
from node.store.governance.proposals import load_proposal, run_consent
from node.store.governance.structure import apply_structure
from protocol import Envelope, RemoteProtocolError
from protocol.schemas import validate_body


def run_event(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str, at: dt.datetime
) -> str | None:
    """Run one envelope through its state machine; the process it belongs to."""
    actor = env.actor or env.author
    if env.kind in ("circle", "membership"):
        return apply_structure(conn, circle, env, env_id)
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
    return run_consent(conn, circle, env, env_id, actor, body, at)


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
