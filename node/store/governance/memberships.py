"""The charter and people's memberships at their position in the circle order (§13.1):
a member node that holds the home's membership early (a gap, a pull) still judges every
event before it against the membership that held there. Node memberships stay projected
on receipt: who is a member node is the authority of §6.1, judged on arrival."""

from __future__ import annotations

import sqlite3

from node.domain.circles import CircleState
from node.domain.homes import check_home
from node.domain.membership_rules import check_membership, requested_roles
from node.store.projection import put_charter, put_member
from protocol import Envelope
from protocol.ids import NODE_PREFIX


def run_membership(
    conn: sqlite3.Connection, circle: CircleState, env: Envelope, env_id: str
) -> None:
    """A ``circle`` or ``membership`` envelope at its position; raises the rule's
    DomainError for a person's membership (or delegation request) the rules refuse."""
    body = env.body or {}
    if env.kind == "circle":
        check_home(circle, body)
        put_charter(conn, env, env_id, founding=False)
        return
    member = str(body["member"])
    if member.startswith(NODE_PREFIX):
        return  # an invitation, acceptance or removal of a node: projected on receipt
    roles = list(body.get("roles", []))
    status = str(body["status"])
    if env.author != circle.home:
        # A delegation request (§13.9): changes nothing, but must be one the circle's
        # rules allow, so its author learns a refusal from the order itself.
        check_membership(circle, member, requested_roles(circle, member, roles), status)
        return
    check_membership(circle, member, roles, status)
    put_member(conn, env, env_id, status)
