"""The scoreboard of a campaign: demands × targets, read in a few indexed queries of the
projection tables and worked out by ``node.domain.campaigns.scoreboard``. The campaign
page reads it on every view, so each query stays on the calling thread."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from node.campaigns.reads import LIVE
from node.campaigns.records import DemandRef, ScoreboardView, ScoreRow, TargetRef
from node.domain.campaigns.records import DemandRecord, TargetRecord
from node.domain.campaigns.scoreboard import ActionRow, AnswerRow, StatusRow, scoreboard

if TYPE_CHECKING:
    from node.core import NodeCore

_date = dt.date.fromisoformat


class CampaignBoard:
    """``node.campaigns.scoreboard``."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def scoreboard(self, campaign_id: str, today: dt.date) -> ScoreboardView | None:
        """Rows of targets (by name), columns of demands (as created): each cell the
        current status, its date and the days waiting since asked; per target the days
        since the last contact and whether that is too long."""
        campaign = await self.node.store.fetchone(
            "SELECT name, pressure_days FROM campaigns WHERE id = ?", (campaign_id,)
        )
        if campaign is None:
            return None
        store = self.node.store
        live = LIVE.format(t="t")
        targets = [
            (TargetRecord(oid, campaign_id, office, bool(cand)), name)
            for oid, office, cand, name in await store.fetchall(
                "SELECT id, office_type, candidate, name FROM campaign_targets t"  # noqa: S608
                f" WHERE campaign_id = ? AND {live} ORDER BY name, id",
                (campaign_id,),
            )
        ]
        demands = [
            (DemandRecord(oid, campaign_id, target, office), title)
            for oid, target, office, title in await store.fetchall(
                "SELECT id, target, office_type, title FROM campaign_demands t"  # noqa: S608
                f" WHERE campaign_id = ? AND {live} ORDER BY created_pos, id",
                (campaign_id,),
            )
        ]
        # On the calling thread like the reads around it: one indexed range of a few
        # hundred rows costs less than the hop to the reader thread and back. A join
        # checks that each is live faster than EXISTS does; few dates repeat many times.
        days: dict[str, dt.date] = {}
        statuses = [
            StatusRow(d, t, s, days.get(day) or days.setdefault(day, _date(day)), pos)
            for d, t, s, day, pos in await store.fetchall(
                "SELECT t.demand, t.target, t.status, t.date, t.pos FROM campaign_statuses t"
                " JOIN envelopes e ON e.id = t.id WHERE t.campaign_id = ? AND e.body IS NOT NULL",
                (campaign_id,),
            )
        ]
        # Each target's latest live action, read backwards along the index from its
        # latest date: a few rows a target, where max() over every action reads them all.
        actions = [
            ActionRow(t, dt.date.fromisoformat(day))
            for t, day in await store.fetchall(
                "SELECT t.id, (SELECT a.date FROM campaign_actions a"  # noqa: S608
                " WHERE a.campaign_id = t.campaign_id AND a.target = t.id AND "
                + LIVE.format(t="a")
                + f" ORDER BY a.date DESC LIMIT 1) FROM campaign_targets t"
                f" WHERE t.campaign_id = ? AND {live}",
                (campaign_id,),
            )
            if day is not None
        ]
        answers = [
            AnswerRow(d, t, a, pos)
            for d, t, a, pos in await store.fetchall(
                "SELECT demand, target, answer, pos FROM campaign_answers t"  # noqa: S608
                f" WHERE campaign_id = ? AND {live}",
                (campaign_id,),
            )
        ]
        board = scoreboard(
            [t for t, _ in targets],
            [d for d, _ in demands],
            statuses,
            actions,
            today,
            int(campaign[1]),
            answers,
        )
        rows = tuple(
            ScoreRow(TargetRef(t.id, name, t.office_type), board.pressure[t.id], board.row(t.id))
            for t, name in targets
        )
        columns = tuple(DemandRef(d.id, title) for d, title in demands)
        return ScoreboardView(campaign_id, str(campaign[0]), today, int(campaign[1]), columns, rows)
