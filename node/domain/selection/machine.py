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
built by ``result_body`` and re-checked anywhere by ``verify_result`` (in ``result``) →
the term expiring (``term_expiring``, in ``terms``), time for a new election.

Rules chosen here:

- The facilitator (or the home node, when a holder's term ends) opens the election for a
  role of the circle's register, naming whom the new holder ``replaces`` when the role
  is full (in a circle whose charter names a parent, not the leader: the parent chooses
  it with ``for_circle``, PROTOCOL.md §13.16); the facilitator moves every phase
  (``PhaseMoved``); the home node or the facilitator records the result.
  ``nominations → nomination_round`` needs a nomination and closes nominations;
  ``change_round → consent`` needs a ``candidate``, an active person member who is
  someone's (current) revealed nominee; ``consent → consent`` starts a new round, for
  another candidate or the same one. A candidate goes only with a move to ``consent``.
  Any phase may be ``cancelled``, which ends the election.
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

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Final

from node.domain.circles import CircleState
from node.domain.consent.records import DEFAULT_RULES, ConsentRules
from node.domain.errors import DomainError
from node.domain.roles import check_known
from node.domain.selection.records import (
    Event,
    Nominated,
    Nomination,
    Opened,
    PhaseMoved,
    Revealed,
    SelectionStanceRec,
    SelectionState,
    StanceGiven,
    is_voter,
)
from node.domain.selection.result import checked_result
from protocol.canonical import encode
from protocol.ids import sha256_id

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
    "open": (("facilitator", "home"), "selection.not_facilitator"),
    "phase": (("facilitator",), "selection.not_facilitator"),
    "nominate": (("member",), "selection.not_member"),
    "reveal": (("member",), "selection.not_member"),
    "stance": (("member",), "selection.not_member"),
    "result": (("home", "facilitator"), "selection.not_facilitator"),
}


def commitment_of(nominee: str, salt: str) -> str:
    """The commitment of a sealed nomination: sha256 over canonical {nominee, salt}."""
    return sha256_id(encode({"nominee": nominee, "salt": salt}))


_HOLDS: Final[Mapping[str, Callable[[CircleState, str], bool]]] = {
    "facilitator": lambda c, a: a in c.holders("facilitator"),
    "member": is_voter,
    "home": lambda c, a: a == c.home,
}


def _authorize(kind: str, circle: CircleState, author: str) -> None:
    holders, code = AUTHORITY[kind]
    if not any(_HOLDS[h](circle, author) for h in holders):
        raise DomainError(code, f"{author} may not do this ({kind}: {' or '.join(holders)})")


# --- transitions -----------------------------------------------------------------------


def start(event: Opened, *, circle: CircleState) -> SelectionState:
    """The nominations phase of a new election; its opener must be the facilitator (or
    the home node, bringing back a term that ends), its role one of the register's."""
    _authorize("open", circle, event.author)
    if event.for_circle is None:
        check_known([event.role], circle.seats, circle.name)
        check_own_role(circle, event.role)
    elif event.for_circle == circle.id:
        raise DomainError("selection.not_child", f"{circle.name} is not its own sub-circle")
    return SelectionState(
        id=event.id,
        circle=circle.id,
        opener=event.author,
        role=event.role,
        description=event.description,
        term_months=event.term_months,
        replaces=event.replaces,
        for_circle=event.for_circle,
    )


def check_own_role(circle: CircleState, role: str) -> None:
    """A circle whose charter names a parent does not elect its own leader: the parent
    chooses it (§13.16); else ``selection.leader_by_parent``."""
    if role == "leader" and circle.parent is not None:
        raise DomainError(
            "selection.leader_by_parent",
            f"the leader of {circle.name} is chosen by its parent circle, which opens"
            " that election",
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
    if state.for_circle is not None and event.author != circle.home:
        # The sub-circle's nodes check the choice by the parent home's signature (§13.16).
        raise DomainError(
            "selection.result_by_home",
            f"the choice of a sub-circle's leader is recorded by the home of {circle.name},"
            " which does so by itself once the consent round has closed",
        )
    result = checked_result(state, circle, event.body, at=now, rules=rules)
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
    if not is_voter(circle, ev.candidate):
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
    if not is_voter(circle, ev.nominee):
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
