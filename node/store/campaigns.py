"""Campaigns in the circle order (PROTOCOL.md §8.13, §13.11), inside the writer
transaction: a ``campaign`` envelope at its position is judged by
``node.domain.campaigns.rules`` against the state its body names, and if it stands its
version fills the projection tables (one per object type, each row the object's current
version; ``campaign_versions`` every version, with the adopting decision). A decision
adopting a proposal with ``adopts`` marks those versions adopted (``mark_adopted``).

Imports ``node.domain``, ``protocol`` and sibling store modules only: the governance
order calls in here, never the other way round.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from node.domain.campaigns.adoption import VersionRow, check_adopts
from node.domain.campaigns.records import (
    CampaignState,
    DemandRecord,
    ObjectRecord,
    PlanRecord,
    TargetRecord,
    campaign_of,
    identity,
    object_type,
)
from node.domain.campaigns.rules import check, named_ids
from node.domain.circles import CircleState
from protocol import Envelope, format_ts
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
    Target,
)
from protocol.ids import is_direct

# The table of each object type's current versions.
OBJECT_TABLES = {
    "campaign": "campaigns",
    "target": "campaign_targets",
    "demand": "campaign_demands",
    "status": "campaign_statuses",
    "commitment": "campaign_commitments",
    "action": "campaign_actions",
    "plan": "campaign_plans",
    "pledge": "campaign_pledges",
    "answer": "campaign_answers",
    "article": "campaign_articles",
}
#: Every table derived from campaign envelopes (rebuilt from the circle order).
CAMPAIGN_TABLES = ("campaign_versions", *OBJECT_TABLES.values())
_COMMON = (
    "id",
    "scope",
    "campaign_id",
    "version_id",
    "pos",
    "at",
    "actor",
    "created_pos",
    "created_at",
    "created_by",
    "body",
)


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _columns(body: CampaignBody) -> dict[str, Any]:
    """The indexed columns of an object's table, from its current version."""
    if isinstance(body, Campaign):
        return {"name": body.name, "status": body.status, "pressure_days": body.pressure_days}
    if isinstance(body, Target):
        return {
            "name": body.name,
            "office_type": body.office_type,
            "candidate": int(body.candidacy is not None),
        }
    if isinstance(body, Demand):
        return {"title": body.title, "target": body.target, "office_type": body.office_type}
    if isinstance(body, StatusChange):
        return {
            "demand": body.demand,
            "target": body.target,
            "status": body.status,
            "date": _day(body.date),
        }
    if isinstance(body, Commitment):
        return {
            "target": body.target,
            "demand": body.demand,
            "kept": body.kept,
            "due": _day(body.due),
        }
    if isinstance(body, Action):
        return {
            "target": body.target,
            "demand": body.demand,
            "channel": body.channel,
            "date": _day(body.date),
            "plan": body.plan,
        }
    if isinstance(body, Plan):
        return {
            "title": body.title,
            "weekday": body.weekday,
            "starts": _day(body.starts),
            "ends": _day(body.ends),
        }
    if isinstance(body, Pledge):
        return {"plan": body.plan, "date": _day(body.date)}
    if isinstance(body, Article):
        return {"title": body.title, "slug": body.slug}
    assert isinstance(body, Answer)
    return {"target": body.target, "demand": body.demand, "answer": body.answer}


# --- applying one position ---------------------------------------------------------------


def apply_campaign(
    conn: sqlite3.Connection,
    circle: CircleState,
    env: Envelope,
    env_id: str,
    body: CampaignBody,
    at: dt.datetime,
) -> str:
    """Judge a campaign envelope at its position and, if it stands, record it; the
    campaign it belongs to. Raises CampaignRefusal (a DomainError) with the rule's code."""
    actor = env.actor or env.author
    state = load_state(conn, circle.id, named_ids(body))
    check(state, body, "@" in actor and circle.is_active(actor))
    row = conn.execute(
        "SELECT pos, at FROM circle_order WHERE scope = ? AND envelope_id = ?",
        (circle.id, env_id),
    ).fetchone()
    # A member node's preview judges an envelope the home has not placed yet.
    pos, when = (int(row[0]), str(row[1])) if row else (0, format_ts(at))
    oid = identity(env_id, body)
    kind = object_type(body)
    campaign = campaign_of(env_id, body)
    conn.execute(
        "INSERT INTO campaign_versions (envelope_id, scope, object_id, object, campaign_id,"
        " pos, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (env_id, circle.id, oid, kind, campaign, pos, actor, when),
    )
    extra = _columns(body)
    values = {
        "id": oid,
        "scope": circle.id,
        "campaign_id": campaign,
        "version_id": env_id,
        "pos": pos,
        "at": when,
        "actor": actor,
        "created_pos": pos,
        "created_at": when,
        "created_by": actor,
        "body": orjson.dumps(env.body),
        **extra,
    }
    names = list(values)
    kept = {"id", "scope", "campaign_id", "created_pos", "created_at", "created_by"}
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in kept)
    conn.execute(
        f"INSERT INTO {OBJECT_TABLES[kind]} ({', '.join(names)})"  # noqa: S608 - fixed names
        f" VALUES ({', '.join('?' * len(names))}) ON CONFLICT (id) DO UPDATE SET {updates}",
        [values[n] for n in names],
    )
    return campaign


def process_of(env: Envelope) -> str | None:
    """The campaign a (refused) campaign envelope is about, as far as its body says."""
    body = env.body or {}
    standalone = body.get("object") in ("campaign", "article")
    named = body.get("ref") if standalone else body.get("campaign")
    return named if isinstance(named, str) else None


# --- the state the rules read ---------------------------------------------------------------


def load_state(conn: sqlite3.Connection, scope: str, ids: Iterable[str]) -> CampaignState:
    """The objects ``ids`` of the circle ``scope`` as the positions applied so far left
    them (an object whose first envelope was retracted is marked retracted)."""
    wanted = sorted(set(ids))
    objects: dict[str, ObjectRecord] = {}
    targets: dict[str, TargetRecord] = {}
    demands: dict[str, DemandRecord] = {}
    plans: dict[str, PlanRecord] = {}
    for oid in wanted:
        row = conn.execute(
            "SELECT v.object, v.campaign_id, e.body IS NULL FROM campaign_versions v"
            " JOIN envelopes e ON e.id = v.envelope_id"
            " WHERE v.envelope_id = ? AND v.object_id = ? AND v.scope = ?",
            (oid, oid, scope),
        ).fetchone()
        if row is None:
            continue
        objects[oid] = ObjectRecord(oid, str(row[0]), str(row[1]), bool(row[2]))
        if row[0] == "target":
            t = conn.execute(
                "SELECT campaign_id, office_type, candidate FROM campaign_targets WHERE id = ?",
                (oid,),
            ).fetchone()
            targets[oid] = TargetRecord(oid, t[0], t[1], bool(t[2]))
        elif row[0] == "demand":
            d = conn.execute(
                "SELECT campaign_id, target, office_type FROM campaign_demands WHERE id = ?",
                (oid,),
            ).fetchone()
            demands[oid] = DemandRecord(oid, d[0], d[1], d[2])
        elif row[0] == "plan":
            p = conn.execute(
                "SELECT campaign_id, weekday, starts, ends, body FROM campaign_plans WHERE id = ?",
                (oid,),
            ).fetchone()
            body = orjson.loads(p[4])
            plans[oid] = PlanRecord(
                oid,
                p[0],
                int(p[1]),
                dt.date.fromisoformat(p[2]),
                None if p[3] is None else dt.date.fromisoformat(p[3]),
                tuple(body.get("targets", ())),
                body.get("demand"),
            )
    return CampaignState(objects, targets, demands, plans)


# --- adoption by decision -------------------------------------------------------------------


def adopts_of(conn: sqlite3.Connection, version_id: str) -> list[str]:
    """The ``adopts`` list of a proposal version held here (empty if it names none or
    its body is gone)."""
    row = conn.execute(
        "SELECT body FROM envelopes WHERE id = ? AND kind = 'proposal'", (version_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return []
    found = orjson.loads(row[0]).get("adopts", [])
    return [str(x) for x in found] if isinstance(found, list) else []


def mark_adopted(
    conn: sqlite3.Connection, scope: str, decision_id: str, adopts: Sequence[str]
) -> None:
    """Mark the versions ``adopts`` adopted by the decision ``decision_id`` at its
    position; raises DomainError ``consent.unknown_object`` (the decision is disputed,
    nothing adopted) unless each is a campaign, target, demand or article version of
    ``scope``."""
    if not adopts or is_direct(scope):
        return
    versions: dict[str, VersionRow] = {}
    for envelope in adopts:
        row = conn.execute(
            "SELECT v.object_id, v.object, v.pos, e.body IS NULL FROM campaign_versions v"
            " JOIN envelopes e ON e.id = v.envelope_id"
            " WHERE v.envelope_id = ? AND v.scope = ?",
            (envelope, scope),
        ).fetchone()
        if row is not None:
            versions[envelope] = VersionRow(envelope, row[0], row[1], row[2], bool(row[3]))
    check_adopts(adopts, versions)
    placed = conn.execute(
        "SELECT pos FROM circle_order WHERE scope = ? AND envelope_id = ?", (scope, decision_id)
    ).fetchone()
    pos = int(placed[0]) if placed else 0
    conn.executemany(
        "UPDATE campaign_versions SET adopted_pos = ?, adopted_by = ? WHERE envelope_id = ?",
        [(pos, decision_id, envelope) for envelope in adopts],
    )
