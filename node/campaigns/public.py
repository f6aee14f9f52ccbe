"""What the public site shows of a public campaign: its adopted demands and officials,
where each demand stands with each official (with dates), and the public parts of each
official's pressure timeline: contacts counted per channel, statuses, commitments. Never
who logged an action, and nothing still a draft.

A campaign is public when its circle adopted a version with ``public: true`` (PROTOCOL.md
§13.11): every member node shows it, unless the node's admins hide it from their own site
(``public_campaign_optouts``, migration 0022).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from node.campaigns.adopted import AdoptedVersion, adopted_versions
from node.campaigns.board import CampaignBoard
from node.campaigns.reads import CampaignReads
from node.domain.errors import DomainError
from node.store import public_site
from protocol import ErrorCode, format_ts
from protocol.campaigns import Action, Campaign, Commitment, StatusChange

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class PublicDemand:
    id: str
    title: str
    text: str
    reasoning: str
    asked_of: str


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """Where one demand stands with one official, since when."""

    demand: str  # the demand's title
    status: str
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """One dated entry of an official's public timeline: a status or a commitment
    (``id``: its envelope's id)."""

    id: str
    date: dt.date
    kind: str  # status or commitment
    target: str  # the official's name
    demand: str | None
    status: str  # the status reached, or the commitment's state
    text: str  # a commitment's words, or a status's evidence link (may be empty)


@dataclass(frozen=True, slots=True)
class PublicTarget:
    id: str
    name: str
    title: str
    jurisdiction: str
    standing: tuple[PublicStatus, ...]
    contacts: tuple[tuple[str, int], ...]  # (channel, how many), most first
    last_contact: dt.date | None
    events: tuple[PublicEvent, ...]  # newest first


@dataclass(frozen=True, slots=True)
class PublicCampaign:
    id: str
    name: str
    goal: str
    description: str
    status: str
    made_public_at: str
    updated_at: str
    demands: tuple[PublicDemand, ...]
    targets: tuple[PublicTarget, ...]

    @property
    def events(self) -> list[PublicEvent]:
        """Every official's statuses and commitments, newest first: the campaign's updates."""
        found = [e for t in self.targets for e in t.events]
        return sorted(found, key=lambda e: e.date, reverse=True)


class PublicCampaigns:
    """Which campaigns strangers see, and what they see of them."""

    def __init__(self, node: NodeCore, reads: CampaignReads, board: CampaignBoard) -> None:
        self.node = node
        self.reads = reads
        self.board = board

    async def decided_public(self, campaign_id: str | None = None) -> list[AdoptedVersion]:
        """The campaigns (or the one) whose circle adopted a version with ``public``
        true, hidden here or not: each one's adopted version and its decision."""
        found = await adopted_versions(self.node, "campaign", campaign_id)
        return [a for a in found if a.body.get("public") is True]

    async def hidden_ids(self) -> set[str]:
        """The campaigns this node's admins hide from its public site."""
        return {r[0] for r in await self.node.store.fetchall(public_site.HIDDEN_CAMPAIGNS)}

    async def public_ids(self) -> dict[str, str]:
        """The campaigns this node shows strangers, with when the decision that made
        each public was taken."""
        hidden = await self.hidden_ids()
        return {
            a.object_id: a.decided_at
            for a in await self.decided_public()
            if a.object_id not in hidden
        }

    async def set_hidden(self, campaign_id: str, hidden: bool, by: str) -> None:
        """Hide a public campaign from this node's public site, or show it again: the
        organization's own choice; what is public is the circle's decision."""
        if await self.reads.campaign(campaign_id) is None:
            raise DomainError(ErrorCode.CAMPAIGN_UNKNOWN_CAMPAIGN, f"no campaign {campaign_id}")
        now = format_ts(self.node.clock.now())
        await self.node.store.write(
            lambda conn: public_site.set_hidden(conn, campaign_id, hidden, by, now)
        )

    async def public_campaigns(self, today: dt.date | None = None) -> list[PublicCampaign]:
        """Every public campaign, by name."""
        out = []
        for campaign_id in await self.public_ids():
            found = await self.public_campaign(campaign_id, today)
            if found is not None:
                out.append(found)
        return sorted(out, key=lambda c: (c.name, c.id))

    async def public_campaign(
        self, campaign_id: str, today: dt.date | None = None
    ) -> PublicCampaign | None:
        """A public campaign as strangers see it; None if it is not public (or gone)."""
        decided = await self.decided_public(campaign_id)
        if not decided or campaign_id in await self.hidden_ids():
            return None
        view = await self.reads.campaign(campaign_id)
        if view is None:
            return None
        made_public = decided[0].decided_at
        # Strangers read the words the circle adopted, never a later draft.
        adopted = msgspec.convert(decided[0].body, Campaign)
        today = today or self.node.clock.now().date()
        demands = []
        for d in view.demands:
            if d.standing.adopted is None:
                continue  # a draft: not the coalition's word yet
            body = d.adopted_body if d.standing.proposed_change and d.adopted_body else d.body
            demands.append(PublicDemand(d.id, body.title, body.text, body.reasoning, d.asked_of))
        titles = {d.id: d.title for d in demands}
        board = await self.board.scoreboard(campaign_id, today)
        cells = {} if board is None else {r.target.id: r.cells for r in board.rows}
        columns = () if board is None else board.demands
        targets = []
        for t in view.targets:
            if t.standing.adopted is None:
                continue
            standing = tuple(
                PublicStatus(titles[col.id], cell.status, cell.date)
                for col, cell in zip(columns, cells.get(t.id, ()), strict=False)
                if cell is not None and col.id in titles
            )
            detail = await self.reads.target(campaign_id, t.id, today)
            channels: Counter[str] = Counter()
            events: list[PublicEvent] = []
            last = None
            for entry in () if detail is None else detail.timeline:
                item = entry.body
                title = titles.get(entry.demand_id or "")
                if isinstance(item, Action):
                    channels[item.channel] += 1
                    last = max(last or item.date, item.date)
                elif isinstance(item, StatusChange) and title is not None:
                    link = item.evidence.url or ""
                    events.append(
                        PublicEvent(
                            entry.id, item.date, "status", t.body.name, title, item.status, link
                        )
                    )
                elif isinstance(item, Commitment):
                    events.append(
                        PublicEvent(
                            entry.id,
                            item.made,
                            "commitment",
                            t.body.name,
                            title,
                            item.kept,
                            item.what,
                        )
                    )
            targets.append(
                PublicTarget(
                    t.id,
                    t.body.name,
                    t.body.title,
                    t.body.jurisdiction,
                    standing,
                    tuple(channels.most_common()),
                    last,
                    tuple(events),
                )
            )
        return PublicCampaign(
            view.id,
            adopted.name,
            adopted.goal,
            adopted.description,
            adopted.status,
            made_public,
            view.updated_at,
            tuple(demands),
            tuple(targets),
        )


__all__ = ["PublicCampaign", "PublicCampaigns", "PublicDemand", "PublicEvent", "PublicTarget"]
