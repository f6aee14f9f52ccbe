"""What the OSDI API serves: the campaigns a decision of their circle adopted, each with
its adopted officials and the scripts of its adopted demands, and the actions members
logged against those officials, as outreaches: when, by which channel, whom; never who.

A campaign, target or demand whose latest version waits for a decision is served as its
adopted version; one never adopted is a draft and is not served at all (PROTOCOL.md
§13.11). Built on ``node.campaigns``' reads, but for the paged count and page of a
campaign's actions, which are too many to read whole for every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from node.osdi.records import AdvocacyCampaign, Office, Official, Outreach
from protocol.campaigns import Campaign, Demand, Target

if TYPE_CHECKING:
    from node.campaigns.records import CampaignView, Standing
    from node.service import Node

B = TypeVar("B", Campaign, Target, Demand)
# An action is left out once its first envelope was retracted (node.campaigns.reads).
_LIVE = "EXISTS (SELECT 1 FROM envelopes e WHERE e.id = a.id AND e.body IS NOT NULL)"


def official(body: Target) -> Official:
    return Official(
        name=body.name,
        given_name=body.given_name,
        family_name=body.family_name,
        office_type=body.office_type,
        title=body.title,
        jurisdiction=body.jurisdiction,
        ocdid=body.ocd_division,
        email=body.email,
        offices=tuple(Office(o.classification, o.address, o.voice) for o in body.offices),
    )


class OsdiReads:
    def __init__(self, node: Node) -> None:
        self.node = node

    async def _adopted(self, standing: Standing, current: B) -> B | None:
        """The version of an object the circle adopted: None for a draft."""
        if standing.adopted is None:
            return None
        if not standing.proposed_change:
            return current
        held = await self.node.store.get_envelope(standing.adopted)
        if held is None or held.body is None:
            return None
        return msgspec.convert(held.body, type(current))

    async def _officials(self, view: CampaignView) -> dict[str, Official]:
        found = {}
        for t in view.targets:
            body = await self._adopted(t.standing, t.body)
            if body is not None:
                found[t.id] = official(body)
        return found

    async def _count(self, campaign_id: str, targets: list[str]) -> int:
        marks = ", ".join("?" * len(targets))
        row = await self.node.store.fetchone(
            f"SELECT count(*) FROM campaign_actions a WHERE a.campaign_id = ?"  # noqa: S608
            f" AND a.target IN ({marks}) AND {_LIVE}",
            (campaign_id, *targets),
        )
        return int(row[0])

    async def _served(self, campaign_id: str) -> tuple[CampaignView, Campaign] | None:
        view = await self.node.campaigns.campaign(campaign_id)
        if view is None:
            return None
        body = await self._adopted(view.standing, view.body)
        return None if body is None else (view, body)

    async def campaign(self, campaign_id: str) -> AdvocacyCampaign | None:
        """An adopted campaign (None: none such, or a draft)."""
        served = await self._served(campaign_id)
        if served is None:
            return None
        view, body = served
        officials = await self._officials(view)
        scripts = []
        for d in view.demands:
            demand = await self._adopted(d.standing, d.body)
            if demand is not None and demand.script:
                scripts.append(demand.script)
        return AdvocacyCampaign(
            id=view.id,
            name=body.name,
            goal=body.goal,
            description=body.description,
            created=view.created_at,
            modified=view.updated_at,
            officials=tuple(officials.values()),
            total_outreaches=await self._count(view.id, list(officials)),
            scripts=tuple(scripts),
        )

    async def campaigns(self, offset: int, limit: int) -> tuple[int, list[AdvocacyCampaign]]:
        """(how many, one page of) the adopted campaigns of every circle on the node."""
        adopted = [c.id for c in await self.node.campaigns.campaigns() if c.standing.adopted]
        page = []
        for campaign_id in adopted[offset : offset + limit]:
            found = await self.campaign(campaign_id)
            if found is not None:
                page.append(found)
        return len(adopted), page

    def _outreach(self, row: Any, officials: dict[str, Official]) -> Outreach:
        action_id, campaign_id, target, channel, date, created, modified = row
        return Outreach(action_id, campaign_id, created, modified, date, channel, officials[target])

    async def outreaches(
        self, campaign_id: str, offset: int, limit: int
    ) -> tuple[int, list[Outreach]] | None:
        """(how many, one page of) the actions logged in an adopted campaign against its
        adopted officials, newest first (None: no such adopted campaign)."""
        served = await self._served(campaign_id)
        if served is None:
            return None
        officials = await self._officials(served[0])
        targets = list(officials)
        marks = ", ".join("?" * len(targets))
        rows = await self.node.store.fetchall(
            "SELECT a.id, a.campaign_id, a.target, a.channel, a.date, a.created_at, a.at"  # noqa: S608
            f" FROM campaign_actions a WHERE a.campaign_id = ? AND a.target IN ({marks})"
            f" AND {_LIVE} ORDER BY a.date DESC, a.pos DESC LIMIT ? OFFSET ?",
            (campaign_id, *targets, limit, offset),
        )
        total = await self._count(campaign_id, targets)
        return total, [self._outreach(r, officials) for r in rows]

    async def outreach(self, action_id: str) -> Outreach | None:
        """One action of an adopted campaign against an adopted official, as an outreach."""
        row = await self.node.store.fetchone(
            "SELECT a.id, a.campaign_id, a.target, a.channel, a.date, a.created_at, a.at"  # noqa: S608
            f" FROM campaign_actions a WHERE a.id = ? AND {_LIVE}",
            (action_id,),
        )
        if row is None:
            return None
        served = await self._served(row[1])
        officials = {} if served is None else await self._officials(served[0])
        return self._outreach(row, officials) if row[2] in officials else None
