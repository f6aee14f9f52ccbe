"""The consent process's records: the circle's rules for rounds, the state of one
proposal, and the events that change it (one per envelope kind), as frozen dataclasses.
The state is what ``node.store`` keeps (msgspec-encoded) between events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from node.domain.circles import CircleState
from protocol.schemas import CircleBody, PhaseBody, ProposalBody, StanceBody

StanceValue = Literal["consent", "concern", "object", "stand_aside"]
# A person member is handle@node; a node member takes part through its delegates.
_ACTOR_MARK = "@"


@dataclass(frozen=True, slots=True)
class ConsentRules:
    """The circle charter's rules for rounds (``silence``, ``round_hours`` and
    ``quorum``, the percentage of members who must answer before silence may count)."""

    silence: Literal["absent", "consent", "object"] = "absent"
    round_hours: int = 72
    quorum: int = 0

    @classmethod
    def from_body(cls, body: CircleBody) -> ConsentRules:
        return cls(silence=body.silence, round_hours=body.round_hours, quorum=body.quorum)


DEFAULT_RULES: Final = ConsentRules()


@dataclass(frozen=True, slots=True)
class Stance:
    id: str
    member: str
    version: str
    value: StanceValue
    reason: str = ""
    recorded_by: str | None = None  # the secretary who recorded it in a meeting
    meeting: str | None = None


@dataclass(frozen=True, slots=True)
class Objection:
    """An ``object`` stance; ``resolved_by`` is the version that integrated it. ``valid``
    is the circle's test of it (None: untested; False: not an objection, so it no longer
    blocks), recorded by the ``phase`` envelope ``test``."""

    stance: str
    member: str
    version: str
    reason: str
    resolved_by: str | None = None
    how: str = ""
    valid: bool | None = None
    test: str | None = None
    test_reason: str = ""

    @property
    def blocks(self) -> bool:
        return self.resolved_by is None and self.valid is not False


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
    coauthors: tuple[str, ...] = ()


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
        """The objections that block: not integrated, not found to be no objection."""
        return [o for o in self.objections if o.blocks]


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
    coauthors: tuple[str, ...] = ()

    @classmethod
    def from_body(cls, id: str, author: str, body: ProposalBody) -> Proposed:
        return cls(
            id,
            author,
            body.title,
            body.review_date,
            tuple(body.measures),
            body.review_of,
            tuple(body.coauthors),
        )


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """A ``phase`` envelope: the facilitator moves the proposal, extends or reopens its
    round (``consent`` again, a later deadline), or tests an objection (``tested``)."""

    author: str
    phase: str
    deadline: dt.datetime | None = None
    note: str = ""
    id: str = ""
    tested: str | None = None  # the objecting stance tested
    valid: bool = True
    reason: str = ""

    @classmethod
    def from_body(cls, author: str, body: PhaseBody, id: str = "") -> PhaseChanged:
        deadline = None if body.deadline is None else dt.datetime.fromisoformat(body.deadline)
        if body.test is None:
            return cls(author, body.phase, deadline, body.note, id)
        test = body.test
        return cls(
            author, body.phase, deadline, body.note, id, test.objection, test.valid, test.reason
        )


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
    coauthors: tuple[str, ...] = ()

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
            tuple(body.coauthors),
        )


@dataclass(frozen=True, slots=True)
class StanceGiven:
    """A ``stance`` envelope: ``member``'s stance on the version ``version``; when
    ``recorded_by`` (the envelope's actor) differs, the secretary recorded it aloud in
    ``meeting``, which the caller found open (``meeting_open``)."""

    id: str
    member: str
    version: str
    stance: StanceValue
    reason: str = ""
    recorded_by: str | None = None
    meeting: str | None = None
    meeting_open: bool = False

    @classmethod
    def from_body(
        cls, id: str, author: str, body: StanceBody, *, meeting_open: bool = False
    ) -> StanceGiven:
        if body.member is None:
            return cls(id, author, body.proposal, body.stance, body.reason)
        return cls(
            id,
            body.member,
            body.proposal,
            body.stance,
            body.reason,
            author,
            body.meeting,
            meeting_open,
        )


@dataclass(frozen=True, slots=True)
class Decided:
    """A ``decision`` envelope, its body as sent."""

    author: str
    body: Mapping[str, Any]


Event = PhaseChanged | Amended | StanceGiven | Decided


def is_voter(circle: CircleState, member: str) -> bool:
    """Whether ``member`` gives stances in ``circle``: an active person member."""
    return _ACTOR_MARK in member and circle.is_active(member)
