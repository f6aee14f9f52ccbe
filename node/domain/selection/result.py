"""An election's result: ``result_body`` builds the ``result`` that selects the candidate,
and ``verify_result`` re-checks one made elsewhere (the home node) against our own
state, accepting exactly what ``result_body`` could have made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from node.domain.circles import CircleState
from node.domain.consent.records import DEFAULT_RULES, ConsentRules
from node.domain.errors import DomainError
from node.domain.roles import is_full
from node.domain.selection.records import SelectionStanceRec, SelectionState, is_voter
from node.domain.selection.terms import term_end_of
from protocol.errors import RemoteProtocolError
from protocol.schemas import SelectionResult, validate_body


@dataclass(frozen=True, slots=True)
class _Tally:
    counted: list[SelectionStanceRec]  # stances of active person members this round
    silent: list[str]  # active person members without one
    objections: list[SelectionStanceRec]


def _tally(state: SelectionState, circle: CircleState) -> _Tally:
    voters = sorted(m for m in circle.members if is_voter(circle, m))
    counted = [state.stances[m] for m in voters if m in state.stances]
    silent = [m for m in voters if m not in state.stances]
    return _Tally(counted, silent, [s for s in counted if s.value == "object"])


def result_body(
    state: SelectionState,
    circle: CircleState,
    now: dt.datetime,
    *,
    rules: ConsentRules = DEFAULT_RULES,
    term_start: dt.date,
) -> dict[str, Any]:
    """The body of the ``result`` that selects the candidate now, or DomainError if none may.

    Needs a consent round with no standing objection, and a stance from every active
    person member, or, past the deadline, the circle's silence policy letting the silent
    members through.
    """
    if state.outcome is not None:
        raise DomainError("selection.bad_transition", f"the election is {state.outcome} already")
    if state.phase != "consent" or state.candidate is None:
        raise DomainError("selection.not_in_round", f"no consent round during {state.phase}")
    if not is_voter(circle, state.candidate):
        raise DomainError("selection.not_member", f"{state.candidate} is no longer a member")
    check_room(state, circle, state.candidate)
    tally = _tally(state, circle)
    if tally.objections:
        raise DomainError("selection.objection_unresolved", "an objection stands")
    if tally.silent:
        if state.deadline is None or now <= state.deadline:
            raise DomainError("selection.round_open", f"{len(tally.silent)} member(s) to answer")
        if rules.silence == "object":
            raise DomainError("selection.silence_objects", "in this circle, silence blocks")
    if not tally.counted and not (tally.silent and rules.silence == "consent"):
        raise DomainError("selection.no_consent", "nobody consented")
    return {
        "op": "result",
        "selection": state.id,
        "candidate": state.candidate,
        "term_start": term_start.isoformat(),
        "term_end": term_end_of(term_start, state.term_months).isoformat(),
        "stances": sorted(s.id for s in tally.counted),
    }


def check_room(state: SelectionState, circle: CircleState, candidate: str) -> None:
    """The candidate may take the role: they hold it already, a seat is free, or the
    election ``replaces`` a holder; else ``selection.role_full``. A leader a parent
    chooses takes the seat in the child circle, which the child's home judges (§13.16)."""
    if state.for_circle is not None:
        return
    seat = circle.seats.get(state.role)
    if seat is None:
        raise DomainError("circle.unknown_role", f"{state.role} is no role of {circle.name}")
    if is_full(seat, circle.holders(state.role), candidate, state.replaces):
        whose = " for this organization" if seat.per_organization else ""
        raise DomainError(
            "selection.role_full",
            f"{circle.name} has its {seat.holders} {state.role}(s){whose} already; the"
            " election must say whom the new holder replaces",
        )


def _bad(message: str) -> DomainError:
    return DomainError("selection.bad_result", message)


def verify_result(
    state: SelectionState,
    circle: CircleState,
    body: Mapping[str, Any],
    *,
    at: dt.datetime,
    rules: ConsentRules = DEFAULT_RULES,
) -> None:
    """Re-check a result made elsewhere (the home node) against our own state.

    ``at`` is the result's time. Accepts exactly the results ``result_body`` could have
    made at that time (for its ``term_start``), in any order of its stances.
    """
    checked_result(state, circle, body, at=at, rules=rules)


def checked_result(
    state: SelectionState,
    circle: CircleState,
    body: Mapping[str, Any],
    *,
    at: dt.datetime,
    rules: ConsentRules,
) -> SelectionResult:
    """The result ``body`` parsed, if ``verify_result`` accepts it; else its DomainError."""
    try:
        result = validate_body("selection", dict(body))
    except RemoteProtocolError as exc:
        raise _bad(str(exc)) from None
    if not isinstance(result, SelectionResult):
        raise _bad(f"a result has op 'result', not {body.get('op')!r}")
    if state.outcome is not None:
        raise _bad(f"the election is {state.outcome} already")
    if result.selection != state.id:
        raise _bad("the result names another election")
    if state.phase != "consent" or state.candidate is None:
        raise _bad(f"no result during {state.phase}")
    if result.candidate != state.candidate:
        raise DomainError("selection.wrong_candidate", f"the candidate is {state.candidate}")
    if not is_voter(circle, state.candidate):
        raise DomainError("selection.not_member", f"{state.candidate} is no longer a member")
    check_room(state, circle, state.candidate)
    if len(set(result.stances)) != len(result.stances):
        raise _bad("a stance is named twice")
    by_id = {s.id: s for s in state.stances.values()}
    for sid in result.stances:
        if sid in state.objections_seen:
            raise DomainError("selection.wrong_candidate", f"stance {sid} is of an earlier round")
        stance = by_id.get(sid)
        if stance is None:
            raise _bad(f"stance {sid} is unknown")
        if not is_voter(circle, stance.member):
            raise DomainError("selection.not_member", f"{stance.member} is not a member")
        if stance.value == "object":
            raise DomainError("selection.objection_unresolved", f"{stance.member} objects")
    tally = _tally(state, circle)
    if any(o.id not in result.stances for o in tally.objections):
        raise DomainError("selection.objection_omitted", "an objection is left out")
    if set(result.stances) != {s.id for s in tally.counted}:
        raise _bad("the stances are not the round's")
    if tally.silent:
        if state.deadline is None or at <= state.deadline:
            raise _bad("silent members before the round's deadline")
        if rules.silence == "object":
            raise _bad("silence blocks the selection in this circle")
    if not result.stances and not (tally.silent and rules.silence == "consent"):
        raise _bad("nobody consented")
    if result.term_end != term_end_of(result.term_start, state.term_months):
        raise _bad(f"a term is {state.term_months} month(s) from its start")
    return result
