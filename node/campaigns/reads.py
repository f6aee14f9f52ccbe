"""The reads of campaigns: lists, one campaign with its standing, a target's pressure
timeline, the week ahead of a member and the CSV export (the scoreboard is in ``board``).
Each is a few indexed queries of the projection tables ``node.store.campaigns`` fills;
objects whose first envelope was retracted are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from node.campaigns.imports_csv import export_csv
from node.campaigns.records import (
    CampaignSummary,
    CampaignView,
    DemandView,
    Occurrence,
    Person,
    PlanView,
    Standing,
    TargetDetail,
    TargetRef,
    TargetView,
    TimelineEntry,
)
from node.domain.campaigns.adoption import VersionRow, adoptions
from node.domain.campaigns.records import PlanRecord, TargetRecord
from node.domain.campaigns.scoreboard import ActionRow, pressure
from node.domain.errors import DomainError
from protocol import ErrorCode
from protocol.campaigns import (
    Action,
    Answer,
    Campaign,
    CampaignBody,
    Commitment,
    Demand,
    Plan,
    StatusChange,
    Target,
)
from protocol.ids import NODE_PREFIX

if TYPE_CHECKING:
    from node.core import NodeCore

B = TypeVar("B")
_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(CampaignBody)
# Whether the row's object is live: its first envelope still has its body (not retracted).
LIVE = "EXISTS (SELECT 1 FROM envelopes e WHERE e.id = {t}.id AND e.body IS NOT NULL)"
_READERS = (
    "(:viewer IS NULL OR c.scope IN (SELECT circle_id FROM circle_members"
    " WHERE member = :viewer AND status = 'active') OR c.scope IN (SELECT circle_id"
    " FROM circle_visibility WHERE visibility = 'organization'))"
)


def _decode(raw: bytes, kind: type[B]) -> B:
    body = _DECODER.decode(raw)
    assert isinstance(body, kind)
    return body


def _day(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


class CampaignReads:
    """What the pages, the command line and OSDI read of campaigns."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    # --- names ----------------------------------------------------------------------------

    async def people(self, actors: Iterable[str]) -> dict[str, Person]:
        """Each actor's name (a local member's display name, else the handle) and
        organization (its node's name)."""
        wanted = set(actors)
        orgs = await self.node.load_org_names()
        local = {
            h: n
            for h, n in await self.node.store.fetchall("SELECT handle, display_name FROM members")
        }
        out: dict[str, Person] = {}
        for actor in wanted:
            handle, _, node = actor.partition("@")
            if not node and actor.startswith(NODE_PREFIX):
                handle, node = "", actor
            name = local.get(handle, handle) if node == self.node.node_id else handle
            out[actor] = Person(actor, name or orgs.get(node, node), orgs.get(node, node))
        return out

    async def standings(self, campaign_id: str) -> dict[str, Standing]:
        """The standing of the campaign, its targets and demands, by object id."""
        rows = await self.node.store.fetchall(
            "SELECT v.envelope_id, v.object_id, v.object, v.pos, e.body IS NULL,"
            " v.adopted_pos IS NOT NULL FROM campaign_versions v JOIN envelopes e"
            " ON e.id = v.envelope_id WHERE v.campaign_id = ?"
            " AND v.object IN ('campaign', 'target', 'demand')",
            (campaign_id,),
        )
        versions = [VersionRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
        adopted = {r[0] for r in rows if r[5]}
        return {
            oid: Standing(a.latest, a.adopted) for oid, a in adoptions(versions, adopted).items()
        }

    # --- campaigns ------------------------------------------------------------------------

    async def campaigns(
        self, circle_id: str | None = None, viewer: str | None = None
    ) -> list[CampaignSummary]:
        """The campaigns (of ``circle_id``, or all) that ``viewer`` (a local handle; None:
        no check) may read, by name."""
        rows = await self.node.store.fetchall(
            "SELECT c.id, c.scope, ci.name, c.name, c.body, c.status, c.at,"  # noqa: S608 - fixed fragments
            " (SELECT count(*) FROM campaign_targets t WHERE t.campaign_id = c.id),"
            " (SELECT count(*) FROM campaign_demands d WHERE d.campaign_id = c.id)"
            " FROM campaigns c JOIN circles ci ON ci.id = c.scope"
            " WHERE (:circle IS NULL OR c.scope = :circle) AND "
            + _READERS
            + " AND "
            + LIVE.format(t="c")
            + " ORDER BY c.name, c.id",
            {"circle": circle_id, "viewer": self._actor(viewer)},
        )
        out = []
        for cid, scope, circle_name, name, raw, status, at, n_targets, n_demands in rows:
            standing = (await self.standings(cid)).get(cid, Standing(cid, None))
            body = _decode(raw, Campaign)
            out.append(
                CampaignSummary(
                    cid,
                    scope,
                    circle_name,
                    name,
                    body.goal,
                    status,
                    standing,
                    n_targets,
                    n_demands,
                    at,
                )
            )
        return out

    def _actor(self, viewer: str | None) -> str | None:
        return None if viewer is None else self.node.actor_of(viewer)

    async def campaign(self, campaign_id: str, viewer: str | None = None) -> CampaignView | None:
        """One campaign with its demands, targets and plans (None: none such, or not
        for ``viewer``'s eyes)."""
        row = await self.node.store.fetchone(
            "SELECT c.scope, ci.name, c.body, c.created_by, c.created_at, c.at FROM campaigns c"  # noqa: S608 - fixed fragments
            " JOIN circles ci ON ci.id = c.scope WHERE c.id = :id AND "
            + _READERS
            + " AND "
            + LIVE.format(t="c"),
            {"id": campaign_id, "viewer": self._actor(viewer)},
        )
        if row is None:
            return None
        standings = await self.standings(campaign_id)
        targets = await self.targets(campaign_id, standings)
        names = {t.id: t.name for t in targets}
        demand_rows = await self._rows("campaign_demands", campaign_id, "created_pos")
        plan_rows = await self._rows("campaign_plans", campaign_id, "created_pos")
        people = await self.people(
            [row[3]] + [r[2] for r in demand_rows] + [r[2] for r in plan_rows]
        )
        demands = []
        for oid, raw, by, _ in demand_rows:
            body = _decode(raw, Demand)
            standing = standings.get(oid, Standing(oid, None))
            adopted = None
            if standing.proposed_change and standing.adopted is not None:
                held = await self.node.store.get_envelope(standing.adopted)
                if held is not None and held.body is not None:
                    adopted = _decode(msgspec.json.encode(held.body), Demand)
            asked = names.get(body.target or "", "") if body.target else body.office_type or ""
            demands.append(DemandView(oid, campaign_id, body, standing, adopted, asked, people[by]))
        titles = {d.id: d.body.title for d in demands}
        plans = []
        for oid, raw, by, _ in plan_rows:
            plan = _decode(raw, Plan)
            plans.append(
                PlanView(
                    oid,
                    campaign_id,
                    plan,
                    tuple(names.get(t, t) for t in plan.targets),
                    None if plan.demand is None else titles.get(plan.demand),
                    people[by],
                )
            )
        return CampaignView(
            campaign_id,
            row[0],
            row[1],
            _decode(row[2], Campaign),
            standings.get(campaign_id, Standing(campaign_id, None)),
            people[row[3]],
            row[4],
            row[5],
            tuple(demands),
            tuple(targets),
            tuple(plans),
        )

    async def _rows(self, table: str, campaign_id: str, order: str) -> list[Any]:
        """(id, body, created_by, at) of a campaign's live objects in ``table``."""
        return await self.node.store.fetchall(
            f"SELECT id, body, created_by, at FROM {table} t"  # noqa: S608 - fixed names
            f" WHERE campaign_id = ? AND {LIVE.format(t='t')} ORDER BY {order}, id",
            (campaign_id,),
        )

    async def targets(
        self, campaign_id: str, standings: Mapping[str, Standing] | None = None
    ) -> list[TargetView]:
        """The campaign's targets, by name."""
        if standings is None:
            standings = await self.standings(campaign_id)
        rows = await self._rows("campaign_targets", campaign_id, "name")
        people = await self.people(r[2] for r in rows)
        return [
            TargetView(
                oid,
                campaign_id,
                _decode(raw, Target),
                standings.get(oid, Standing(oid, None)),
                people[by],
                at,
            )
            for oid, raw, by, at in rows
        ]

    async def target(
        self, campaign_id: str, target_id: str, today: dt.date | None = None
    ) -> TargetDetail | None:
        """A target with its pressure timeline: every action, status, commitment and
        answer of the campaign about it, newest first (by date, then order)."""
        found = [t for t in await self.targets(campaign_id) if t.id == target_id]
        campaign = await self.node.store.fetchone(
            "SELECT name, pressure_days FROM campaigns WHERE id = ?", (campaign_id,)
        )
        if not found or campaign is None:
            return None
        entries: list[tuple[str, str, dt.date, int, str, str, Any]] = []
        for table, kind, date_col in (
            ("campaign_actions", "action", "date"),
            ("campaign_statuses", "status", "date"),
            ("campaign_commitments", "commitment", "json_extract(body, '$.made')"),
            ("campaign_answers", "answer", "substr(at, 1, 10)"),
        ):
            for oid, raw, by, at, pos, day in await self.node.store.fetchall(
                f"SELECT id, body, created_by, at, pos, {date_col} FROM {table} t"  # noqa: S608
                f" WHERE campaign_id = ? AND target = ? AND {LIVE.format(t='t')}",
                (campaign_id, target_id),
            ):
                entries.append((oid, kind, dt.date.fromisoformat(day), pos, by, at, raw))
        entries.sort(key=lambda e: (e[2], e[3]), reverse=True)
        people = await self.people(e[4] for e in entries)
        titles = {
            oid: _decode(raw, Demand).title
            for oid, raw, _, _ in await self._rows("campaign_demands", campaign_id, "created_pos")
        }
        timeline = []
        for oid, kind, day, _, by, at, raw in entries:
            body = _DECODER.decode(raw)
            assert isinstance(body, Action | StatusChange | Commitment | Answer)
            demand = getattr(body, "demand", None)
            timeline.append(
                TimelineEntry(
                    oid, kind, day, at, people[by], demand, titles.get(demand or ""), body
                )
            )
        today = today or self.node.clock.now().date()
        record = [TargetRecord(target_id, campaign_id, found[0].body.office_type)]
        contacts = [ActionRow(target_id, e.date) for e in timeline if e.object == "action"]
        press = pressure(record, contacts, today, int(campaign[1]))[target_id]
        return TargetDetail(found[0], str(campaign[0]), press, tuple(timeline))

    # --- the week ahead -------------------------------------------------------------------

    async def week(self, handle: str, today: dt.date) -> list[Occurrence]:
        """The occurrences of recurring actions from ``today`` to six days later, in the
        active campaigns of the circles ``handle`` is an active member of, by date."""
        actor = self.node.actor_of(handle)
        end = today + dt.timedelta(days=6)
        plans = await self.node.store.fetchall(
            "SELECT p.id, p.campaign_id, c.name, p.body FROM campaign_plans p"  # noqa: S608 - fixed fragments
            " JOIN campaigns c ON c.id = p.campaign_id WHERE c.status = 'active'"
            " AND c.scope IN (SELECT circle_id FROM circle_members WHERE member = ?"
            " AND status = 'active') AND p.starts <= ? AND (p.ends IS NULL OR p.ends >= ?)"
            " AND " + LIVE.format(t="p") + " AND " + LIVE.format(t="c"),
            (actor, end.isoformat(), today.isoformat()),
        )
        out: list[Occurrence] = []
        for plan_id, campaign_id, campaign_name, raw in plans:
            body = _decode(raw, Plan)
            record = PlanRecord(
                plan_id, campaign_id, body.weekday, body.starts, body.ends, tuple(body.targets)
            )
            days = [today + dt.timedelta(days=i) for i in range(7)]
            days = [d for d in days if record.occurs_on(d)]
            if not days:
                continue
            targets = [
                TargetRef(oid, name, office)
                for oid, name, office in await self.node.store.fetchall(
                    "SELECT id, name, office_type FROM campaign_targets t WHERE campaign_id = ?"  # noqa: S608 - fixed fragments
                    " AND " + LIVE.format(t="t") + " ORDER BY name, id",
                    (campaign_id,),
                )
                if record.covers(oid)
            ]
            demand = None
            if body.demand is not None:
                found = await self.node.store.fetchone(
                    "SELECT title FROM campaign_demands WHERE id = ?", (body.demand,)
                )
                demand = None if found is None else str(found[0])
            for day in days:
                pledgers = [
                    r[0]
                    for r in await self.node.store.fetchall(
                        "SELECT created_by FROM campaign_pledges t WHERE plan = ? AND date = ?"  # noqa: S608 - fixed fragments
                        " AND " + LIVE.format(t="t") + " ORDER BY pos",
                        (plan_id, day.isoformat()),
                    )
                ]
                people = await self.people(pledgers)
                out.append(
                    Occurrence(
                        campaign_id,
                        campaign_name,
                        plan_id,
                        body.title,
                        body.channel,
                        day,
                        body.script,
                        tuple(targets),
                        demand,
                        actor in pledgers,
                        tuple(people[p] for p in dict.fromkeys(pledgers)),
                    )
                )
        out.sort(key=lambda o: (o.date, o.campaign_name, o.title, o.plan_id))
        return out

    # --- export -----------------------------------------------------------------------------

    async def export_csv(self, campaign_id: str) -> str:
        """The campaign's targets as CSV (the import's header), by name;
        ``campaign.unknown_campaign`` if there is no such campaign."""
        held = "SELECT 1 FROM campaigns WHERE id = ?"
        if await self.node.store.fetchone(held, (campaign_id,)) is None:
            raise DomainError(ErrorCode.CAMPAIGN_UNKNOWN_CAMPAIGN, f"no campaign {campaign_id}")
        rows = await self.node.store.fetchall_long(
            "SELECT body FROM campaign_targets t WHERE campaign_id = ? AND "  # noqa: S608 - fixed fragments
            + LIVE.format(t="t")
            + " ORDER BY name, id",
            (campaign_id,),
        )
        return export_csv(_target_fields(raw) for (raw,) in rows)


def _target_fields(raw: bytes) -> dict[str, Any]:
    body = msgspec.json.decode(raw)
    assert isinstance(body, dict)
    return body


__all__ = ["CampaignBody", "CampaignReads"]
