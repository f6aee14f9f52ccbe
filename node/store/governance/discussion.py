"""Questions, answers and reactions (circle ``message``s with a purpose) at their
position in the circle order: each must fit its proposal where it stands there
(``node.domain.consent.discussion``), on every node alike."""

from __future__ import annotations

import sqlite3
from typing import Any, Final

import orjson

from node.domain.circles import CircleState
from node.domain.consent.discussion import check_discussion
from node.domain.errors import DomainError
from node.store.governance.proposals import load_proposal, root_of_version

# The purposes that make a circle message part of a proposal's process, and so ordered.
PURPOSES: Final = frozenset({"question", "answer", "reaction"})


def run_discussion(conn: sqlite3.Connection, circle: CircleState, actor: str, body: Any) -> str:
    """A question, answer or reaction at its position; the proposal it belongs to."""
    purpose, thread = str(body.purpose), str(body.thread)
    if purpose == "answer":
        root, version = _question_root(conn, thread), None
    else:
        root, version = root_of_version(conn, thread), thread
    state = load_proposal(conn, root)
    if state is None:
        raise DomainError("consent.unknown_proposal", f"no proposal {root}")
    if state.circle != circle.id:
        raise DomainError("consent.wrong_circle", "the proposal belongs to another circle")
    check_discussion(state, circle, actor, purpose, version)
    return root


def _question_root(conn: sqlite3.Connection, question: str) -> str:
    row = conn.execute(
        "SELECT g.process, e.body FROM gov_effects g JOIN envelopes e ON e.id = g.envelope_id"
        " WHERE g.envelope_id = ? AND g.status = 'applied' AND e.kind = 'message'",
        (question,),
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        raise DomainError("consent.unknown_question", f"no question {question}")
    if orjson.loads(row[1]).get("purpose") != "question":
        raise DomainError("consent.unknown_question", f"{question} is no question")
    return str(row[0])


def discussion_process(conn: sqlite3.Connection, purpose: object, thread: object) -> str | None:
    """The proposal a (refused) question, answer or reaction names, as far as it says."""
    if not isinstance(thread, str):
        return None
    if purpose == "answer":
        try:
            return _question_root(conn, thread)
        except DomainError:
            return None
    row = conn.execute(
        "SELECT process FROM gov_effects WHERE envelope_id = ? AND status = 'applied'",
        (thread,),
    ).fetchone()
    return None if row is None else row[0]
