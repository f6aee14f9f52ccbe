"""What the campaign reads return: plain frozen values with names beside ids (a member's
name and organization, a target's name, a demand's title), ready for the web pages, the
command line and OSDI. Bodies are the protocol's Structs (``protocol.campaigns``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from node.campaigns.imports import ImportPlan
from node.domain.campaigns.scoreboard import Cell, Pressure
from protocol.campaigns import (
    Action,
    Answer,
    Campaign,
    Commitment,
    Demand,
    Plan,
    StatusChange,
    Target,
)


@dataclass(frozen=True, slots=True)
class Person:
    """Who wrote something: the actor id, the member's name and organization."""

    actor: str
    name: str
    organization: str


@dataclass(frozen=True, slots=True)
class Standing:
    """Whether an object is the circle's (PROTOCOL.md §13.11): ``adopted`` names the
    version that stands (None: never adopted), ``draft`` says the latest is not it, and
    ``proposed_change`` that a later version waits for a decision."""

    version: str
    adopted: str | None

    @property
    def draft(self) -> bool:
        return self.version != self.adopted

    @property
    def proposed_change(self) -> bool:
        return self.adopted is not None and self.version != self.adopted


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign in a list."""

    id: str
    circle_id: str
    circle_name: str
    name: str
    goal: str
    status: str
    standing: Standing
    targets: int
    demands: int
    updated_at: str


@dataclass(frozen=True, slots=True)
class TargetView:
    """A target's current version, its standing, and when its sources were checked."""

    id: str
    campaign_id: str
    body: Target
    standing: Standing
    created_by: Person
    updated_at: str

    @property
    def name(self) -> str:
        return self.body.name

    @property
    def checked(self) -> dt.date | None:
        """The oldest date its sources were checked (how stale the record may be)."""
        dates = [s.checked for s in self.body.sources if s.checked is not None]
        return min(dates) if dates else None


@dataclass(frozen=True, slots=True)
class DemandView:
    """A demand's current wording and, when a later version waits for a decision, the
    adopted wording (``adopted_body``) the coalition stands by."""

    id: str
    campaign_id: str
    body: Demand
    standing: Standing
    adopted_body: Demand | None
    asked_of: str  # the target's name, or the office type
    created_by: Person


@dataclass(frozen=True, slots=True)
class PlanView:
    """A recurring action, with the names of its targets and who pledged to what."""

    id: str
    campaign_id: str
    body: Plan
    target_names: tuple[str, ...]  # empty: every target
    demand_title: str | None
    created_by: Person


@dataclass(frozen=True, slots=True)
class CampaignView:
    """One campaign with its demands, targets and plans."""

    id: str
    circle_id: str
    circle_name: str
    body: Campaign
    standing: Standing
    created_by: Person
    created_at: str
    updated_at: str
    demands: tuple[DemandView, ...]
    targets: tuple[TargetView, ...]
    plans: tuple[PlanView, ...]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One contact or response on a target's pressure timeline."""

    id: str
    object: str  # action, status, commitment or answer
    date: dt.date
    at: str  # when the circle order placed it
    by: Person
    demand_id: str | None
    demand_title: str | None
    body: Action | StatusChange | Commitment | Answer


@dataclass(frozen=True, slots=True)
class TargetDetail:
    """A target with every action, status, commitment and answer, newest first."""

    target: TargetView
    campaign_name: str
    pressure: Pressure
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class CommitmentView:
    """A commitment to track: one recorded about the target, or (``from_pledge``) the
    pledged answer of a candidate who won, not recorded as a commitment yet (``id``
    None; recording one about its demand takes its place)."""

    id: str | None
    target_id: str
    demand_id: str | None
    demand_title: str | None
    what: str
    made: dt.date
    due: dt.date | None
    kept: str  # open, kept or broken
    from_pledge: bool


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A target as a row or a name in a list."""

    id: str
    name: str
    office_type: str


@dataclass(frozen=True, slots=True)
class DemandRef:
    """A demand as a column."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One target's row: its pressure, and one cell per demand column (None where the
    demand is not asked of it)."""

    target: TargetRef
    pressure: Pressure
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True, slots=True)
class ScoreboardView:
    """Demands × targets of a campaign, on ``today``."""

    campaign_id: str
    campaign_name: str
    today: dt.date
    pressure_days: int
    demands: tuple[DemandRef, ...]
    rows: tuple[ScoreRow, ...]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One day of a recurring action in the week ahead, with who pledged."""

    campaign_id: str
    campaign_name: str
    plan_id: str
    title: str
    channel: str
    date: dt.date
    script: str
    targets: tuple[TargetRef, ...]
    demand_title: str | None
    pledged: bool  # the member asked about pledged to it
    pledges: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do): the plan, and the ids of the
    target envelopes it recorded (none in a dry run or when there are problems)."""

    plan: ImportPlan
    dry_run: bool
    recorded: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.plan.problems
