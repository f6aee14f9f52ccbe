"""The leader of a circle chosen by its parent circle (PROTOCOL.md §13.16): whether the
parent's election a child's membership carries (``chosen_by``: the parent's ``open`` and
``result`` envelopes, whole) chose this circle's leader. Pure: signatures and bodies in,
the candidate and the holder replaced out, so every node of the child judges alike,
whether or not it holds the parent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.domain.circles import CircleState
from protocol import RemoteProtocolError
from protocol.signing import open_envelope

LEADER = "leader"


@dataclass(frozen=True, slots=True)
class ParentChoice:
    """A parent's election of a child's leader: its result's id, whom it chose, and the
    holder the new leader replaces."""

    result: str
    candidate: str
    replaces: str | None


def parent_choice(
    circle: CircleState, chosen_by: Sequence[Mapping[str, Any]], parent_homes: Collection[str]
) -> ParentChoice | None:
    """The choice ``chosen_by`` proves for ``circle``: both envelopes verify, both are of
    the circle's parent, the ``result`` is signed by the parent's home (one of
    ``parent_homes``) and records the election the ``open`` opened, for this circle's
    leader; else None."""
    if circle.parent is None or len(chosen_by) != 2:
        return None
    try:
        opening, open_id = open_envelope(dict(chosen_by[0]))
        result, result_id = open_envelope(dict(chosen_by[1]))
    except RemoteProtocolError:
        return None
    opened, recorded = opening.body or {}, result.body or {}
    if (
        opening.kind != "selection"
        or result.kind != "selection"
        or opening.scope != circle.parent
        or result.scope != circle.parent
        or result.author not in parent_homes
        or opened.get("op") != "open"
        or opened.get("role") != LEADER
        or opened.get("for_circle") != circle.id
        or recorded.get("op") != "result"
        or recorded.get("selection") != open_id
    ):
        return None
    replaces = opened.get("replaces")
    return ParentChoice(
        result_id,
        str(recorded.get("candidate")),
        None if replaces is None else str(replaces),
    )


def gives_chosen_leader(
    choice: ParentChoice, held: Mapping[str, Sequence[str]], body: Mapping[str, Any]
) -> bool:
    """Whether ``body`` carries the choice out: the candidate becomes leader (a member if
    they were not), keeping their other roles, or the holder it replaces gives the role
    up, nothing else changed. ``held`` maps each active member to their roles before."""
    member = str(body.get("member", ""))
    if body.get("status") != "active" or "@" not in member:
        return False
    roles = set(body.get("roles", []))
    before = set(held.get(member, ()))
    if member == choice.candidate:
        return LEADER in roles and roles - {LEADER} == before - {LEADER}
    return member == choice.replaces and LEADER in before and roles == before - {LEADER}
