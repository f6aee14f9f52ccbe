"""The consent process of one proposal as a pure state machine: state and event in, new
state (or a DomainError with a stable ``consent.*`` code) out.

The process (design §4): draft → presented → questions → reactions → consent round →
(an objection) integrating → amended version → consent round … → adopted | withdrawn |
referred. The facilitator moves the phases; the proposer or the facilitator amends; every
active member gives one stance per version, only in the consent round. Adoption is a
``decision`` built by ``decide`` and re-checked anywhere by ``verify_decision``.

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
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from protocol.errors import RemoteProtocolError
from protocol.schemas import CircleBody, PhaseBody, ProposalBody, StanceBody, validate_body

StanceValue = Literal["consent", "concern", "object"]

# Which phase may follow which, by a facilitator's ``phase`` envelope. "adopted" is
# reached only by a ``decision``; "withdrawn" and "referred" end the process.
PHASE_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "draft": frozenset({"presented", "withdrawn"}),
    "presented": frozenset({"questions", "withdrawn", "referred"}),
    "questions": frozenset({"reactions", "withdrawn", "referred"}),
    "reactions": frozenset({"consent", "withdrawn", "referred"}),
    "consent": frozenset({"integrating", "withdrawn", "referred"}),
    "integrating": frozenset({"consent", "withdrawn", "referred"}),
    "withdrawn": frozenset(),
    "referred": frozenset(),
    "adopted": frozenset(),
}
# Phases in which a new version may be made (never during the consent round itself).
AMEND_IN: Final = frozenset({"draft", "presented", "questions", "reactions", "integrating"})
# The phase a proposal must be in for each outcome of a ``decision``.
DECIDE_FROM: Final[Mapping[str, str]] = {
    "adopted": "consent",
    "withdrawn": "withdrawn",
    "referred": "referred",
}
# Who may make each kind of change, and the code when someone else tries.
AUTHORITY: Final[Mapping[str, tuple[tuple[str, ...], str]]] = {
    "phase": (("facilitator",), "consent.not_facilitator"),
    "amend": (("proposer", "facilitator"), "consent.not_proposer"),
    "stance": (("member",), "consent.not_member"),
    "decision": (("home", "facilitator"), "consent.not_facilitator"),
}
# A person member is handle@node; a node member takes part through its delegates.
_ACTOR_MARK = "@"


@dataclass(frozen=True, slots=True)
class ConsentRules:
    """The circle charter's rules for rounds (``silence`` and ``round_hours``)."""

    silence: Literal["absent", "consent", "object"] = "absent"
    round_hours: int = 72

    @classmethod
    def from_body(cls, body: CircleBody) -> ConsentRules:
        return cls(silence=body.silence, round_hours=body.round_hours)


DEFAULT_RULES: Final = ConsentRules()


@dataclass(frozen=True, slots=True)
class Stance:
    id: str
    member: str
    version: str
    value: StanceValue
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Objection:
    """An ``object`` stance; ``resolved_by`` is the version that integrated it."""

    stance: str
    member: str
    version: str
    reason: str
    resolved_by: str | None = None
    how: str = ""


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    number: int
    author: str
    title: str
    changes: str = ""
    review_date: dt.date | None = None
    measures: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()  # the stance ids it held when it was superseded


@dataclass(frozen=True, slots=True)
class ProposalState:
    root: str
    circle: str
    proposer: str
    version_id: str
    version: int
    phase: str = "draft"
    deadline: dt.datetime | None = None
    round_held: bool = False  # a consent round was opened for the current version
    stances: Mapping[str, Stance] = field(default_factory=dict)  # current version only
    objections: tuple[Objection, ...] = ()
    history: tuple[Version, ...] = ()  # every version, the current one last
    outcome: str | None = None
    review_of: str | None = None  # the decision this proposal reviews

    @property
    def current(self) -> Version:
        return self.history[-1]

    def open_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.resolved_by is None]


# --- events, mirroring the envelope kinds ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Proposed:
    """The first ``proposal`` envelope (version 1)."""

    id: str
    author: str
    title: str
    review_date: dt.date | None = None
    measures: tuple[str, ...] = ()
    review_of: str | None = None  # the adopted decision this proposal reviews

    @classmethod
    def from_body(cls, id: str, author: str, body: ProposalBody) -> Proposed:
        return cls(id, author, body.title, body.review_date, tuple(body.measures), body.review_of)


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """A ``phase`` envelope: the facilitator moves the proposal."""

    author: str
    phase: str
    deadline: dt.datetime | None = None
    note: str = ""

    @classmethod
    def from_body(cls, author: str, body: PhaseBody) -> PhaseChanged:
        deadline = None if body.deadline is None else dt.datetime.fromisoformat(body.deadline)
        return cls(author, body.phase, deadline, body.note)


@dataclass(frozen=True, slots=True)
class Amended:
    """A later ``proposal`` envelope: version n+1 of ``root``."""

    id: str
    author: str
    root: str
    version: int
    title: str
    changes: str = ""
    review_date: dt.date | None = None
    measures: tuple[str, ...] = ()

    @classmethod
    def from_body(cls, id: str, author: str, body: ProposalBody) -> Amended:
        return cls(
            id,
            author,
            body.root or "",
            body.version,
            body.title,
            body.changes,
            body.review_date,
            tuple(body.measures),
        )


@dataclass(frozen=True, slots=True)
class StanceGiven:
    """A ``stance`` envelope: ``member``'s stance on the version ``version``."""

    id: str
    member: str
    version: str
    stance: StanceValue
    reason: str = ""

    @classmethod
    def from_body(cls, id: str, author: str, body: StanceBody) -> StanceGiven:
        return cls(id, author, body.proposal, body.stance, body.reason)


@dataclass(frozen=True, slots=True)
class Decided:
    """A ``decision`` envelope, its body as sent."""

    author: str
    body: Mapping[str, Any]


Event = PhaseChanged | Amended | StanceGiven | Decided


# --- transitions -----------------------------------------------------------------------


def _voter(circle: CircleState, member: str) -> bool:
    return _ACTOR_MARK in member and circle.is_active(member)


_HOLDS: Final[Mapping[str, Callable[[ProposalState, CircleState, str], bool]]] = {
    "facilitator": lambda s, c, a: a in c.holders("facilitator"),
    "proposer": lambda s, c, a: a == s.proposer and _voter(c, a),
    "member": lambda s, c, a: _voter(c, a),
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
    if not review and not _voter(circle, event.author):
        raise DomainError("consent.not_member", f"{event.author} is not a member of the circle")
    if event.review_of is not None and not review:
        raise DomainError("consent.not_home", "the home node brings reviews back")
    first = Version(event.id, 1, event.author, event.title, "", event.review_date, event.measures)
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


def _amend(state: ProposalState, ev: Amended, circle: CircleState) -> ProposalState:
    _authorize("amend", state, circle, ev.author)
    if state.phase not in AMEND_IN:
        raise DomainError("consent.bad_transition", f"no amendment during {state.phase}")
    if ev.root != state.root or ev.version != state.version + 1:
        raise DomainError(
            "consent.wrong_version",
            f"an amendment must be version {state.version + 1} of {state.root}",
        )
    closed = replace(state.current, stances=tuple(sorted(s.id for s in state.stances.values())))
    objections = tuple(
        replace(o, resolved_by=ev.id, how=ev.changes) if o.resolved_by is None else o
        for o in state.objections
    )
    new = Version(ev.id, ev.version, ev.author, ev.title, ev.changes, ev.review_date, ev.measures)
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
    stance = Stance(ev.id, ev.member, ev.version, ev.stance, ev.reason)
    return replace(state, stances={**state.stances, ev.member: stance}, objections=objections)


# --- decisions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tally:
    counted: list[Stance]  # stances of active members on the current version
    silent: list[str]  # active members without one
    objections: list[Stance]


def _tally(state: ProposalState, circle: CircleState) -> _Tally:
    voters = sorted(m for m in circle.members if _voter(circle, m))
    counted = [state.stances[m] for m in voters if m in state.stances]
    silent = [m for m in voters if m not in state.stances]
    return _Tally(counted, silent, [s for s in counted if s.value == "object"])


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
    with no standing objection, and a stance from every active member, or, past the
    deadline, the circle's silence policy letting the silent members through.
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
        if rules.silence == "object":
            raise DomainError("consent.silence_objects", "in this circle, silence blocks")
    if not tally.counted and not (tally.silent and rules.silence == "consent"):
        raise DomainError("consent.no_consent", "nobody consented")
    version = state.current
    return {
        "proposal": state.version_id,
        "outcome": "adopted",
        "stances": sorted(s.id for s in tally.counted),
        "resolutions": _resolutions(state),
        "silent": tally.silent,
        "review_date": None if version.review_date is None else version.review_date.isoformat(),
        "measures": list(version.measures),
    }


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
        if not _voter(circle, stance.member):
            raise DomainError("consent.not_member", f"{stance.member} is not a member")
        if stance.value == "object":
            raise DomainError("consent.objection_unresolved", f"{stance.member} objects")
    for member in silent:
        if not _voter(circle, member):
            raise DomainError("consent.not_member", f"{member} is not a member")
    tally = _tally(state, circle)
    if any(o.id not in stances for o in tally.objections):
        raise DomainError("consent.objection_omitted", "an objection is left out")
    if state.open_objections():
        raise DomainError("consent.objection_unresolved", "an objection stands")
    if set(stances) != {s.id for s in tally.counted} or set(silent) != set(tally.silent):
        raise _bad("the stances and silent members are not the round's")
    if silent:
        if state.deadline is None or at <= state.deadline:
            raise _bad("silent members before the round's deadline")
        if rules.silence == "object":
            raise _bad("silence blocks adoption in this circle")
    if not stances and not (silent and rules.silence == "consent"):
        raise _bad("nobody consented")
