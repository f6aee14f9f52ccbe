"""An election's records: the state of one election (its nominations, the round's
stances, the outcome and term) and the events that change it (one per ``op`` of the
``selection`` envelope), as frozen dataclasses. The state is what ``node.store`` keeps
(msgspec-encoded) between events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from node.domain.circles import CircleState
from node.domain.consent.records import StanceValue
from protocol.schemas import (
    SelectionNominate,
    SelectionOpen,
    SelectionPhase,
    SelectionResult,
    SelectionReveal,
    SelectionStance,
)

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
    replaces: str | None = None  # the holder the selected member replaces (§13.7)
    for_circle: str | None = None  # the child circle whose leader it chooses (§13.16)

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
    replaces: str | None = None
    for_circle: str | None = None

    @classmethod
    def from_body(cls, id: str, author: str, body: SelectionOpen) -> Opened:
        return cls(
            id,
            author,
            body.role,
            body.description,
            body.term_months,
            body.replaces,
            body.for_circle,
        )


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


def is_voter(circle: CircleState, member: str) -> bool:
    """Whether ``member`` takes part in ``circle``'s elections: an active person member."""
    return _ACTOR_MARK in member and circle.is_active(member)
