"""The consent process of one proposal as a pure state machine: state and event in, new
state (or a DomainError with a stable ``consent.*`` code) out.

The process (design §4): draft → presented → questions → reactions → consent round →
(an objection) integrating → amended version → consent round … → adopted | withdrawn |
referred. The facilitator moves the phases, extends or reopens a round and tests its
objections; the proposer, the facilitator or the author of a standing objection amends;
every active member gives one stance per version, only in the consent round (or the
secretary records it, given aloud in an open meeting). Adoption is a
``decision`` built by ``decide`` and re-checked anywhere by ``verify_decision`` (both in
``decision``).

Concurrency, in design terms (every node applies the home node's feed order):

- **A stance after the round closed** (the deadline passed, or the facilitator moved on)
  is refused (``consent.round_closed``), even if signed while it was open: the round's close,
  not the signing time, decides. A stance after a decision is refused as well.
- **An amendment racing a stance**: a stance names the version it answers. If the
  amendment is applied first, the stance names an older version and is refused
  (``consent.wrong_version``); it never counts for the new version. If the stance is
  applied first, it is kept with the old version's record and cleared from the count.
- **Two facilitator transitions at once**: the home node's feed order decides; the second
  is judged against the state after the first (two "integrating" moves: the second is a
  ``consent.bad_transition``).
- **A member node offline during the round**: its stances, arriving later, are judged by
  the version they name and the round's close like any other; until then the member is
  silent, and silence past the deadline follows the circle's ``silence`` policy.

Other rules chosen here: a member may change their stance while the round is open (the
later one replaces the earlier, and a replaced objection no longer stands); an amendment
integrates every open objection (its ``changes`` text is the resolution's ``how``); a
node member takes part through its delegates, so only person members give stances; a
``withdrawn`` or ``referred`` phase ends the process, and only a matching ``decision``
(the logbook record) is accepted after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Final

from node.domain.circles import CircleState
from node.domain.consent.decision import verify_decision
from node.domain.consent.records import (
    DEFAULT_RULES,
    Amended,
    ConsentRules,
    Event,
    Objection,
    PhaseChanged,
    ProposalState,
    Proposed,
    Stance,
    StanceGiven,
    Version,
    is_voter,
)
from node.domain.errors import DomainError

# Which phase may follow which, by a facilitator's ``phase`` envelope. "adopted" is
# reached only by a ``decision``; "withdrawn" and "referred" end the process.
PHASE_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "draft": frozenset({"presented", "withdrawn"}),
    "presented": frozenset({"questions", "withdrawn", "referred"}),
    "questions": frozenset({"reactions", "withdrawn", "referred"}),
    "reactions": frozenset({"consent", "withdrawn", "referred"}),
    # consent → consent extends or reopens the round (a later deadline), or tests one of
    # its objections.
    "consent": frozenset({"consent", "integrating", "withdrawn", "referred"}),
    "integrating": frozenset({"consent", "withdrawn", "referred"}),
    "withdrawn": frozenset(),
    "referred": frozenset(),
    "adopted": frozenset(),
}
# Phases in which a new version may be made (never during the consent round itself).
AMEND_IN: Final = frozenset({"draft", "presented", "questions", "reactions", "integrating"})
# Who may make each kind of change, and the code when someone else tries.
AUTHORITY: Final[Mapping[str, tuple[tuple[str, ...], str]]] = {
    "phase": (("facilitator",), "consent.not_facilitator"),
    "amend": (("proposer", "facilitator", "objector"), "consent.not_proposer"),
    "stance": (("member",), "consent.not_member"),
    "record": (("secretary",), "consent.not_secretary"),
    "decision": (("home", "facilitator"), "consent.not_facilitator"),
}


# --- transitions -----------------------------------------------------------------------


_HOLDS: Final[Mapping[str, Callable[[ProposalState, CircleState, str], bool]]] = {
    "facilitator": lambda s, c, a: a in c.holders("facilitator"),
    "proposer": lambda s, c, a: a == s.proposer and is_voter(c, a),
    "member": lambda s, c, a: is_voter(c, a),
    # The author of a standing objection co-writes the version that integrates it.
    "objector": lambda s, c, a: is_voter(c, a) and any(o.member == a for o in s.open_objections()),
    "secretary": lambda s, c, a: a in c.holders("secretary"),
    "home": lambda s, c, a: a == c.home,
}


def _authorize(kind: str, state: ProposalState, circle: CircleState, author: str) -> None:
    holders, code = AUTHORITY[kind]
    if not any(_HOLDS[h](state, circle, author) for h in holders):
        raise DomainError(code, f"{author} may not do this ({kind}: {' or '.join(holders)})")


def start(event: Proposed, *, circle: CircleState) -> ProposalState:
    """The draft state of a new proposal; its author must be an active member, or the
    home node bringing back a review that fell due (checked by the caller, which holds
    the reviewed decision)."""
    review = event.review_of is not None and event.author == circle.home
    if not review and not is_voter(circle, event.author):
        raise DomainError("consent.not_member", f"{event.author} is not a member of the circle")
    if event.review_of is not None and not review:
        raise DomainError("consent.not_home", "the home node brings reviews back")
    _check_coauthors(circle, event.coauthors)
    first = Version(
        event.id,
        1,
        event.author,
        event.title,
        "",
        event.review_date,
        event.measures,
        coauthors=event.coauthors,
    )
    return ProposalState(
        root=event.id,
        circle=circle.id,
        proposer=event.author,
        version_id=event.id,
        version=1,
        history=(first,),
        review_of=event.review_of,
    )


def apply(
    state: ProposalState,
    event: Event,
    *,
    circle: CircleState,
    now: dt.datetime,
    rules: ConsentRules = DEFAULT_RULES,
) -> ProposalState:
    """Apply one event; return the new state or raise DomainError (nothing changes)."""
    if state.outcome is not None and not isinstance(event, StanceGiven):
        raise DomainError("consent.bad_transition", f"the proposal is {state.outcome} already")
    if isinstance(event, PhaseChanged):
        return _phase(state, event, circle, now, rules)
    if isinstance(event, Amended):
        return _amend(state, event, circle)
    if isinstance(event, StanceGiven):
        return _stance(state, event, circle, now)
    _authorize("decision", state, circle, event.author)
    verify_decision(state, circle, event.body, at=now, rules=rules)
    outcome = str(event.body["outcome"])
    return replace(state, phase=outcome, outcome=outcome)


def _phase(
    state: ProposalState,
    ev: PhaseChanged,
    circle: CircleState,
    now: dt.datetime,
    rules: ConsentRules,
) -> ProposalState:
    _authorize("phase", state, circle, ev.author)
    if ev.tested is not None:
        return _test(state, ev)
    if ev.phase == "consent" and state.phase == "consent":
        return _extend(state, ev, now)
    if ev.phase not in PHASE_TRANSITIONS.get(state.phase, frozenset()):
        raise DomainError("consent.bad_transition", f"{state.phase} may not go to {ev.phase}")
    if ev.deadline is not None and ev.deadline <= now:
        raise DomainError("consent.bad_transition", "a deadline must be in the future")
    if ev.phase == "integrating" and not state.open_objections():
        raise DomainError("consent.bad_transition", "integrating needs an objection to integrate")
    if ev.phase == "consent":
        if state.open_objections():
            raise DomainError(
                "consent.objection_unresolved", "amend the proposal to integrate objections first"
            )
        deadline = ev.deadline or now + dt.timedelta(hours=rules.round_hours)
        return replace(state, phase="consent", deadline=deadline, round_held=True)
    return replace(state, phase=ev.phase, deadline=ev.deadline)


def _extend(state: ProposalState, ev: PhaseChanged, now: dt.datetime) -> ProposalState:
    """The round goes on to a later deadline: extended while open, reopened once its
    deadline passed without a decision; the stances given stay."""
    if ev.deadline is None:
        raise DomainError("consent.bad_deadline", "extending a round needs a new deadline")
    if ev.deadline <= now or (state.deadline is not None and ev.deadline <= state.deadline):
        raise DomainError(
            "consent.bad_deadline", "the new deadline must be later than now and the current one"
        )
    return replace(state, deadline=ev.deadline)


def _test(state: ProposalState, ev: PhaseChanged) -> ProposalState:
    """The circle's finding on one objection of the round: to integrate, or none."""
    if state.phase != "consent":
        raise DomainError("consent.not_in_round", f"no consent round during {state.phase}")
    found = [
        o
        for o in state.objections
        if o.stance == ev.tested and o.resolved_by is None and o.version == state.version_id
    ]
    if not found:
        raise DomainError("consent.unknown_objection", f"no objection {ev.tested} in this round")
    tested = replace(found[0], valid=ev.valid, test=ev.id, test_reason=ev.reason)
    objections = tuple(tested if o is found[0] else o for o in state.objections)
    return replace(state, objections=objections)


def _check_coauthors(circle: CircleState, coauthors: tuple[str, ...]) -> None:
    for member in coauthors:
        if not is_voter(circle, member):
            raise DomainError("consent.not_member", f"co-author {member} is not a member")


def _amend(state: ProposalState, ev: Amended, circle: CircleState) -> ProposalState:
    _authorize("amend", state, circle, ev.author)
    if state.phase not in AMEND_IN:
        raise DomainError("consent.bad_transition", f"no amendment during {state.phase}")
    if ev.root != state.root or ev.version != state.version + 1:
        raise DomainError(
            "consent.wrong_version",
            f"an amendment must be version {state.version + 1} of {state.root}",
        )
    _check_coauthors(circle, ev.coauthors)
    closed = replace(state.current, stances=tuple(sorted(s.id for s in state.stances.values())))
    # Objections found to be none stay as they are: the new version does not integrate them.
    objections = tuple(
        replace(o, resolved_by=ev.id, how=ev.changes) if o.blocks else o for o in state.objections
    )
    new = Version(
        ev.id,
        ev.version,
        ev.author,
        ev.title,
        ev.changes,
        ev.review_date,
        ev.measures,
        coauthors=ev.coauthors,
    )
    return replace(
        state,
        version_id=ev.id,
        version=ev.version,
        round_held=False,
        stances={},
        objections=objections,
        history=(*state.history[:-1], closed, new),
    )


def _stance(
    state: ProposalState, ev: StanceGiven, circle: CircleState, now: dt.datetime
) -> ProposalState:
    if ev.recorded_by is not None:
        _authorize("record", state, circle, ev.recorded_by)
        if not ev.meeting_open:
            raise DomainError(
                "consent.no_meeting", f"{ev.meeting} is no meeting of the circle open now"
            )
    _authorize("stance", state, circle, ev.member)
    if ev.version != state.version_id:
        raise DomainError(
            "consent.wrong_version", f"stances answer the current version {state.version_id}"
        )
    if state.phase != "consent":
        if state.round_held:
            raise DomainError("consent.round_closed", "the consent round is over")
        raise DomainError("consent.not_in_round", f"no consent round during {state.phase}")
    if state.deadline is not None and now > state.deadline:
        raise DomainError("consent.round_closed", "the consent round's deadline has passed")
    prior = state.stances.get(ev.member)
    objections = tuple(o for o in state.objections if prior is None or o.stance != prior.id)
    if ev.stance == "object":
        objections += (Objection(ev.id, ev.member, ev.version, ev.reason),)
    stance = Stance(ev.id, ev.member, ev.version, ev.stance, ev.reason, ev.recorded_by, ev.meeting)
    return replace(state, stances={**state.stances, ev.member: stance}, objections=objections)
