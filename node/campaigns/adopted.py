"""The adopted version of each campaign object of one type (PROTOCOL.md §13.11), with
the decision that adopted it: what the public site shows by the circle's decision (a
campaign whose adopted version is ``public``, an article not ``withdrawn``). Only the
circles this node belongs to count: their home is this node or it is an active member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from node.domain.campaigns.adoption import VersionRow, adoptions

if TYPE_CHECKING:
    from node.core import NodeCore

_VERSIONS = (
    "SELECT v.envelope_id, v.object_id, v.pos, e.body, v.adopted_by, o.at, v.scope, ci.name,"
    " (SELECT f.body IS NULL FROM envelopes f WHERE f.id = v.object_id)"
    " FROM campaign_versions v JOIN envelopes e ON e.id = v.envelope_id"
    " JOIN circles ci ON ci.id = v.scope"
    " LEFT JOIN circle_order o ON o.scope = v.scope AND o.pos = v.adopted_pos"
    " WHERE v.object = :object AND (:object_id IS NULL OR v.object_id = :object_id)"
    " AND (ci.home = :node OR EXISTS (SELECT 1 FROM circle_members m"
    " WHERE m.circle_id = v.scope AND m.member = :node AND m.status = 'active'))"
)


@dataclass(frozen=True, slots=True)
class AdoptedVersion:
    """An object's adopted version: its body, the circle, and the decisions: the one
    that adopted this version (``decision``, ``decided_at``) and the first that adopted
    any version of the object (``first_adopted_at``)."""

    object_id: str
    envelope_id: str
    scope: str
    circle_name: str
    body: dict[str, Any]
    decision: str
    decided_at: str
    first_adopted_at: str


async def adopted_versions(
    node: NodeCore, object_type: str, object_id: str | None = None
) -> list[AdoptedVersion]:
    """The adopted version of every live object of ``object_type`` (or of the one
    ``object_id``) in this node's circles, oldest object first."""
    rows = await node.store.fetchall(
        _VERSIONS, {"object": object_type, "object_id": object_id, "node": node.node_id}
    )
    live = [r for r in rows if not r[8]]
    versions = [VersionRow(r[0], r[1], object_type, r[2], r[3] is None) for r in live]
    adopted_ids = {r[0] for r in live if r[4] is not None}
    by_envelope = {r[0]: r for r in live}
    first: dict[str, str] = {}
    for r in live:
        if r[4] is not None and r[5] is not None and r[3] is not None:
            first[r[1]] = min(first.get(r[1], r[5]), r[5])
    out = []
    for oid, standing in adoptions(versions, adopted_ids).items():
        if standing.adopted is None:
            continue
        r = by_envelope[standing.adopted]
        body = orjson.loads(r[3])
        decided = str(r[5] or "")
        out.append(
            AdoptedVersion(oid, r[0], r[6], r[7], body, str(r[4]), decided, first.get(oid, decided))
        )
    return sorted(out, key=lambda a: (a.first_adopted_at, a.object_id))
