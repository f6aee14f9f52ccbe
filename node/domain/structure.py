"""Structure by consent (PROTOCOL.md §13.14): whether a home's ``membership`` or ``circle``
envelope in a federated circle is what a decision, a delegation request or an election
result of the circle asks for. Pure: the bodies in, a yes or no out.

In a federated circle other nodes have joined, the home changes the circle's members,
roles and charter only by carrying out what the circle decided; the exemptions are the
answers the home owes to acts of others (a delegation request, an election's result).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import msgspec

from protocol.schemas import CircleBody

NODE_PREFIX = "ed25519:"


def charter_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """A charter with its defaults filled in, so two spellings of one charter compare
    equal; raises msgspec.ValidationError for a body that is no charter."""
    result: dict[str, Any] = msgspec.to_builtins(msgspec.convert(body, CircleBody))
    return result


def matches(change: Mapping[str, Any], kind: str, body: Mapping[str, Any]) -> bool:
    """Whether the envelope body (of ``kind``) is exactly the proposed ``change``: the same
    member, status and roles, or the same charter. A node's removal carries the home's
    ``final_seq`` besides, which no proposal can know in advance."""
    if change.get("op") == "charter":
        if kind != "circle":
            return False
        try:
            return charter_of(body) == charter_of(change.get("charter") or {})
        except msgspec.ValidationError:
            return False
    if kind != "membership" or change.get("op") != "member":
        return False
    return (
        body.get("member") == change.get("member")
        and body.get("status") == change.get("status")
        and set(body.get("roles", [])) == set(change.get("roles", []))
        and body.get("term_end") is None
    )


def answers_delegation(
    request: Mapping[str, Any], held_roles: Collection[str], body: Mapping[str, Any]
) -> bool:
    """Whether ``body`` is the home's answer to a delegation request (§13.9): the same
    person and status, the delegate role as asked, every other role kept."""
    if body.get("member") != request.get("member") or body.get("status") != request.get("status"):
        return False
    if body.get("status") == "removed":
        return not body.get("roles")
    roles = set(body.get("roles", []))
    asked = "delegate" in request.get("roles", [])
    return ("delegate" in roles) == asked and roles - {"delegate"} == set(held_roles) - {"delegate"}


def names_own_delegate(home: str, held_roles: Collection[str], body: Mapping[str, Any]) -> bool:
    """Whether ``body`` is the home organization naming or withdrawing one of its own
    people as its delegate, as every organization does (§13.9): the person stays or
    becomes active, the delegate role is given or taken, every other role kept."""
    if not str(body.get("member", "")).endswith("@" + home) or body.get("status") != "active":
        return False
    roles, held = set(body.get("roles", [])), set(held_roles)
    kept = roles - {"delegate"} == held - {"delegate"}
    return kept and ("delegate" in roles) != ("delegate" in held)


def gives_elected_role(
    role: str,
    candidate: str,
    held: Mapping[str, Sequence[str]],
    body: Mapping[str, Any],
) -> bool:
    """Whether ``body`` carries out an election's result (§13.7): the candidate takes the
    role, keeping their other roles, or its previous holder gives it up, and nothing
    else changes. ``held`` maps each active member to their roles before it."""
    member = str(body.get("member", ""))
    if body.get("status") != "active" or member.startswith(NODE_PREFIX):
        return False
    roles = set(body.get("roles", []))
    before = set(held.get(member, ()))
    if member == candidate:
        return role in roles and roles - {role} == before - {role}
    return role in before and roles == before - {role}


def pending(
    changes: Sequence[Mapping[str, Any]],
    done: Sequence[tuple[str, Mapping[str, Any]]],
) -> list[int]:
    """The indexes of ``changes`` not carried out yet, given the (kind, body) of the
    envelopes that carried out earlier ones, each taking the first change it matches."""
    left = list(range(len(changes)))
    for kind, body in done:
        for i in left:
            if matches(changes[i], kind, body):
                left.remove(i)
                break
    return left
