"""The rules of a campaign object at its position of the circle order (PROTOCOL.md
§8.13): ``check`` passes, or raises ``CampaignRefusal`` with the first rule broken, in
the order the protocol lists them. Adoption is not a condition here (§13.11).
"""

from __future__ import annotations

from node.domain.campaigns.records import (
    CampaignState,
    DemandRecord,
    PlanRecord,
    TargetRecord,
    object_type,
)
from node.domain.errors import DomainError
from protocol.campaigns import (
    Action,
    Answer,
    Article,
    Campaign,
    CampaignBody,
    Commitment,
    Demand,
    Plan,
    Pledge,
    StatusChange,
)
from protocol.errors import ErrorCode


class CampaignRefusal(DomainError):
    """A campaign object refused at its position; ``code`` is a ``campaign.*`` code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code, message)


def named_ids(body: CampaignBody) -> frozenset[str]:
    """The ids ``check`` looks up in the state: what the store must load for ``body``."""
    ids = {body.ref} if body.ref is not None else set()
    if not isinstance(body, Campaign | Article):
        ids.add(body.campaign)
    for name in ("target", "demand", "plan"):
        value = getattr(body, name, None)
        if isinstance(value, str):
            ids.add(value)
    if isinstance(body, Plan):
        ids.update(body.targets)
    return frozenset(ids)


def check(state: CampaignState, body: CampaignBody, actor_is_member: bool) -> None:
    """Raise CampaignRefusal if ``body`` may not take effect in ``state``.

    ``actor_is_member``: the envelope's actor is an active person member of the circle
    at this position (the caller knows the circle's membership; this module does not).
    """
    if not actor_is_member:
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_NOT_MEMBER, "only an active member of the circle may do this"
        )
    kind = object_type(body)
    if isinstance(body, Campaign):
        if body.ref is not None and not state.live(body.ref, "campaign"):
            raise CampaignRefusal(ErrorCode.CAMPAIGN_BAD_REF, "ref names no campaign here")
        return
    if isinstance(body, Article):
        if body.ref is not None and not state.live(body.ref, "article"):
            raise CampaignRefusal(ErrorCode.CAMPAIGN_BAD_REF, "ref names no article here")
        return
    campaign = body.campaign
    if not state.live(campaign, "campaign"):
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_UNKNOWN_CAMPAIGN, f"no campaign {campaign} in this circle"
        )
    if body.ref is not None and not state.live(body.ref, kind, campaign):
        raise CampaignRefusal(ErrorCode.CAMPAIGN_BAD_REF, f"ref names no {kind} of this campaign")
    if isinstance(body, Demand):
        if body.target is not None:
            _target(state, body.target, campaign)
    elif isinstance(body, StatusChange):
        target = _target(state, body.target, campaign)
        _asked_of(_demand(state, body.demand, campaign), target)
    elif isinstance(body, Commitment | Action):
        _target(state, body.target, campaign)
        if body.demand is not None:
            _demand(state, body.demand, campaign)
        if isinstance(body, Action) and body.plan is not None:
            _plan(state, body.plan, campaign)
    elif isinstance(body, Plan):
        for target_id in body.targets:
            _target(state, target_id, campaign)
        if body.demand is not None:
            _demand(state, body.demand, campaign)
    elif isinstance(body, Pledge):
        _plan(state, body.plan, campaign)
    elif isinstance(body, Answer):
        target = _target(state, body.target, campaign)
        _asked_of(_demand(state, body.demand, campaign), target)
        if not target.candidate:
            raise CampaignRefusal(
                ErrorCode.CAMPAIGN_NOT_CANDIDATE, "this target stands in no election"
            )


def _target(state: CampaignState, target_id: str, campaign: str) -> TargetRecord:
    found = state.target(target_id, campaign)
    if found is None:
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_UNKNOWN_TARGET, f"{target_id} is not a target of this campaign"
        )
    return found


def _demand(state: CampaignState, demand_id: str, campaign: str) -> DemandRecord:
    found = state.demand(demand_id, campaign)
    if found is None:
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_UNKNOWN_DEMAND, f"{demand_id} is not a demand of this campaign"
        )
    return found


def _plan(state: CampaignState, plan_id: str, campaign: str) -> PlanRecord:
    found = state.plan(plan_id, campaign)
    if found is None:
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_UNKNOWN_PLAN, f"{plan_id} is not a plan of this campaign"
        )
    return found


def _asked_of(demand: DemandRecord, target: TargetRecord) -> None:
    if not demand.asked_of(target):
        asked = demand.office_type or "another target"
        raise CampaignRefusal(
            ErrorCode.CAMPAIGN_NOT_ASKED_OF, f"this demand is asked of {asked}, not this target"
        )
