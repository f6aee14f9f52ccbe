"""Decisions of the consent process: ``decide`` builds the body of the ``decision`` that
ends a proposal's process, and ``verify_decision`` re-checks one made elsewhere (the
home node) against our own state, accepting exactly what ``decide`` could have made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from node.domain.circles import CircleState
from node.domain.consent.records import (
    DEFAULT_RULES,
    ConsentRules,
    ProposalState,
    Stance,
    is_voter,
)
from node.domain.errors import DomainError
from protocol.errors import RemoteProtocolError
from protocol.schemas import validate_body

# The phase a proposal must be in for each outcome of a ``decision``.
DECIDE_FROM: Final[Mapping[str, str]] = {
    "adopted": "consent",
    "withdrawn": "withdrawn",
    "referred": "referred",
}


@dataclass(frozen=True, slots=True)
class _Tally:
    counted: list[Stance]  # stances of active members on the current version
    silent: list[str]  # active members without one
    objections: list[Stance]  # those that block: not found to be no objection
    tests: list[str]  # the tests that found counted objections to be none
    consenting: list[Stance]  # consent or concern (not standing aside)

    def below_quorum(self, rules: ConsentRules) -> bool:
        """Whether fewer members answered than the charter's quorum asks for."""
        voters = len(self.counted) + len(self.silent)
        return len(self.counted) * 100 < rules.quorum * voters


def _tally(state: ProposalState, circle: CircleState) -> _Tally:
    voters = sorted(m for m in circle.members if is_voter(circle, m))
    counted = [state.stances[m] for m in voters if m in state.stances]
    silent = [m for m in voters if m not in state.stances]
    dismissed = {
        o.stance: o.test or ""
        for o in state.objections
        if o.valid is False and o.resolved_by is None
    }
    objecting = [s for s in counted if s.value == "object"]
    return _Tally(
        counted,
        silent,
        [s for s in objecting if s.id not in dismissed],
        sorted(dismissed[s.id] for s in objecting if s.id in dismissed),
        [s for s in counted if s.value in ("consent", "concern")],
    )


def _resolutions(state: ProposalState) -> list[dict[str, str]]:
    return [
        {"objection": o.stance, "how": o.how, "version": o.resolved_by}
        for o in state.objections
        if o.resolved_by is not None
    ]


def decide(
    state: ProposalState,
    circle: CircleState,
    now: dt.datetime,
    *,
    rules: ConsentRules = DEFAULT_RULES,
) -> dict[str, Any]:
    """The body of the ``decision`` that ends the process now, or DomainError if none may.

    A withdrawn or referred proposal is recorded as such. Adoption needs a consent round
    with no standing objection (one the circle found to be none does not stand), and a
    stance from every active member, or, past the deadline and with the charter's quorum
    answered, the circle's silence policy letting the silent members through. Standing
    aside neither blocks nor consents.
    """
    if state.outcome is not None:
        raise DomainError("consent.bad_transition", f"the proposal is {state.outcome} already")
    if state.phase in ("withdrawn", "referred"):
        return {"proposal": state.version_id, "outcome": state.phase}
    if state.phase != "consent":
        raise DomainError("consent.not_in_round", f"no consent round during {state.phase}")
    tally = _tally(state, circle)
    if tally.objections or state.open_objections():
        raise DomainError("consent.objection_unresolved", "an objection stands")
    if tally.silent:
        if state.deadline is None or now <= state.deadline:
            raise DomainError("consent.round_open", f"{len(tally.silent)} member(s) to answer")
        if tally.below_quorum(rules):
            raise DomainError(
                "consent.below_quorum", f"fewer than {rules.quorum}% of the members answered"
            )
        if rules.silence == "object":
            raise DomainError("consent.silence_objects", "in this circle, silence blocks")
    if not tally.consenting and not (tally.silent and rules.silence == "consent"):
        raise DomainError("consent.no_consent", "nobody consented")
    version = state.current
    body: dict[str, Any] = {
        "proposal": state.version_id,
        "outcome": "adopted",
        "stances": sorted(s.id for s in tally.counted),
        "resolutions": _resolutions(state),
        "silent": tally.silent,
        "review_date": None if version.review_date is None else version.review_date.isoformat(),
        "measures": list(version.measures),
    }
    if tally.tests:
        body["tests"] = tally.tests
    return body


def _bad(message: str) -> DomainError:
    return DomainError("consent.bad_decision", message)


def verify_decision(
    state: ProposalState,
    circle: CircleState,
    decision_body: Mapping[str, Any],
    *,
    at: dt.datetime,
    rules: ConsentRules = DEFAULT_RULES,
) -> None:
    """Re-check a decision made elsewhere (the home node) against our own state.

    ``at`` is the decision's time. Accepts exactly the decisions ``decide`` could have
    made at that time, in any order of its lists.
    """
    try:
        body = validate_body("decision", dict(decision_body))
    except RemoteProtocolError as exc:
        raise _bad(str(exc)) from None
    if state.outcome is not None:
        raise _bad(f"the proposal is {state.outcome} already")
    if body.proposal != state.version_id:
        raise DomainError("consent.wrong_version", "the decision names another version")
    if DECIDE_FROM[body.outcome] != state.phase:
        raise _bad(f"{body.outcome} is no outcome of the {state.phase} phase")
    if body.outcome != "adopted":
        if body.stances or body.resolutions or body.silent:
            raise _bad("only an adoption counts stances")
        return
    _verify_adoption(state, circle, body.stances, body.silent, at, rules)
    if sorted(body.tests) != _tally(state, circle).tests:
        raise _bad("the tests of objections are not the round's")
    resolutions = sorted((r.objection, r.how, r.version) for r in body.resolutions)
    expected = sorted((r["objection"], r["how"], r["version"]) for r in _resolutions(state))
    named = {r[0] for r in resolutions}
    if any(e[0] not in named for e in expected):
        raise DomainError("consent.objection_omitted", "a resolved objection is not recorded")
    if resolutions != expected:
        raise _bad("the resolutions do not match the proposal's history")
    version = state.current
    if body.review_date != version.review_date or body.measures != list(version.measures):
        raise _bad("review date and measures must be the adopted version's")


def _verify_adoption(
    state: ProposalState,
    circle: CircleState,
    stances: list[str],
    silent: list[str],
    at: dt.datetime,
    rules: ConsentRules,
) -> None:
    by_id = {s.id: s for s in state.stances.values()}
    older = {sid for v in state.history[:-1] for sid in v.stances}
    for sid in stances:
        if sid in older:
            raise DomainError("consent.wrong_version", f"stance {sid} answers an older version")
        stance = by_id.get(sid)
        if stance is None:
            raise _bad(f"stance {sid} is unknown")
        if not is_voter(circle, stance.member):
            raise DomainError("consent.not_member", f"{stance.member} is not a member")
    for member in silent:
        if not is_voter(circle, member):
            raise DomainError("consent.not_member", f"{member} is not a member")
    tally = _tally(state, circle)
    if any(o.id in stances for o in tally.objections):
        raise DomainError("consent.objection_unresolved", "an objection stands")
    if any(o.id not in stances for o in tally.objections):
        raise DomainError("consent.objection_omitted", "an objection is left out")
    if state.open_objections():
        raise DomainError("consent.objection_unresolved", "an objection stands")
    if set(stances) != {s.id for s in tally.counted} or set(silent) != set(tally.silent):
        raise _bad("the stances and silent members are not the round's")
    if silent:
        if state.deadline is None or at <= state.deadline:
            raise _bad("silent members before the round's deadline")
        if tally.below_quorum(rules):
            raise DomainError("consent.below_quorum", "too few members answered")
        if rules.silence == "object":
            raise _bad("silence blocks adoption in this circle")
    if not tally.consenting and not (silent and rules.silence == "consent"):
        raise _bad("nobody consented")
