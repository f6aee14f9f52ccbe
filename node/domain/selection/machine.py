"""An election by consent ("selection") as a pure state machine: state and event in, new
state (or a DomainError with a stable ``selection.*`` code) out.

The process: the facilitator opens an election for a role, with its description and
term → nominations (sealed: each member commits to a nominee with a salted hash, so no
nomination is seen before all are in) → nomination round (each nominator reveals nominee,
salt and reason) → change round (a nominator may change their nomination, openly) → the
facilitator proposes a candidate and opens the consent round (stances consent / concern /
object with a reason) → on an objection the facilitator proposes another candidate, or
re-opens the round for the same candidate after integrating the objection (either way a
new round: earlier stances are cleared) → the result (selected, with the term's dates),
built by ``result_body`` and re-checked anywhere by ``verify_result`` → the term expiring
(``term_expiring``), time for a new election.

Rules chosen here:

- The facilitator opens the election and moves every phase (``PhaseMoved``); the home
  node or the facilitator records the result. ``nominations → nomination_round`` needs a
  nomination and closes nominations; ``change_round → consent`` needs a ``candidate``, an
  active person member who is someone's (current) revealed nominee; ``consent → consent``
  starts a new round, for another candidate or the same one. A candidate goes only with a
  move to ``consent``. Any phase may be ``cancelled``, which ends the election.
- One nomination per member: a second, while nominations are open, replaces the first
  (whose id is then unknown). Self-nomination is allowed.
- A reveal must reproduce its commitment (``commitment_of``) and happens once, in the
  nomination round, by its nominator. In the change round a nominator who revealed may
  name another nominee openly (salt and commitment are no longer checked).
- Only person members take part (a node member takes part through its delegates); the
  candidate may give a stance on themselves. A later stance replaces the earlier one.
- Silence past the deadline follows the circle's ``silence`` policy (``ConsentRules``),
  as in the consent process. The result names every counted stance; the silent members
  are those active person members without one.
- A term runs ``term_months`` calendar months from ``term_start`` (the day clamped to the
  month's end: 31 January + 1 month is 28/29 February).

Concurrency, in design terms (every node applies the home node's feed order):

- **A nomination racing the close of nominations**: if the move to the nomination round
  is applied first, the nomination is refused (``selection.closed``): the close decides,
  not the signing time. Likewise a first reveal arriving after the change round opened is
  refused (``selection.bad_reveal``: a change needs an earlier reveal).
- **A stance after the round closed** (the deadline passed) is refused
  (``selection.round_closed``); after a result or a cancellation everything is refused
  (``selection.bad_transition``).
- **A new candidate racing a stance**: a stance names its candidate. If the new round is
  applied first, a stance on the old candidate is refused (``selection.wrong_candidate``)
  and never counts for the new one; if the stance is applied first, it is cleared with
  its round (an objection's id is kept in ``objections_seen``). A stance on the *same*
  candidate arriving after the round was re-opened counts in the new round: a stance
  names the candidate, not the round, and the member may give another while it is open.
- **Two facilitator moves at once**: the home node's feed order decides; the second is
  judged against the state after the first (two moves to the nomination round: the
  second is a ``selection.bad_transition``; two candidates proposed: two rounds, the
  second clearing the first).
- **Membership changing during the round**: only active person members count; a stance
  of a member who left is not counted and a result naming it is refused
  (``selection.not_member``), as is a result for a candidate who left.
- **A member node offline during the round**: its stances, arriving later, are judged by
  the candidate they name and the round's close like any other; until then the member
  is silent.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import msgspec

from node.domain.circles import CircleState
from node.domain.consent import DEFAULT_RULES, ConsentRules, StanceValue
from node.domain.errors import DomainError
from protocol.canonical import encode
from protocol.errors import RemoteProtocolError
from protocol.ids import sha256_id
from protocol.schemas import (
    SelectionNominate,
    SelectionOpen,
    SelectionPhase,
    SelectionResult,
    SelectionReveal,
    SelectionStance,
    validate_body,
)

__all__ = [
    "DEFAULT_RULES",
    "PHASE_TRANSITIONS",
    "ConsentRules",
    "Event",
    "Nominated",
    "Nomination",
    "Opened",
    "PhaseMoved",
    "ResultRecorded",
    "Revealed",
    "SelectionStanceRec",
    "SelectionState",
    "StanceGiven",
    "add_months",
    "apply",
    "commitment_of",
    "result_body",
    "start",
    "term_end_of",
    "term_expiring",
    "verify_result",
]

# Which phase may follow which, by the facilitator's ``phase`` envelope. "selected" is
# reached only by a ``result``; "cancelled" ends the election.
PHASE_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "nominations": frozenset({"nomination_round", "cancelled"}),
    "nomination_round": frozenset({"change_round", "cancelled"}),
    "change_round": frozenset({"consent", "cancelled"}),
    "consent": frozenset({"consent", "cancelled"}),
    "cancelled": frozenset(),
    "selected": frozenset(),
}
# The phases in which a ``reveal`` is accepted, and whether it must match its commitment.
REVEAL_IN: Final[Mapping[str, bool]] = {"nomination_round": True, "change_round": False}
# Who may make each kind of change, and the code when someone else tries.
AUTHORITY: Final[Mapping[str, tuple[tuple[str, ...], str]]] = {
    "open": (("facilitator",), "selection.not_facilitator"),
    "phase": (("facilitator",), "selection.not_facilitator"),
    "nominate": (("member",), "selection.not_member"),
    "reveal": (("member",), "selection.not_member"),
    "stance": (("member",), "selection.not_member"),
    "result": (("home", "facilitator"), "selection.not_facilitator"),
}
# A person member is handle@node; a node member takes part through its delegates.
_ACTOR_MARK = "@"


@dataclass(frozen=True, slots=True)
class Nomination:
    """A sealed nomination; ``nominee`` and ``reason`` are filled in by its reveal."""

    id: str
    nominator: str
    commitment: str
    nominee: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SelectionStanceRec:
    id: str
    member: str
    candidate: str
    value: StanceValue
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SelectionState:
    id: str
    circle: str
    opener: str
    role: str
    description: str
    term_months: int
    phase: str = "nominations"
    deadline: dt.datetime | None = None
    nominations: Mapping[str, Nomination] = field(default_factory=dict)  # by nominator
    candidate: str | None = None
    stances: Mapping[str, SelectionStanceRec] = field(default_factory=dict)  # this round
    objections_seen: tuple[str, ...] = ()  # objection stance ids of earlier rounds
    outcome: str | None = None  # "selected" | "cancelled"
    selected: str | None = None
    term_start: dt.date | None = None
    term_end: dt.date | None = None

    def nominees(self) -> set[str]:
        """The current nominees of revealed nominations."""
        return {n.nominee for n in self.nominations.values() if n.nominee is not None}


# --- events, mirroring the envelope's operations ---------------------------------------


@dataclass(frozen=True, slots=True)
class Opened:
    """``op: "open"``: the facilitator opens an election."""

    id: str
    author: str
    role: str
    description: str
    term_months: int

    @classmethod
    def from_body(cls, id: str, author: str, body: SelectionOpen) -> Opened:
        return cls(id, author, body.role, body.description, body.term_months)


@dataclass(frozen=True, slots=True)
class Nominated:
    """``op: "nominate"``: a sealed nomination."""

    id: str
    author: str
    commitment: str

    @classmethod
    def from_body(cls, id: str, author: str, body: SelectionNominate) -> Nominated:
        return cls(id, author, body.commitment)


@dataclass(frozen=True, slots=True)
class Revealed:
    """``op: "reveal"``: the nominator reveals (or, in the change round, changes) it."""

    author: str
    nomination: str
    nominee: str
    salt: str
    reason: str = ""

    @classmethod
    def from_body(cls, author: str, body: SelectionReveal) -> Revealed:
        return cls(author, body.nomination, body.nominee, body.salt, body.reason)


@dataclass(frozen=True, slots=True)
class PhaseMoved:
    """``op: "phase"``: the facilitator moves the election on."""

    author: str
    phase: str
    candidate: str | None = None
    deadline: dt.datetime | None = None

    @classmethod
    def from_body(cls, author: str, body: SelectionPhase) -> PhaseMoved:
        deadline = None if body.deadline is None else dt.datetime.fromisoformat(body.deadline)
        return cls(author, body.phase, body.candidate, deadline)


@dataclass(frozen=True, slots=True)
class StanceGiven:
    """``op: "stance"``: ``member``'s stance on the candidate ``candidate``."""

    id: str
    member: str
    candidate: str
    stance: StanceValue
    reason: str = ""

    @classmethod
    def from_body(cls, id: str, author: str, body: SelectionStance) -> StanceGiven:
        return cls(id, author, body.candidate, body.stance, body.reason)


@dataclass(frozen=True, slots=True)
class ResultRecorded:
    """``op: "result"``, its body as sent."""

    author: str
    body: Mapping[str, Any]

    @classmethod
    def from_body(cls, author: str, body: SelectionResult | Mapping[str, Any]) -> ResultRecorded:
        if isinstance(body, SelectionResult):
            return cls(author, msgspec.to_builtins(body))
        return cls(author, dict(body))


Event = Nominated | Revealed | PhaseMoved | StanceGiven | ResultRecorded


# --- helpers ---------------------------------------------------------------------------


def commitment_of(nominee: str, salt: str) -> str:
    """The commitment of a sealed nomination: sha256 over canonical {nominee, salt}."""
    return sha256_id(encode({"nominee": nominee, "salt": salt}))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's end."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end_of(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` starting on ``start`` (inclusive): a 12-month
    term from 2026-12-01 ends on 2027-11-30."""
    return add_months(start, months) - dt.timedelta(days=1)


def term_expiring(state: SelectionState, today: dt.date, within_days: int = 30) -> bool:
    """Whether the selected holder's term ends within ``within_days`` of ``today`` (or has
    ended already): time for a new election."""
    if state.outcome != "selected" or state.term_end is None:
        return False
    return (state.term_end - today).days <= within_days


def _voter(circle: CircleState, member: str) -> bool:
    return _ACTOR_MARK in member and circle.is_active(member)


_HOLDS: Final[Mapping[str, Callable[[CircleState, str], bool]]] = {
    "facilitator": lambda c, a: a in c.holders("facilitator"),
    "member": _voter,
    "home": lambda c, a: a == c.home,
}


def _authorize(kind: str, circle: CircleState, author: str) -> None:
    holders, code = AUTHORITY[kind]
    if not any(_HOLDS[h](circle, author) for h in holders):
        raise DomainError(code, f"{author} may not do this ({kind}: {' or '.join(holders)})")


# --- transitions -----------------------------------------------------------------------


def start(event: Opened, *, circle: CircleState) -> SelectionState:
    """The nominations phase of a new election; its opener must be the facilitator."""
    _authorize("open", circle, event.author)
    return SelectionState(
        id=event.id,
        circle=circle.id,
        opener=event.author,
        role=event.role,
        description=event.description,
        term_months=event.term_months,
    )


def apply(
    state: SelectionState,
    event: Event,
    *,
    circle: CircleState,
    now: dt.datetime,
    rules: ConsentRules = DEFAULT_RULES,
) -> SelectionState:
    """Apply one event; return the new state or raise DomainError (nothing changes)."""
    if state.outcome is not None:
        raise DomainError("selection.bad_transition", f"the election is {state.outcome} already")
    if isinstance(event, PhaseMoved):
        return _phase(state, event, circle, now, rules)
    if isinstance(event, Nominated):
        return _nominate(state, event, circle)
    if isinstance(event, Revealed):
        return _reveal(state, event, circle)
    if isinstance(event, StanceGiven):
        return _stance(state, event, circle, now)
    _authorize("result", circle, event.author)
    result = _verified(state, circle, event.body, at=now, rules=rules)
    return replace(
        state,
        phase="selected",
        outcome="selected",
        selected=result.candidate,
        term_start=result.term_start,
        term_end=result.term_end,
    )


def _phase(
    state: SelectionState,
    ev: PhaseMoved,
    circle: CircleState,
    now: dt.datetime,
    rules: ConsentRules,
) -> SelectionState:
    _authorize("phase", circle, ev.author)
    if ev.phase not in PHASE_TRANSITIONS.get(state.phase, frozenset()):
        raise DomainError("selection.bad_transition", f"{state.phase} may not go to {ev.phase}")
    if ev.deadline is not None and ev.deadline <= now:
        raise DomainError("selection.bad_transition", "a deadline must be in the future")
    if ev.phase == "cancelled":
        return replace(state, phase="cancelled", outcome="cancelled", deadline=ev.deadline)
    if ev.phase != "consent":
        if ev.candidate is not None:
            raise DomainError("selection.bad_transition", "a candidate is proposed for consent")
        if ev.phase == "nomination_round" and not state.nominations:
            raise DomainError("selection.bad_transition", "nobody has been nominated yet")
        return replace(state, phase=ev.phase, deadline=ev.deadline)
    if ev.candidate is None:
        raise DomainError("selection.bad_transition", "the consent round needs a candidate")
    if not _voter(circle, ev.candidate):
        raise DomainError("selection.not_member", f"{ev.candidate} is not a member")
    if ev.candidate not in state.nominees():
        raise DomainError("selection.wrong_candidate", f"{ev.candidate} was not nominated")
    raised = sorted(s.id for s in state.stances.values() if s.value == "object")
    return replace(
        state,
        phase="consent",
        candidate=ev.candidate,
        deadline=ev.deadline or now + dt.timedelta(hours=rules.round_hours),
        stances={},
        objections_seen=(*state.objections_seen, *raised),
    )


def _nominate(state: SelectionState, ev: Nominated, circle: CircleState) -> SelectionState:
    _authorize("nominate", circle, ev.author)
    if state.phase != "nominations":
        raise DomainError("selection.closed", f"nominations are closed ({state.phase})")
    nomination = Nomination(ev.id, ev.author, ev.commitment)
    return replace(state, nominations={**state.nominations, ev.author: nomination})


def _reveal(state: SelectionState, ev: Revealed, circle: CircleState) -> SelectionState:
    _authorize("reveal", circle, ev.author)
    sealed = REVEAL_IN.get(state.phase)
    if sealed is None:
        raise DomainError("selection.closed", f"no reveal during {state.phase}")
    nomination = next((n for n in state.nominations.values() if n.id == ev.nomination), None)
    if nomination is None:
        raise DomainError("selection.bad_reveal", f"{ev.nomination} is no open nomination")
    if nomination.nominator != ev.author:
        raise DomainError("selection.bad_reveal", "only its nominator reveals a nomination")
    if sealed and nomination.nominee is not None:
        raise DomainError("selection.bad_reveal", "the nomination is revealed already")
    if not sealed and nomination.nominee is None:
        raise DomainError("selection.bad_reveal", "only a revealed nomination may change")
    if sealed and commitment_of(ev.nominee, ev.salt) != nomination.commitment:
        raise DomainError("selection.bad_reveal", "nominee and salt do not match the commitment")
    if not _voter(circle, ev.nominee):
        raise DomainError("selection.not_member", f"{ev.nominee} is not a member")
    revealed = replace(nomination, nominee=ev.nominee, reason=ev.reason)
    return replace(state, nominations={**state.nominations, ev.author: revealed})


def _stance(
    state: SelectionState, ev: StanceGiven, circle: CircleState, now: dt.datetime
) -> SelectionState:
    _authorize("stance", circle, ev.member)
    if state.phase != "consent":
        raise DomainError("selection.not_in_round", f"no consent round during {state.phase}")
    if ev.candidate != state.candidate:
        raise DomainError("selection.wrong_candidate", f"the candidate is {state.candidate}")
    if state.deadline is not None and now > state.deadline:
        raise DomainError("selection.round_closed", "the consent round's deadline has passed")
    stance = SelectionStanceRec(ev.id, ev.member, ev.candidate, ev.stance, ev.reason)
    return replace(state, stances={**state.stances, ev.member: stance})


# --- the result ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tally:
    counted: list[SelectionStanceRec]  # stances of active person members this round
    silent: list[str]  # active person members without one
    objections: list[SelectionStanceRec]


def _tally(state: SelectionState, circle: CircleState) -> _Tally:
    voters = sorted(m for m in circle.members if _voter(circle, m))
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
    if not _voter(circle, state.candidate):
        raise DomainError("selection.not_member", f"{state.candidate} is no longer a member")
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
    _verified(state, circle, body, at=at, rules=rules)


def _verified(
    state: SelectionState,
    circle: CircleState,
    body: Mapping[str, Any],
    *,
    at: dt.datetime,
    rules: ConsentRules,
) -> SelectionResult:
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
    if not _voter(circle, state.candidate):
        raise DomainError("selection.not_member", f"{state.candidate} is no longer a member")
    if len(set(result.stances)) != len(result.stances):
        raise _bad("a stance is named twice")
    by_id = {s.id: s for s in state.stances.values()}
    for sid in result.stances:
        if sid in state.objections_seen:
            raise DomainError("selection.wrong_candidate", f"stance {sid} is of an earlier round")
        stance = by_id.get(sid)
        if stance is None:
            raise _bad(f"stance {sid} is unknown")
        if not _voter(circle, stance.member):
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
