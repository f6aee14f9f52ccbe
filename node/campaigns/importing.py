"""Importing a campaign's targets from files (CSV, Open States person YAML): the pure
parsers and ``plan_import`` say what would change; a real run records every new or
changed target as one ``target`` envelope (``ref`` naming the target it updates), all in
one transaction: all of them, or, at the first refusal, none. An import with problems
records nothing and returns them, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from node.campaigns.commands import CampaignCommands
from node.campaigns.imports import (
    Existing,
    ImportResult,
    PlannedTarget,
    Problem,
    finished,
    match_keys,
    plan_import,
)
from node.campaigns.imports_csv import parse_csv
from node.campaigns.imports_openstates import parse_openstates
from node.campaigns.records import ImportReport
from node.domain.errors import DomainError
from node.store import LocalDraft
from node.store import governance as gov
from node.store.log import append_local
from node.store.state import load_circle
from protocol import RemoteProtocolError

#: A file to import: its name (its ending says the format) and its content.
ImportFile = tuple[str, bytes | str]


def parse_files(files: Sequence[ImportFile], as_of: dt.date) -> ImportResult:
    """Every file's targets, or its problems: ``.csv`` files as CSV, ``.yml`` and
    ``.yaml`` files as Open States people (roles current on ``as_of``)."""
    result = ImportResult()
    for name, data in files:
        lowered = name.lower()
        if lowered.endswith(".csv"):
            result.extend(parse_csv(name, data))
        elif lowered.endswith((".yml", ".yaml")):
            result.extend(parse_openstates(name, data, as_of))
        else:
            reason = "is neither a .csv file nor an Open States person file (.yml, .yaml)"
            result.problems.append(Problem(name, 1, reason))
    return result


def _body(campaign_id: str, planned: PlannedTarget) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "target", "campaign": campaign_id}
    if planned.object_id is not None:
        body["ref"] = planned.object_id
    body.update((k, v) for k, v in planned.body.items() if v is not None)
    return body


class Importing(CampaignCommands):
    """``import_targets``: files into a campaign's targets."""

    async def existing(self, campaign_id: str) -> list[Existing]:
        """The campaign's live targets as ``plan_import`` matches them."""
        rows = await self.node.store.fetchall_long(
            "SELECT t.id, t.body FROM campaign_targets t JOIN envelopes e ON e.id = t.id"
            " WHERE t.campaign_id = ? AND e.body IS NOT NULL ORDER BY t.created_pos",
            (campaign_id,),
        )
        out: list[Existing] = []
        for oid, raw in rows:
            body = finished(orjson.loads(raw))
            out.append((oid, match_keys(body), body))
        return out

    async def import_targets(
        self,
        campaign_id: str,
        handle: str,
        files: Sequence[ImportFile],
        *,
        dry_run: bool = False,
        as_of: dt.date | None = None,
    ) -> ImportReport:
        """Import ``files`` into the campaign's targets on behalf of ``handle``: the
        plan, and (unless ``dry_run`` or the plan has problems) the recorded envelopes."""
        scope = await self.scope_of(campaign_id)
        parsed = parse_files(files, as_of or self.node.clock.now().date())
        plan = plan_import(await self.existing(campaign_id), parsed.records)
        if parsed.problems:
            plan = type(plan)(plan.targets, [*parsed.problems, *plan.problems])
        if dry_run or plan.problems:
            return ImportReport(plan, dry_run)
        bodies = [_body(campaign_id, t) for t in plan.targets if t.action != "unchanged"]
        if not bodies:
            return ImportReport(plan, dry_run)
        recorded = await self._record_all(scope, handle, bodies)
        return ImportReport(plan, dry_run, tuple(recorded))

    async def _record_all(self, scope: str, handle: str, bodies: list[dict[str, Any]]) -> list[str]:
        """Sign and order (home) or preview (member node) every body in one transaction."""
        node = self.node
        when = self.now()
        actor = node.actor_of(handle)

        def run(conn: sqlite3.Connection) -> list[str]:
            circle = load_circle(conn, scope)
            if circle is None:
                raise DomainError("circle.unknown", f"no circle {scope}")
            member = conn.execute(
                "SELECT disabled FROM members WHERE handle = ?", (handle,)
            ).fetchone()
            if member is None or member[0]:
                raise DomainError("member.unknown", f"no active member {handle}")
            home = circle.home == node.node_id
            ids = []
            for body in bodies:
                refs = (body["ref"],) if "ref" in body else ()
                draft = LocalDraft("campaign", scope, body, actor, refs)
                try:
                    result = append_local(conn, draft, node.key, when)
                except RemoteProtocolError as exc:
                    raise DomainError(str(exc.code), exc.message) from None
                assert result.id is not None
                assert result.envelope is not None
                if home:
                    gov.require_applied(conn, result.id)
                else:
                    gov.preview(conn, circle, result.envelope, result.id, when)
                ids.append(result.id)
            return ids

        ids = await node.store.write(run)
        node.notify()
        return ids
