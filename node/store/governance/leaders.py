"""A child circle's leader chosen by its parent, at the position of the child home's
membership (PROTOCOL.md §13.16): it stands in a guarded circle when it carries out the
parent's election its ``chosen_by`` proves, and names that result in ``refs``."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from node.domain.circles import CircleState
from node.domain.leaders import gives_chosen_leader, parent_choice
from node.store.homes import current_home
from protocol import scope_owner


def carries_parent_choice(
    conn: sqlite3.Connection, circle: CircleState, refs: Sequence[str], body: Mapping[str, Any]
) -> bool:
    """Whether the membership ``body`` carries out the parent's choice of the leader: the
    parent's home signed the result (the node the parent's id names, or its current home
    where this node holds the parent), and the membership changes only the leader role."""
    chosen_by = body.get("chosen_by")
    if circle.parent is None or not isinstance(chosen_by, list):
        return False
    homes = {scope_owner(circle.parent), current_home(conn, circle.parent)}
    choice = parent_choice(circle, chosen_by, homes)
    if choice is None or choice.result not in refs:
        return False
    held = {m.member: m.roles for m in circle.members.values() if m.active}
    return gives_chosen_leader(choice, held, body)
