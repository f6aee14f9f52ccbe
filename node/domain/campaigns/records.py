"""The state a campaign's rules read: the circle's campaign objects by identity (the id
of an object's first envelope), with what the rules need of the current version of each
target, demand and plan.

The store builds a ``CampaignState`` from its projection tables (only the objects a body
names are needed: ``rules.named_ids``); tests and replays build one by folding accepted
bodies with ``CampaignState.with_body``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from protocol.campaigns import Article, Campaign, CampaignBody, Demand, Plan, Target


def object_type(body: CampaignBody) -> str:
    """The body's ``object``: ``campaign``, ``target``, ``demand``, ``status`` …"""
    tag = type(body).__struct_config__.tag
    assert isinstance(tag, str)  # every campaign object is tagged with a string
    return tag


def identity(envelope_id: str, body: CampaignBody) -> str:
    """The object's identity: its first envelope's id (``ref`` in an update)."""
    return body.ref if body.ref is not None else envelope_id


def campaign_of(envelope_id: str, body: CampaignBody) -> str:
    """The campaign an object belongs to (a campaign, and an article, which belongs to
    no campaign, to itself)."""
    if isinstance(body, Campaign | Article):
        return identity(envelope_id, body)
    return body.campaign


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One object of the circle's campaigns: its type, its campaign, whether it is gone."""

    id: str
    object: str
    campaign: str
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """A target's current version, as far as the rules read it."""

    id: str
    campaign: str
    office_type: str
    candidate: bool = False


@dataclass(frozen=True, slots=True)
class DemandRecord:
    """A demand's current version: asked of one target, or of an office type."""

    id: str
    campaign: str
    target: str | None = None
    office_type: str | None = None

    def asked_of(self, target: TargetRecord) -> bool:
        """Whether this demand is asked of ``target`` (by id, or by its office type)."""
        if self.target is not None:
            return self.target == target.id
        return self.office_type == target.office_type


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A recurring action's current version."""

    id: str
    campaign: str
    weekday: int
    starts: dt.date
    ends: dt.date | None = None
    targets: tuple[str, ...] = ()
    demand: str | None = None

    def occurs_on(self, day: dt.date) -> bool:
        """Whether the plan has an occurrence on ``day``."""
        in_range = self.starts <= day and (self.ends is None or day <= self.ends)
        return in_range and day.weekday() == self.weekday

    def covers(self, target: str) -> bool:
        """Whether the plan is aimed at ``target`` (no targets named: every target)."""
        return not self.targets or target in self.targets


def target_record(envelope_id: str, body: Target) -> TargetRecord:
    return TargetRecord(
        id=identity(envelope_id, body),
        campaign=body.campaign,
        office_type=body.office_type,
        candidate=body.candidacy is not None,
    )


def demand_record(envelope_id: str, body: Demand) -> DemandRecord:
    return DemandRecord(
        id=identity(envelope_id, body),
        campaign=body.campaign,
        target=body.target,
        office_type=body.office_type,
    )


def plan_record(envelope_id: str, body: Plan) -> PlanRecord:
    return PlanRecord(
        id=identity(envelope_id, body),
        campaign=body.campaign,
        weekday=body.weekday,
        starts=body.starts,
        ends=body.ends,
        targets=tuple(body.targets),
        demand=body.demand,
    )


@dataclass(frozen=True, slots=True)
class CampaignState:
    """The circle's campaign objects as the positions before the one judged left them."""

    objects: Mapping[str, ObjectRecord] = field(default_factory=dict)
    targets: Mapping[str, TargetRecord] = field(default_factory=dict)
    demands: Mapping[str, DemandRecord] = field(default_factory=dict)
    plans: Mapping[str, PlanRecord] = field(default_factory=dict)

    def live(self, object_id: str, kind: str, campaign: str | None = None) -> bool:
        """Whether ``object_id`` is an object of type ``kind`` (of ``campaign``, when
        given) that was not retracted."""
        found = self.objects.get(object_id)
        return (
            found is not None
            and not found.retracted
            and found.object == kind
            and (campaign is None or found.campaign == campaign)
        )

    def target(self, target_id: str, campaign: str) -> TargetRecord | None:
        """The live target ``target_id`` of ``campaign``, or None."""
        if not self.live(target_id, "target", campaign):
            return None
        return self.targets.get(target_id)

    def demand(self, demand_id: str, campaign: str) -> DemandRecord | None:
        """The live demand ``demand_id`` of ``campaign``, or None."""
        if not self.live(demand_id, "demand", campaign):
            return None
        return self.demands.get(demand_id)

    def plan(self, plan_id: str, campaign: str) -> PlanRecord | None:
        """The live plan ``plan_id`` of ``campaign``, or None."""
        if not self.live(plan_id, "plan", campaign):
            return None
        return self.plans.get(plan_id)

    def with_body(self, envelope_id: str, body: CampaignBody) -> CampaignState:
        """The state after an accepted body: a new object, or a new current version."""
        oid = identity(envelope_id, body)
        objects = dict(self.objects)
        if oid not in objects:
            objects[oid] = ObjectRecord(oid, object_type(body), campaign_of(envelope_id, body))
        state = replace(self, objects=objects)
        if isinstance(body, Target):
            state = replace(state, targets={**self.targets, oid: target_record(envelope_id, body)})
        elif isinstance(body, Demand):
            state = replace(state, demands={**self.demands, oid: demand_record(envelope_id, body)})
        elif isinstance(body, Plan):
            state = replace(state, plans={**self.plans, oid: plan_record(envelope_id, body)})
        return state

    def retracted(self, object_id: str) -> CampaignState:
        """The state after the object's first envelope was retracted."""
        found = self.objects.get(object_id)
        if found is None:
            return self
        return replace(self, objects={**self.objects, object_id: replace(found, retracted=True)})
