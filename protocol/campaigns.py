"""Body schemas of kind ``campaign`` (PROTOCOL.md §8.13): one Struct per ``object``.

A campaign names officials (``target``), asks things of them (``demand``), records where
each demand stands per target (``status``), what targets promised (``commitment``), what
members did (``action``), recurring actions (``plan``) and members' pledges to them
(``pledge``), candidates' answers to the questionnaire (``answer``); and the circle's
articles for its member organizations' public sites (``article``, in no campaign). An object's
identity is its first envelope's id; an update names it in ``ref`` and carries the
whole new version. protocol/schemas.py puts ``CampaignBody`` in the kind table.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from msgspec import Meta, Struct

from protocol.fields import END, Date, Id, Name, Short, Text

OfficeType = Annotated[
    str, Meta(pattern=f"^[a-z][a-z0-9_]{{0,39}}{END}", description="a type of office")
]
Url = Annotated[str, Meta(pattern=r"^https?://\S+" + END, max_length=2000, description="a URL")]
OcdDivision = Annotated[
    str,
    Meta(
        pattern=r"^ocd-division/country:[a-z]{2}(?:/[a-z_]+:[^/\s]+)*" + END,
        max_length=300,
        description="an Open Civic Data division id",
    ),
]
Channel = Literal[
    "call", "email", "letter", "petition", "meeting", "testimony", "public_comment", "rally"
]
DemandStatus = Literal[
    "not_asked", "asked", "in_talks", "committed", "partly_met", "met", "refused"
]
AnswerValue = Literal["pledged", "partly", "refused", "no_answer"]

#: Every ``object`` of kind ``campaign``, in the order PROTOCOL.md §8.13 lists them.
OBJECTS: Final = (
    "campaign",
    "target",
    "demand",
    "status",
    "commitment",
    "action",
    "plan",
    "pledge",
    "answer",
    "article",
)
#: The objects a circle adopts by consent (PROTOCOL.md §13.11); the rest need no decision.
ADOPTABLE: Final = frozenset({"campaign", "target", "demand", "article"})
#: The objects that stand alone: each is its own campaign (``campaign``) or belongs to none.
STANDALONE: Final = frozenset({"campaign", "article"})
Slug = Annotated[
    str,
    Meta(
        pattern=f"^[a-z0-9]+(?:-[a-z0-9]+)*{END}",
        max_length=80,
        description="lower-case letters and digits joined by dashes",
    ),
]
ArticleText = Annotated[str, Meta(max_length=50000, description="Markdown")]


def _unique(items: list[Any], what: str) -> None:
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")


def _ordered(first: Any, then: Any, what: str) -> None:
    if first is not None and then is not None and then < first:
        raise ValueError(what)


# --- sub-objects ---------------------------------------------------------------------------


class Part(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of the sub-objects: no other members allowed."""


class Office(Part):
    """One of a target's offices."""

    classification: Short = ""
    address: Short = ""
    voice: Short = ""


class Source(Part):
    """Where a target's record came from, and when it was last checked."""

    url: Url
    checked: Date | None = None


class Position(Part):
    """A target's stated position, dated, with its source."""

    date: Date
    text: Text
    source: Url | None = None


class ExternalId(Part):
    """A target's id in another system (scheme ``openstates``: ``ocd-person/…``)."""

    scheme: Name
    value: Short


class Candidacy(Part):
    """A target standing for an office in an upcoming election."""

    election_date: Date
    office: Name
    district: Short = ""
    result: Literal["pending", "won", "lost"] = "pending"


class Evidence(Part):
    """What backs a status or an answer: a link, a quote, a note."""

    url: Url | None = None
    quote: Text = ""
    note: Text = ""


# --- objects -----------------------------------------------------------------------------------


class CampaignObject(Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields shared by campaign objects; ``ref`` names the object an update replaces
    (its first envelope's id)."""

    ref: Id | None = None


class Campaign(CampaignObject, tag_field="object", tag="campaign", kw_only=True):
    """A campaign; a target not contacted for more than ``pressure_days`` is flagged.
    ``public``: once this version is adopted, member nodes show it on their public sites."""

    name: Name
    goal: Text
    description: Text = ""
    status: Literal["active", "won", "lost", "paused"] = "active"
    pressure_days: Annotated[int, Meta(ge=1, le=365)] = 7
    public: bool = False


class Target(CampaignObject, tag_field="object", tag="target", kw_only=True):
    """An official the campaign targets: an office holder, or a candidate for an office."""

    campaign: Id
    name: Name
    given_name: Short = ""
    family_name: Short = ""
    office_type: OfficeType
    title: Short = ""
    jurisdiction: Name
    ocd_division: OcdDivision | None = None
    party: Short = ""
    term_start: Date | None = None
    term_end: Date | None = None
    offices: Annotated[list[Office], Meta(max_length=20)] = []
    email: Short = ""
    contact_form: Url | None = None
    website: Url | None = None
    platform_url: Url | None = None
    photo_url: Url | None = None
    positions: Annotated[list[Position], Meta(max_length=100)] = []
    sources: Annotated[list[Source], Meta(max_length=50)] = []
    ids: Annotated[list[ExternalId], Meta(max_length=20)] = []
    candidacy: Candidacy | None = None
    notes: Text = ""

    def __post_init__(self) -> None:
        _ordered(self.term_start, self.term_end, "a term ends after it starts")
        _unique([(i.scheme, i.value) for i in self.ids], "ids")


class Demand(CampaignObject, tag_field="object", tag="demand", kw_only=True):
    """A demand, asked of one target or of every target holding an office type."""

    campaign: Id
    title: Name
    text: Text
    reasoning: Text = ""
    script: Text = ""
    target: Id | None = None
    office_type: OfficeType | None = None

    def __post_init__(self) -> None:
        if (self.target is None) == (self.office_type is None):
            raise ValueError("a demand is asked of a target or of an office type, not both")


class StatusChange(CampaignObject, tag_field="object", tag="status", kw_only=True):
    """Where a demand stands with one target, from ``date`` on."""

    campaign: Id
    demand: Id
    target: Id
    status: DemandStatus
    date: Date
    evidence: Evidence


class Commitment(CampaignObject, tag_field="object", tag="commitment", kw_only=True):
    """A target's promise, and whether it was kept."""

    campaign: Id
    target: Id
    demand: Id | None = None
    what: Text
    made: Date
    due: Date | None = None
    kept: Literal["open", "kept", "broken"] = "open"

    def __post_init__(self) -> None:
        _ordered(self.made, self.due, "a commitment falls due after it was made")


class Action(CampaignObject, tag_field="object", tag="action", kw_only=True):
    """A member's contact with a target, with what the office answered."""

    campaign: Id
    target: Id
    demand: Id | None = None
    channel: Channel
    date: Date
    outcome: Short = ""
    response: Text = ""
    notes: Text = ""
    plan: Id | None = None


class Plan(CampaignObject, tag_field="object", tag="plan", kw_only=True):
    """A recurring action on one weekday (Monday 0); no targets means every target."""

    campaign: Id
    title: Name
    channel: Channel
    weekday: Annotated[int, Meta(ge=0, le=6)]
    starts: Date
    ends: Date | None = None
    targets: Annotated[list[Id], Meta(max_length=200)] = []
    demand: Id | None = None
    script: Text = ""

    def __post_init__(self) -> None:
        _ordered(self.starts, self.ends, "a plan ends after it starts")
        _unique(self.targets, "targets")


class Pledge(CampaignObject, tag_field="object", tag="pledge", kw_only=True):
    """A member pledges to take part in one occurrence of a plan."""

    campaign: Id
    plan: Id
    date: Date


class Answer(CampaignObject, tag_field="object", tag="answer", kw_only=True):
    """A candidate's answer to one demand of the campaign's questionnaire."""

    campaign: Id
    target: Id
    demand: Id
    answer: AnswerValue
    evidence: Evidence


class Article(CampaignObject, tag_field="object", tag="article", kw_only=True):
    """An article the circle publishes, once adopted, on each member organization's
    public site; ``withdrawn`` takes it down. Markdown without images."""

    title: Name
    slug: Slug
    summary: Short = ""
    body: ArticleText
    withdrawn: bool = False


CampaignBody = (
    Campaign
    | Target
    | Demand
    | StatusChange
    | Commitment
    | Action
    | Plan
    | Pledge
    | Answer
    | Article
)
