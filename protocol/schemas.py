"""Body schemas of every envelope kind in protocol v1, and the checks of a body against them.

Each kind's body is a msgspec Struct: unknown fields are refused, types are strict (no
int for a string, no bool for an int), strings are bounded. Kinds whose body carries
several operations use a tagged union on ``op`` (or ``object`` for campaigns, whose
schemas are protocol/campaigns.py's).
``validate_body`` checks a body and says why it fails; ``body_ok`` (protocol/fastcheck.py)
gives the same answer, faster and without the reason, for the envelope fast path. The
rest of the code calls only these two. The field types are protocol/fields.py's; the
schemas as JSON Schema, for other languages, protocol/schema_export.py's.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta, Struct

from protocol.campaigns import CampaignBody
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.fields import (
    END,
    Actor,
    CircleId,
    Date,
    Id,
    Member,
    Name,
    NodeId,
    ProposalStanceValue,
    Purpose,
    Role,
    Short,
    Sig,
    StanceValue,
    Text,
    Time,
)


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every body schema."""


def _unique(items: list[Any], what: str) -> None:
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")


# --- circles and membership -------------------------------------------------------------


class RoleSpec(Struct, forbid_unknown_fields=True, kw_only=True):
    """A role of a circle's register (PROTOCOL.md §8.2): one of the four with its own
    limit and term, or a role of the circle's own."""

    name: Name
    description: Text = ""
    term_months: Annotated[int, Meta(ge=1, le=120)] = 12
    holders: Annotated[int, Meta(ge=1, le=50)] = 1


class CircleBody(Body):
    """A circle's charter; a later ``circle`` envelope by the home node replaces it."""

    name: Name
    aim: Text
    domain: Text = ""
    parent: CircleId | None = None
    federated: bool = False
    silence: Literal["absent", "consent", "object"] = "absent"
    round_hours: Annotated[int, Meta(ge=1, le=2160)] = 72
    # The share of active members (a percentage) who must answer before a round may
    # close with anyone silent (§13.3).
    quorum: Annotated[int, Meta(ge=0, le=100)] = 0
    # The role register: built-in roles' limits and terms, and the circle's own roles.
    roles: Annotated[list[RoleSpec], Meta(max_length=50)] = []
    # The node that orders the circle (§13.15): null is the node the circle id names.
    home: NodeId | None = None
    # How long the home may assign no position before the member nodes may move it.
    home_timeout_days: Annotated[int, Meta(ge=1, le=365)] = 14

    def __post_init__(self) -> None:
        _unique([r.name for r in self.roles], "role names")


class MembershipBody(Body):
    """A member (person or node) joins, changes roles in, or leaves the circle."""

    member: Member
    status: Literal["active", "removed"]
    roles: list[Role | Name] = []
    term_end: Date | None = None
    # On removing a node: the last seq of its feed in this circle that the home accepted.
    # Every node holds that node's envelopes up to it, and refuses those after.
    final_seq: Annotated[int, Meta(ge=0, le=2**53 - 1)] | None = None
    # The parent circle's election that chose the circle's leader (§13.16): its `open`
    # and its `result` envelopes, whole, so every node checks them without the parent.
    chosen_by: Annotated[list[AttachedSelection], Meta(max_length=2)] = []

    def __post_init__(self) -> None:
        _unique(self.roles, "roles")
        node = self.member.startswith("ed25519:")
        if node and self.roles:
            raise ValueError("a node holds no roles; its delegates do")
        if self.final_seq is not None and not (node and self.status == "removed"):
            raise ValueError("final_seq belongs to the removal of a node")
        if self.chosen_by and (node or self.status != "active" or len(self.chosen_by) != 2):
            raise ValueError("chosen_by is an active person's, the parent's open and result")


class StructureMember(Body, tag_field="op", tag="member", kw_only=True):
    """A proposed membership change: invite or remove a node, add or remove a person,
    set a person's roles (PROTOCOL.md §13.14)."""

    member: Member
    status: Literal["active", "removed"]
    roles: list[Role | Name] = []

    def __post_init__(self) -> None:
        _unique(self.roles, "roles")
        if self.roles and self.member.startswith("ed25519:"):
            raise ValueError("a node holds no roles; its delegates do")
        if self.roles and self.status == "removed":
            raise ValueError("a removed member holds no roles")


class StructureCharter(Body, tag_field="op", tag="charter", kw_only=True):
    """A proposed charter: the full new body of the circle's ``circle`` envelope."""

    charter: CircleBody


StructureChange = StructureMember | StructureCharter


# --- the consent process ---------------------------------------------------------------


class ProposalBody(Body):
    """One version of a proposal: the first (``root`` null) or an amendment of ``root``."""

    title: Name
    text: Text
    root: Id | None = None
    version: Annotated[int, Meta(ge=1, le=10000)] = 1
    changes: Text = ""
    review_date: Date | None = None
    measures: list[Short] = []
    # A review of an adopted decision that fell due, brought back by the home node.
    review_of: Id | None = None
    # Versions of campaign objects (campaign, target, demand) the circle adopts with it.
    adopts: Annotated[list[Id], Meta(max_length=200)] = []
    # Members who wrote this version with its author (an objector co-writing it, §13.2).
    coauthors: Annotated[list[Actor], Meta(max_length=50)] = []
    # An adopted decision of the circle that this proposal, once adopted, replaces.
    replaces: Id | None = None
    # Changes of the circle's membership, roles or charter the home carries out once
    # this version is adopted (§13.14).
    structure: Annotated[list[StructureChange], Meta(max_length=50)] = []

    def __post_init__(self) -> None:
        _unique(self.adopts, "adopts")
        _unique(self.coauthors, "coauthors")
        if (self.root is None) != (self.version == 1):
            raise ValueError("version 1 has no root; every later version names its root")
        if self.review_of is not None and self.root is not None:
            raise ValueError("review_of belongs to a review's first version")


Phase = Literal[
    "presented", "questions", "reactions", "consent", "integrating", "withdrawn", "referred"
]


class ObjectionTest(Struct, forbid_unknown_fields=True, kw_only=True):
    """The circle's finding on an objecting stance: an objection to integrate or not."""

    objection: Id
    valid: bool
    reason: Text

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a test of an objection needs a reason")


class PhaseBody(Body):
    """A facilitator's transition of a proposal (named by its root id); ``consent`` while
    in ``consent`` extends or reopens the round, or, with ``test``, tests an objection."""

    proposal: Id
    phase: Phase
    deadline: Time | None = None
    note: Text = ""
    test: ObjectionTest | None = None

    def __post_init__(self) -> None:
        if self.test is not None and (self.phase != "consent" or self.deadline is not None):
            raise ValueError("a test of an objection has phase consent and no deadline")


class StanceBody(Body):
    """A member's stance on one exact proposal version; with ``member`` and ``meeting``,
    the secretary's record of another member's stance given aloud in a meeting."""

    proposal: Id
    stance: ProposalStanceValue
    reason: Text = ""
    member: Actor | None = None
    meeting: Id | None = None

    def __post_init__(self) -> None:
        if self.stance != "consent" and not self.reason.strip():
            raise ValueError(f"a stance of {self.stance!r} needs a reason")
        if (self.member is None) != (self.meeting is None):
            raise ValueError("a recorded stance names both the member and the meeting")


class Resolution(Struct, forbid_unknown_fields=True, kw_only=True):
    objection: Id
    how: Text
    version: Id


class DecisionBody(Body):
    """The outcome of a proposal, with everything needed to re-check it offline."""

    proposal: Id
    outcome: Literal["adopted", "withdrawn", "referred"]
    stances: list[Id] = []
    resolutions: list[Resolution] = []
    silent: list[Actor] = []
    review_date: Date | None = None
    measures: list[Short] = []
    # The `phase` envelopes that found counted objections not to be objections.
    tests: list[Id] = []
    # The outcome in a sentence and why, as whoever records the decision words them.
    statement: Text = ""
    rationale: Text = ""

    def __post_init__(self) -> None:
        _unique(self.stances, "stances")
        _unique(self.silent, "silent")
        _unique(self.tests, "tests")


# --- selection (election by consent) ---------------------------------------------------


class SelectionOpen(Body, tag_field="op", tag="open", kw_only=True):
    role: Role | Name
    description: Text
    term_months: Annotated[int, Meta(ge=1, le=120)]
    # The holder the selected member replaces when the role is full (§13.7).
    replaces: Actor | None = None
    # The child circle whose leader this (parent) circle chooses (§13.16).
    for_circle: CircleId | None = None

    def __post_init__(self) -> None:
        if self.for_circle is not None and self.role != "leader":
            raise ValueError("for_circle is only with role leader")


class SelectionNominate(Body, tag_field="op", tag="nominate", kw_only=True):
    """A sealed nomination: sha256 over canonical {nominee, salt}; revealed later."""

    selection: Id
    commitment: Id


class SelectionReveal(Body, tag_field="op", tag="reveal", kw_only=True):
    selection: Id
    nomination: Id
    nominee: Actor
    salt: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{22,86}" + END)]
    reason: Text = ""


class SelectionPhase(Body, tag_field="op", tag="phase", kw_only=True):
    selection: Id
    phase: Literal["nominations", "nomination_round", "change_round", "consent", "cancelled"]
    candidate: Actor | None = None
    deadline: Time | None = None


class SelectionStance(Body, tag_field="op", tag="stance", kw_only=True):
    selection: Id
    candidate: Actor
    stance: StanceValue
    reason: Text = ""

    def __post_init__(self) -> None:
        if self.stance != "consent" and not self.reason.strip():
            raise ValueError(f"a stance of {self.stance!r} needs a reason")


class SelectionResult(Body, tag_field="op", tag="result", kw_only=True):
    selection: Id
    candidate: Actor
    term_start: Date
    term_end: Date
    stances: list[Id] = []

    def __post_init__(self) -> None:
        if self.term_end <= self.term_start:
            raise ValueError("a term ends after it starts")


class AttachedSelection(Body):
    """A parent circle's ``selection`` envelope, whole, attached to a child's membership
    (§13.16): every field of §3's envelope, its body an ``open`` or a ``result``."""

    v: Annotated[int, Meta(ge=1, le=1000)]
    kind: Literal["selection"]
    author: NodeId
    actor: Actor | None
    scope: CircleId
    seq: Annotated[int, Meta(ge=1, le=2**53 - 1)]
    prev: Id | None
    refs: Annotated[list[Id], Meta(max_length=1000)]
    ts: Time
    body: SelectionOpen | SelectionResult
    body_hash: Id
    sig: Sig


SelectionBody = (
    SelectionOpen
    | SelectionNominate
    | SelectionReveal
    | SelectionPhase
    | SelectionStance
    | SelectionResult
)


# --- meetings ------------------------------------------------------------------------------


class ActionItem(Struct, forbid_unknown_fields=True, kw_only=True):
    """An action agreed in a meeting: what, the member who owns it, when it is due."""

    what: Name
    owner: Actor
    due: Date | None = None


class AgendaItem(Struct, forbid_unknown_fields=True, kw_only=True):
    title: Name
    type: Literal["report", "explore", "decide"]
    proposal: Id | None = None
    notes: Text = ""
    decision: Id | None = None
    # Minutes only: the actions agreed on this item.
    actions: Annotated[list[ActionItem], Meta(max_length=50)] = []
    # The backlog item (a ``backlog`` envelope) this agenda item was drawn from.
    backlog: Id | None = None


class MeetingSchedule(Body, tag_field="op", tag="schedule", kw_only=True):
    title: Name
    starts: Time
    agenda: list[AgendaItem] = []

    def __post_init__(self) -> None:
        if any(item.actions for item in self.agenda):
            raise ValueError("actions are agreed in the minutes, not in the agenda")


class MinutesContent(Body, kw_only=True):
    """What minutes say; written once (``minutes``), replaced whole by a ``correct``."""

    meeting: Id
    attendance: list[Actor]
    opening: Text = ""
    agenda_consented: bool
    items: list[AgendaItem] = []
    closing: Text = ""
    # Guests by name: people who attended without being members (not actors).
    guests: Annotated[list[Name], Meta(max_length=100)] = []
    # The minutes version (a ``minutes`` or ``correct`` envelope) of an earlier meeting
    # of the circle that this meeting approved.
    approves: Id | None = None

    def __post_init__(self) -> None:
        _unique(self.attendance, "attendance")
        _unique(self.guests, "guests")


class MeetingMinutes(MinutesContent, tag_field="op", tag="minutes", kw_only=True):
    pass


class MeetingCorrect(MinutesContent, tag_field="op", tag="correct", kw_only=True):
    """The full corrected minutes of ``meeting``, replacing its current version."""

    replaces: Id
    note: Text = ""


class MeetingDone(Body, tag_field="op", tag="done", kw_only=True):
    """An action item marked done: the ``action``-th (from 1) of the minutes version."""

    meeting: Id
    minutes: Id
    action: Annotated[int, Meta(ge=1, le=10000)]


class MeetingBacklog(Body, tag_field="op", tag="backlog", kw_only=True):
    """A tension or agenda item on the circle's backlog."""

    title: Name
    note: Text = ""
    # The referred decision of a child circle this item brings up (§13.8).
    source: Id | None = None


class MeetingBacklogClose(Body, tag_field="op", tag="backlog_close", kw_only=True):
    item: Id
    note: Text = ""


MeetingBody = (
    MeetingSchedule
    | MeetingMinutes
    | MeetingCorrect
    | MeetingDone
    | MeetingBacklog
    | MeetingBacklogClose
)


# --- messages ----------------------------------------------------------------------------------


class MessageBody(Body):
    """A message: plain ``text`` in a circle, a sealed ``box`` in a direct scope."""

    text: Text | None = None
    box: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{1,40000}" + END)] | None = None
    thread: Id | None = None
    purpose: Purpose = "chat"

    def __post_init__(self) -> None:
        if (self.text is None) == (self.box is None):
            raise ValueError("a message has either text or box, not both or neither")


# --- node-level ---------------------------------------------------------------------------------


class KeyRotateBody(Body):
    """The old key names its successor; ``proof`` is the new key's signature over the
    canonical bytes of {"new": new_key, "old": <author>}."""

    new_key: NodeId
    proof: Sig
    reason: Short = ""


class HomeVoteBody(Body):
    """A member node's vote to move its circle's home without it (§13.15): the silent
    home, the new one, and the last position the voting node holds, so forks show."""

    home: NodeId
    to: NodeId
    pos: Annotated[int, Meta(ge=1, le=2**53 - 1)]
    pos_id: Id
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if self.home == self.to:
            raise ValueError("a vote moves the home to another node than the silent one")


class RetractBody(Body):
    """Withdraw an envelope's content: peers drop its body and keep its header."""

    target: Id
    reason: Short = ""
    decision: Id | None = None


SCHEMAS: Final[dict[str, Any]] = {
    "circle": CircleBody,
    "membership": MembershipBody,
    "proposal": ProposalBody,
    "phase": PhaseBody,
    "stance": StanceBody,
    "decision": DecisionBody,
    "selection": SelectionBody,
    "meeting": MeetingBody,
    "message": MessageBody,
    "campaign": CampaignBody,
    "key.rotate": KeyRotateBody,
    "home.vote": HomeVoteBody,
    "retract": RetractBody,
}

_UNKNOWN = "Object contains unknown field"
_MISSING = "Object missing required field"


def validate_body(kind: str, body: Any) -> Any:
    """Check ``body`` against the schema of ``kind``; return it as a typed Struct."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise RemoteProtocolError(ErrorCode.UNKNOWN_KIND, f"unknown kind {kind!r}")
    try:
        return msgspec.convert(body, schema)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if text.startswith(_UNKNOWN):
            code = ErrorCode.BODY_UNKNOWN_FIELD
        elif text.startswith(_MISSING):
            code = ErrorCode.BODY_MISSING_FIELD
        else:
            code = ErrorCode.BODY_INVALID
        raise RemoteProtocolError(code, f"{kind} body: {text}") from None
