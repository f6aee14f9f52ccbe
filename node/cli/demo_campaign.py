"""The ``nst demo`` campaign: the coalition's general circle drafts a campaign with nine
demands of Riverton's mayor and Hollis County's district attorney and adopts it, public,
by a decision; then members of all three organizations, each on their own node, record where
the demands stand, a week of actions, the candidates' answers, a commitment, and a call
day every Tuesday with its pledges. Its text is ``node.cli.demo_campaign_content``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.cli.demo_campaign_content import (
    ACTIONS,
    ANSWERS,
    CALL_DAY,
    CAMPAIGN,
    DEMANDS,
    STATUSES,
    targets,
)

if TYPE_CHECKING:
    from node.service import Node

Settle = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Voice:
    """A member of the circle, on their own organization's node."""

    node: Node
    handle: str


@dataclass(frozen=True)
class Told:
    """What the campaign story made: the campaign's id and its objects' ids by key."""

    campaign: str
    targets: dict[str, str]
    demands: dict[str, str]
    plan: str
    decision: str


async def tell(
    circle_id: str,
    facilitator: Voice,
    voices: Sequence[Voice],
    settle: Settle,
    today: dt.date,
) -> Told:
    """The campaign in ``circle_id``, homed on the facilitator's node: drafted there,
    adopted by a decision every voice consents to, then worked on by every voice."""
    home = facilitator.node.campaigns
    author = facilitator.handle
    campaign = await home.create_campaign(circle_id, author, **CAMPAIGN)
    target_ids = {
        key: await home.put_target(campaign, author, fields)
        for key, fields in targets(today).items()
    }
    demand_ids = {
        d.key: await home.put_demand(
            campaign,
            author,
            title=d.title,
            text=d.text,
            reasoning=d.reasoning,
            script=d.script,
            office_type=d.office_type,
        )
        for d in DEMANDS
    }
    await settle()
    decision = await adopt(
        circle_id,
        facilitator,
        voices,
        settle,
        [campaign, *target_ids.values(), *demand_ids.values()],
        "Adopt the campaign for accountable policing",
        "The coalition adopts the campaign 'Accountable policing in Riverton': its nine"
        " demands of the mayor and the district attorney, and the officials it names; every"
        " organization shows it on its public site.",
    )
    told = Told(campaign, target_ids, demand_ids, "", decision)
    await _statuses(told, voices, today)
    await _answers(told, voices)
    await settle()
    plan = await _call_day(told, voices, settle, today)
    told = Told(campaign, target_ids, demand_ids, plan, decision)
    await _actions(told, voices, today)
    await settle()
    return told


async def adopt(
    circle_id: str,
    facilitator: Voice,
    voices: Sequence[Voice],
    settle: Settle,
    adopts: list[str],
    title: str,
    text: str,
) -> str:
    """A proposal adopting the versions ``adopts`` (a campaign's, an article's), taken
    through the consent process to a decision every voice consents to."""
    gov = facilitator.node.gov
    who = facilitator.handle
    root = await gov.propose(circle_id, who, title, text, adopts=adopts)
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(root, who, phase)
    await settle()
    for voice in voices:
        await voice.node.gov.stance(root, voice.handle, "consent")
    await settle()
    decision = await gov.decide(root, who)
    await settle()
    return decision


def _ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


async def _statuses(told: Told, voices: Sequence[Voice], today: dt.date) -> None:
    """Statuses in every state but one, each recorded by the next voice in turn."""
    n = 0
    for target, demand, history in STATUSES:
        for status, days, url, quote in history:
            voice = voices[n % len(voices)]
            n += 1
            await voice.node.campaigns.record_status(
                told.campaign,
                voice.handle,
                demand=told.demands[demand],
                target=told.targets[target],
                status=status,
                date=_ago(today, days),
                evidence_url=url,
                quote=quote,
                note="" if url or quote else "Recorded after the call.",
            )
    voice = voices[0]
    made = _ago(today, 9)
    await voice.node.campaigns.record_commitment(
        told.campaign,
        voice.handle,
        target=told.targets["mayor"],
        demand=told.demands["cameras"],
        what="Body cameras for every patrol officer in next year's budget",
        made=made,
        due=made + dt.timedelta(days=120),
    )


async def _answers(told: Told, voices: Sequence[Voice]) -> None:
    """The candidates' questionnaires, recorded by the last voice (the youth network)."""
    voice = voices[-1]
    for target, demand, answer, quote in ANSWERS:
        await voice.node.campaigns.record_answer(
            told.campaign,
            voice.handle,
            target=told.targets[target],
            demand=told.demands[demand],
            answer=answer,
            quote=quote,
            note="" if quote else "From the coalition's questionnaire.",
        )


def _tuesday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


async def _call_day(told: Told, voices: Sequence[Voice], settle: Settle, today: dt.date) -> str:
    """A call day every Tuesday for the mayor and the district attorney; half the
    voices pledged to last Tuesday's, the others to the next one."""
    first = voices[0]
    plan = await first.node.campaigns.put_plan(
        told.campaign,
        first.handle,
        targets=[told.targets["mayor"], told.targets["da"]],
        demand=told.demands["chokehold"],
        starts=_ago(today, 28),
        **CALL_DAY,
    )
    await settle()
    upcoming = _tuesday_on_or_after(today)
    last = upcoming - dt.timedelta(days=7)
    for i, voice in enumerate(voices):
        await voice.node.campaigns.pledge(
            told.campaign, voice.handle, plan=plan, date=last if i % 2 else upcoming
        )
    return plan


async def _actions(told: Told, voices: Sequence[Voice], today: dt.date) -> None:
    """A week of actions, taken in turn by the voices of every organization; those on
    last Tuesday's call day name the plan."""
    tuesday = _tuesday_on_or_after(today) - dt.timedelta(days=7)
    for n, (days, target, demand, channel, outcome) in enumerate(ACTIONS):
        voice = voices[n % len(voices)]
        day = _ago(today, days)
        await voice.node.campaigns.log_action(
            told.campaign,
            voice.handle,
            target=told.targets[target],
            demand=told.demands[demand],
            channel=channel,
            date=day,
            outcome=outcome,
            plan=told.plan if day == tuesday and channel == "call" else None,
        )
