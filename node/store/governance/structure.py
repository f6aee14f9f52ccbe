"""Structure by consent at its position (PROTOCOL.md §13.14): a home's ``membership`` or
``circle`` envelope in a federated circle other nodes have joined stands only when it
carries out a change an adopted decision of the circle authorized and that is not carried
out yet, or answers a delegation request or an election's result (its own, or its
parent's choice of its leader, §13.16); otherwise it is refused with
``circle.not_decided`` (and kept as a dispute by the order).

Everything here reads the state the order reached, so every node judges alike.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.structure import (
    answers_delegation,
    gives_elected_role,
    matches,
    names_own_delegate,
    pending,
)
from node.store.codec import envelope_from_row
from node.store.governance.leaders import carries_parent_choice
from node.store.projection import holds_newer, project_node_membership
from protocol import Envelope, ErrorCode, scope_owner
from protocol.ids import NODE_PREFIX

NOT_DECIDED = ErrorCode.CIRCLE_NOT_DECIDED.value


def apply_structure(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str
) -> str | None:
    """Judge a ``circle`` or ``membership`` envelope at its position and, when it stands,
    make its change; the proposal whose decision it carries out, if any."""
    if env.author != circle.home or env.body is None:
        return None  # a node's answer or a delegation request: taken when stored
    try:
        process = judge(conn, circle, env)
    except DomainError:
        _withdraw_invitation(conn, env, env_id)
        raise
    member = str(env.body.get("member", ""))
    if env.kind == "membership" and member.startswith(NODE_PREFIX) and not holds_newer(conn, env):
        # A node's removal that waited for its position; a charter and people's
        # memberships take effect through ``run_membership`` (memberships.py).
        project_node_membership(conn, env, env_id)
    return process


def judge(conn: sqlite3.Connection, circle: CircleState, env: Envelope) -> str | None:
    """Raise ``circle.not_decided`` unless the home's envelope may stand here; the root of
    the proposal whose adopted change it carries out (None: exempt, or not guarded)."""
    body = env.body or {}
    # A change carried out counts as such even where no decision is needed, so the
    # home does not carry it out again.
    for ref in env.refs:
        root = _carries_decision(conn, circle, ref, env.kind, body)
        if root is not None:
            return root
    if not guarded(conn, circle):
        return None
    if env.kind == "membership" and any(
        _answers_delegation(conn, circle, ref, body) or _carries_election(conn, circle, ref, body)
        for ref in env.refs
    ):
        return None
    if env.kind == "membership" and carries_parent_choice(conn, circle, env.refs, body):
        return None
    if env.kind == "membership":
        held = circle.members.get(str(body.get("member", "")))
        roles = held.roles if held is not None and held.active else None
        if names_own_delegate(circle.home, roles, body):
            return None
    raise DomainError(
        NOT_DECIDED,
        f"no adopted decision of {circle.name} asks for this {env.kind} change",
    )


def guarded(conn: sqlite3.Connection, circle: CircleState) -> bool:
    """Whether the circle's structure changes by decision only: it is federated and a
    node besides the home has joined it, as the order stands (the node that founded it
    counts as such once the home moved away from it, §13.15)."""
    moved = scope_owner(circle.id) != circle.home
    return circle.federated and (moved or bool(joined_nodes(conn, circle.id, circle.home)))


def joined_nodes(conn: sqlite3.Connection, scope: str, home: str) -> set[str]:
    """The nodes that joined the circle by the positions applied so far: their acceptance
    stood and neither they nor the home removed them since."""
    legacy = {r[0] for r in conn.execute("SELECT envelope_id FROM memberships_before_acceptance")}
    nodes: set[str] = set()
    for env_id, author, raw in conn.execute(
        "SELECT e.id, e.author, e.body FROM gov_effects g JOIN envelopes e"
        " ON e.id = g.envelope_id WHERE g.scope = ? AND g.status = 'applied'"
        " AND e.kind = 'membership' AND e.body IS NOT NULL ORDER BY g.pos",
        (scope,),
    ):
        body = orjson.loads(raw)
        member = str(body.get("member", ""))
        if not member.startswith(NODE_PREFIX) or member == home:
            continue
        if body.get("status") == "removed":
            nodes.discard(member)
        elif author == member or (author == home and env_id in legacy):
            nodes.add(member)
    return nodes


def decided_changes(conn: sqlite3.Connection, scope: str) -> list[tuple[str, dict[str, Any]]]:
    """The circle's authorized changes not carried out yet: (decision id, change), in the
    order of the decisions and of their lists."""
    out: list[tuple[str, dict[str, Any]]] = []
    for decision_id, raw in conn.execute(
        "SELECT e.id, e.body FROM gov_effects g JOIN envelopes e ON e.id = g.envelope_id"
        " WHERE g.scope = ? AND g.status = 'applied' AND e.kind = 'decision'"
        " AND e.body IS NOT NULL ORDER BY g.pos",
        (scope,),
    ):
        found = _authorized(conn, scope, decision_id, orjson.loads(raw))
        if found is not None:
            changes, left = found
            out.extend((decision_id, changes[i]) for i in left)
    return out


def structure_of(conn: sqlite3.Connection, version_id: str) -> list[dict[str, Any]]:
    """The ``structure`` list of a proposal version held here (empty when none)."""
    row = conn.execute(
        "SELECT body FROM envelopes WHERE id = ? AND kind = 'proposal'", (version_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return []
    found = orjson.loads(row[0]).get("structure", [])
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _authorized(
    conn: sqlite3.Connection, scope: str, decision_id: str, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[int]] | None:
    """An adopted decision's changes and the indexes of those not carried out yet."""
    if body.get("outcome") != "adopted":
        return None
    changes = structure_of(conn, str(body.get("proposal")))
    if not changes:
        return None
    root = conn.execute(
        "SELECT process FROM gov_effects WHERE envelope_id = ?", (decision_id,)
    ).fetchone()
    done = [
        (str(kind), orjson.loads(raw))
        for kind, raw in conn.execute(
            "SELECT e.kind, e.body FROM gov_effects g JOIN envelopes e ON e.id = g.envelope_id"
            " WHERE g.scope = ? AND g.status = 'applied' AND g.process = ?"
            " AND e.kind IN ('membership', 'circle') AND e.body IS NOT NULL ORDER BY g.pos",
            (scope, root[0] if root else None),
        )
    ]
    return changes, pending(changes, done)


def _applied(conn: sqlite3.Connection, scope: str, env_id: str) -> Envelope | None:
    row = conn.execute(
        "SELECT e.header, e.body FROM gov_effects g JOIN envelopes e ON e.id = g.envelope_id"
        " WHERE g.envelope_id = ? AND g.scope = ? AND g.status = 'applied'",
        (env_id, scope),
    ).fetchone()
    return None if row is None else envelope_from_row(row[0], row[1])


def _carries_decision(
    conn: sqlite3.Connection, circle: CircleState, ref: str, kind: str, body: dict[str, Any]
) -> str | None:
    decision = _applied(conn, circle.id, ref)
    if decision is None or decision.kind != "decision" or decision.body is None:
        return None
    found = _authorized(conn, circle.id, ref, decision.body)
    if found is None:
        return None
    changes, left = found
    if not any(matches(changes[i], kind, body) for i in left):
        return None
    row = conn.execute("SELECT process FROM gov_effects WHERE envelope_id = ?", (ref,)).fetchone()
    return None if row is None else row[0]


def _answers_delegation(
    conn: sqlite3.Connection, circle: CircleState, ref: str, body: dict[str, Any]
) -> bool:
    request = _applied(conn, circle.id, ref)
    if request is None or request.kind != "membership" or request.body is None:
        return False
    asked = request.body
    member = str(asked.get("member", ""))
    if (
        request.author == circle.home
        or not member.endswith("@" + request.author)
        or not set(asked.get("roles", [])) <= {"delegate"}
    ):
        return False
    held = circle.members.get(member)
    return answers_delegation(asked, held.roles if held else (), body)


def _carries_election(
    conn: sqlite3.Connection, circle: CircleState, ref: str, body: dict[str, Any]
) -> bool:
    result = _applied(conn, circle.id, ref)
    if result is None or result.kind != "selection" or result.body is None:
        return False
    if result.body.get("op") != "result":
        return False
    row = conn.execute(
        "SELECT role FROM selections WHERE id = ?", (result.body.get("selection"),)
    ).fetchone()
    if row is None:
        return False
    held = {m.member: m.roles for m in circle.members.values() if m.active}
    return gives_elected_role(str(row[0]), str(result.body.get("candidate")), held, body)


def _withdraw_invitation(conn: sqlite3.Connection, env: Envelope, env_id: str) -> None:
    """A refused invitation of a node was taken when it arrived (the invited node needs
    it to join): it invites nobody after all."""
    if env.kind != "membership":
        return
    conn.execute(
        "UPDATE circle_members SET status = 'removed' WHERE circle_id = ? AND member = ?"
        " AND invitation = ? AND status IN ('invited', 'active')",
        (env.scope, (env.body or {}).get("member"), env_id),
    )
