"""The commitments of a campaign's target to track: those recorded about it, and, once
it has won its election, its pledged answers that no recorded commitment speaks for yet
(``node.domain.campaigns.pledges``), shown as open commitments made on election day.

A read rather than envelopes the service would write when the result is recorded: the
result reaches a node by a form, an import or a peer's envelope alike, and a derived
list is the same on every node whichever way it came, follows a corrected result, and
signs nothing in a member's name that the member did not write.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from node.campaigns.records import CommitmentView
from node.domain.campaigns.pledges import pledged_commitments
from node.domain.campaigns.scoreboard import AnswerRow
from protocol.campaigns import Commitment, Demand, Target

if TYPE_CHECKING:
    from node.core import NodeCore


class CampaignCommitments:
    """``node.campaigns.commitments``."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def commitments(self, campaign_id: str, target_id: str) -> list[CommitmentView]:
        """The target's commitments: recorded ones by the day they were made, then the
        pledges of a winner not recorded yet, in the order they were answered."""
        store = self.node.store
        row = await store.fetchone(
            "SELECT body FROM campaign_targets t WHERE id = ? AND campaign_id = ? AND"
            " EXISTS (SELECT 1 FROM envelopes e WHERE e.id = t.id AND e.body IS NOT NULL)",
            (target_id, campaign_id),
        )
        if row is None:
            return []
        target = msgspec.json.decode(row[0], type=Target)
        titles: dict[str, Demand] = {
            oid: msgspec.json.decode(raw, type=Demand)
            for oid, raw in await store.fetchall(
                "SELECT id, body FROM campaign_demands t WHERE campaign_id = ? AND"
                " EXISTS (SELECT 1 FROM envelopes e WHERE e.id = t.id AND e.body IS NOT NULL)",
                (campaign_id,),
            )
        }
        recorded = []
        for oid, raw in await store.fetchall(
            "SELECT id, body FROM campaign_commitments t WHERE campaign_id = ? AND target = ?"
            " AND EXISTS (SELECT 1 FROM envelopes e WHERE e.id = t.id AND e.body IS NOT NULL)"
            " ORDER BY pos",
            (campaign_id, target_id),
        ):
            body = msgspec.json.decode(raw, type=Commitment)
            demand = titles.get(body.demand or "")
            recorded.append(
                CommitmentView(
                    oid,
                    target_id,
                    body.demand,
                    None if demand is None else demand.title,
                    body.what,
                    body.made,
                    body.due,
                    body.kept,
                    from_pledge=False,
                )
            )
        recorded.sort(key=lambda c: c.made)
        answers = [
            AnswerRow(demand, target_id, answer, pos)
            for demand, answer, pos in await store.fetchall(
                "SELECT demand, answer, pos FROM campaign_answers t WHERE campaign_id = ?"
                " AND target = ? AND"
                " EXISTS (SELECT 1 FROM envelopes e WHERE e.id = t.id AND e.body IS NOT NULL)",
                (campaign_id, target_id),
            )
        ]
        pledged = pledged_commitments(
            target_id, target.candidacy, answers, (c.demand_id for c in recorded)
        )
        return recorded + [_from_pledge(p.demand, target_id, p.made, titles) for p in pledged]


def _from_pledge(
    demand_id: str, target_id: str, made: dt.date, demands: dict[str, Demand]
) -> CommitmentView:
    demand = demands.get(demand_id)
    title = None if demand is None else demand.title
    what = "" if demand is None else demand.text
    return CommitmentView(
        None, target_id, demand_id, title, what, made, None, "open", from_pledge=True
    )
