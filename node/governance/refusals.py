"""A member's own acts that the circle order refused (a late stance, a question out of
its round, a delegation request the circle's rules refuse): every node reaches the same
refusal at the act's position (§13.1), so the node that sent it can tell its author."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class RefusedAct:
    envelope_id: str
    kind: str
    purpose: str | None  # for a question, answer or reaction
    circle_id: str
    circle_name: str
    process: str | None  # the proposal, election or meeting it was about
    at: str
    code: str
    message: str


class Refusals:
    """The refused acts of one member, newest first."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def refused_acts(self, actor: str, *, limit: int = 20) -> list[RefusedAct]:
        """``actor``'s refused acts, and the refused requests naming them (§13.9)."""
        rows = await self.node.store.fetchall(
            "SELECT e.id, e.kind, e.body, o.scope, c.name, g.process, o.at, g.code, g.message"
            " FROM gov_effects g JOIN circle_order o ON o.envelope_id = g.envelope_id"
            " AND o.scope = g.scope JOIN envelopes e ON e.id = g.envelope_id"
            " JOIN circles c ON c.id = o.scope WHERE g.status = 'refused'"
            " AND (coalesce(e.actor, e.author) = :actor OR (e.kind = 'membership'"
            " AND instr(CAST(e.body AS TEXT), '\"member\":\"' || :actor || '\"') > 0))"
            " ORDER BY o.at DESC, o.pos DESC LIMIT :limit",
            {"actor": actor, "limit": limit},
        )
        out = []
        for env_id, kind, raw, scope, name, process, at, code, message in rows:
            body = orjson.loads(raw) if raw is not None else {}
            purpose = body.get("purpose") if kind == "message" else None
            out.append(
                RefusedAct(
                    env_id, kind, purpose, scope, name, process, at, code or "", message or ""
                )
            )
        return out
