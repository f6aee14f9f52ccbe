"""The commands of campaigns (PROTOCOL.md §8.13): each signs one ``campaign`` envelope on
behalf of a member, in the scope of the circle that owns the campaign, and returns its id.

They go through the governance ``Process``: on the circle's home the envelope is ordered
and judged by the campaign rules in the same transaction that signs it, so a refusal
raises its ``campaign.*`` DomainError and stores nothing; on a member node it is judged
against what this node holds, and takes effect when the home's order brings it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from node.domain.errors import DomainError
from node.governance.process import Process
from protocol import ErrorCode


def _clean(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without the members left at null (their default)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _evidence(url: str | None, quote: str, note: str) -> dict[str, Any]:
    return _clean({"url": url or None, "quote": quote, "note": note})


class CampaignCommands(Process):
    """Create and change campaigns, targets, demands and plans; record statuses,
    commitments, actions, pledges and answers."""

    async def scope_of(self, campaign_id: str) -> str:
        """The circle that owns ``campaign_id``; ``campaign.unknown_campaign`` if none."""
        row = await self.node.store.fetchone(
            "SELECT scope FROM campaigns WHERE id = ?", (campaign_id,)
        )
        if row is None:
            raise DomainError(ErrorCode.CAMPAIGN_UNKNOWN_CAMPAIGN, f"no campaign {campaign_id}")
        return str(row[0])

    async def current_body(self, object_id: str, table: str) -> dict[str, Any]:
        """The current version of an object, for an update to start from."""
        row = await self.node.store.fetchone(
            f"SELECT body FROM {table} WHERE id = ?",  # noqa: S608 - fixed table names
            (object_id,),
        )
        if row is None:
            raise DomainError(ErrorCode.CAMPAIGN_BAD_REF, f"no such object {object_id}")
        body = orjson.loads(row[0])
        assert isinstance(body, dict)
        return body

    async def _put(
        self, campaign_id: str, handle: str, body: dict[str, Any], ref: str | None = None
    ) -> str:
        scope = await self.scope_of(campaign_id)
        body = _clean({**body, "campaign": campaign_id, "ref": ref})
        return await self.act_id("campaign", scope, body, handle, (ref,) if ref else ())

    # --- campaigns --------------------------------------------------------------------

    async def create_campaign(
        self,
        circle_id: str,
        handle: str,
        *,
        name: str,
        goal: str,
        description: str = "",
        status: str = "active",
        pressure_days: int = 7,
        public: bool = False,
    ) -> str:
        """A new campaign owned by ``circle_id`` (a draft until a decision adopts it;
        ``public``: shown on the member nodes' public sites once adopted)."""
        body: dict[str, Any] = {
            "object": "campaign",
            "name": name.strip(),
            "goal": goal,
            "description": description,
            "status": status,
            "pressure_days": pressure_days,
        }
        if public:
            body["public"] = True
        return await self.act_id("campaign", circle_id, body, handle)

    async def update_campaign(
        self,
        campaign_id: str,
        handle: str,
        *,
        name: str | None = None,
        goal: str | None = None,
        description: str | None = None,
        status: str | None = None,
        pressure_days: int | None = None,
        public: bool | None = None,
    ) -> str:
        """A new version of the campaign; what is not given stays as it is. ``public``
        takes effect when the circle adopts the version (PROTOCOL.md §13.11)."""
        scope = await self.scope_of(campaign_id)
        current = await self.current_body(campaign_id, "campaigns")
        changes = {
            "name": None if name is None else name.strip(),
            "goal": goal,
            "description": description,
            "status": status,
            "pressure_days": pressure_days,
        }
        body = {**current, **_clean(changes), "ref": campaign_id}
        if public is not None:
            body["public"] = public
        if body.get("public") is False:
            body.pop("public")  # the default: a private version's body stays as before
        return await self.act_id("campaign", scope, _clean(body), handle, (campaign_id,))

    # --- targets and demands ----------------------------------------------------------

    async def put_target(
        self,
        campaign_id: str,
        handle: str,
        fields: Mapping[str, Any],
        *,
        target_id: str | None = None,
    ) -> str:
        """A new target from ``fields`` (the protocol's ``target`` members), or, with
        ``target_id``, a new version of it: its current one with ``fields`` changed."""
        base: dict[str, Any] = {}
        if target_id is not None:
            base = await self.current_body(target_id, "campaign_targets")
        body = {**base, **fields, "object": "target"}
        return await self._put(campaign_id, handle, body, target_id)

    async def put_demand(
        self,
        campaign_id: str,
        handle: str,
        *,
        title: str,
        text: str,
        reasoning: str = "",
        script: str = "",
        target: str | None = None,
        office_type: str | None = None,
        demand_id: str | None = None,
    ) -> str:
        """A new demand (or, with ``demand_id``, new wording of one), asked of one
        ``target`` or of every target holding ``office_type``."""
        body = {
            "object": "demand",
            "title": title.strip(),
            "text": text,
            "reasoning": reasoning,
            "script": script,
            "target": target,
            "office_type": office_type,
        }
        return await self._put(campaign_id, handle, body, demand_id)

    # --- what happens: statuses, commitments, actions, answers -------------------------

    async def record_status(
        self,
        campaign_id: str,
        handle: str,
        *,
        demand: str,
        target: str,
        status: str,
        date: dt.date,
        evidence_url: str | None = None,
        quote: str = "",
        note: str = "",
    ) -> str:
        """Where ``demand`` stands with ``target`` from ``date`` on, and what shows it."""
        body = {
            "object": "status",
            "demand": demand,
            "target": target,
            "status": status,
            "date": date,
            "evidence": _evidence(evidence_url, quote, note),
        }
        return await self._put(campaign_id, handle, body)

    async def record_commitment(
        self,
        campaign_id: str,
        handle: str,
        *,
        target: str,
        what: str,
        made: dt.date,
        due: dt.date | None = None,
        demand: str | None = None,
        kept: str = "open",
        commitment_id: str | None = None,
    ) -> str:
        """A target's promise (or, with ``commitment_id``, a new version of one: kept or
        broken)."""
        body = {
            "object": "commitment",
            "target": target,
            "demand": demand,
            "what": what,
            "made": made,
            "due": due,
            "kept": kept,
        }
        return await self._put(campaign_id, handle, body, commitment_id)

    async def log_action(
        self,
        campaign_id: str,
        handle: str,
        *,
        target: str,
        channel: str,
        date: dt.date,
        demand: str | None = None,
        outcome: str = "",
        response: str = "",
        notes: str = "",
        plan: str | None = None,
    ) -> str:
        """A member's contact with ``target``: a call, an e-mail, a meeting …"""
        body = {
            "object": "action",
            "target": target,
            "demand": demand,
            "channel": channel,
            "date": date,
            "outcome": outcome,
            "response": response,
            "notes": notes,
            "plan": plan,
        }
        return await self._put(campaign_id, handle, body)

    async def record_answer(
        self,
        campaign_id: str,
        handle: str,
        *,
        target: str,
        demand: str,
        answer: str,
        evidence_url: str | None = None,
        quote: str = "",
        note: str = "",
    ) -> str:
        """A candidate's answer to one demand of the questionnaire."""
        body = {
            "object": "answer",
            "target": target,
            "demand": demand,
            "answer": answer,
            "evidence": _evidence(evidence_url, quote, note),
        }
        return await self._put(campaign_id, handle, body)

    # --- keeping up the pressure -------------------------------------------------------

    async def put_plan(
        self,
        campaign_id: str,
        handle: str,
        *,
        title: str,
        channel: str,
        weekday: int,
        starts: dt.date,
        ends: dt.date | None = None,
        targets: Sequence[str] = (),
        demand: str | None = None,
        script: str = "",
        plan_id: str | None = None,
    ) -> str:
        """A recurring action on ``weekday`` (Monday 0); no ``targets``: every target."""
        body = {
            "object": "plan",
            "title": title.strip(),
            "channel": channel,
            "weekday": weekday,
            "starts": starts,
            "ends": ends,
            "targets": list(targets),
            "demand": demand,
            "script": script,
        }
        return await self._put(campaign_id, handle, body, plan_id)

    async def pledge(self, campaign_id: str, handle: str, *, plan: str, date: dt.date) -> str:
        """``handle`` pledges to take part in the occurrence of ``plan`` on ``date``."""
        body = {"object": "pledge", "plan": plan, "date": date}
        return await self._put(campaign_id, handle, body)
