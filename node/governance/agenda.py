"""What needs a member now, for their home page: proposals awaiting their stance, rounds
closing, reviews due, elections open for their nomination, terms ending, and the latest
decisions of their circles."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from node.governance.elections import Elections
from node.governance.process import Process
from node.store import governance as gov
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

HOME_LIST = 20
AGENDA_TTL = 30.0  # seconds a member's home agenda is kept when nothing changes


class Agenda(Process):
    """Each member's agenda, kept a while (it is read on every visit of the home page)."""

    def __init__(self, node: NodeCore, elections: Elections) -> None:
        super().__init__(node)
        self.elections = elections
        self._agendas: dict[str, tuple[float, dict[str, Any]]] = {}
        self.agenda_ttl = AGENDA_TTL
        node.governance_listeners.append(self._agendas.clear)

    async def agenda(self, actor: str) -> dict[str, Any]:
        """What needs ``actor`` now, for the home page: proposals awaiting their stance,
        rounds closing within a day, reviews due within two weeks, elections open for
        their nomination, and the latest decisions of their circles.

        Kept until the governance state changes (any command or ingest clears it) or
        ``AGENDA_TTL`` seconds pass (deadlines and due dates move with the clock)."""
        now = time.monotonic()
        cached = self._agendas.get(actor)
        if cached is not None and now - cached[0] < self.agenda_ttl:
            return cached[1]
        agenda = await self._agenda(actor)
        self._agendas[actor] = (now, agenda)
        return agenda

    async def _agenda(self, actor: str) -> dict[str, Any]:
        await self.node.load_org_names()
        rows = await self.node.store.fetchall(
            "SELECT c.id, c.name, c.home, c.federated FROM circles c JOIN circle_members m"
            " ON m.circle_id = c.id WHERE m.member = ? AND m.status = 'active' ORDER BY c.name",
            (actor,),
        )
        circles = [{"id": i, "name": n, "home": h, "federated": bool(f)} for i, n, h, f in rows]
        names = {c["id"]: c["name"] for c in circles}
        now = self.node.clock.now()
        soon = format_ts(now + dt.timedelta(hours=24))
        review_by = (now + dt.timedelta(days=14)).date().isoformat()
        awaiting, closing, reviews = [], [], []
        consent_rounds = (
            " FROM proposals p WHERE p.phase = 'consent' AND p.circle_id IN (SELECT circle_id"
            " FROM circle_members WHERE member = :actor AND status = 'active')"
        )
        unanswered = (
            " AND NOT EXISTS (SELECT 1 FROM current_stances s WHERE s.root = p.root"
            " AND s.member = :actor)"
        )
        count = await self.node.store.fetchone(
            "SELECT count(*)" + consent_rounds + unanswered, {"actor": actor}
        )
        for root, circle_id, title, deadline in await self.node.store.fetchall(
            "SELECT p.root, p.circle_id, p.title, p.deadline"
            + consent_rounds
            + unanswered
            + " ORDER BY p.deadline, p.root LIMIT :limit",
            {"actor": actor, "limit": HOME_LIST},
        ):
            awaiting.append(
                {"root": root, "title": title, "circle": names[circle_id], "deadline": deadline}
            )
        for root, circle_id, title, deadline in await self.node.store.fetchall(
            "SELECT p.root, p.circle_id, p.title, p.deadline"
            + consent_rounds
            + " AND p.deadline <= :soon ORDER BY p.deadline, p.root LIMIT :limit",
            {"actor": actor, "soon": soon, "limit": HOME_LIST},
        ):
            closing.append(
                {"root": root, "title": title, "circle": names[circle_id], "deadline": deadline}
            )
        for root, circle_id, title, review_date in await self.node.store.fetchall(
            "SELECT p.root, p.circle_id, p.title, p.review_date FROM proposals p"
            " WHERE p.outcome = 'adopted' AND p.review_done = 0 AND p.review_date <= :by"
            " AND p.circle_id IN (SELECT circle_id FROM circle_members WHERE member = :actor"
            " AND status = 'active') ORDER BY p.review_date, p.root",
            {"actor": actor, "by": review_by},
        ):
            item = {"root": root, "title": title, "circle": names[circle_id]}
            reviews.append({**item, "review_date": review_date})
        elections = []
        for (blob,) in await self.node.store.fetchall(
            "SELECT state FROM selections WHERE phase = 'nominations' AND circle_id IN"
            " (SELECT circle_id FROM circle_members WHERE member = ? AND status = 'active')",
            (actor,),
        ):
            sel = gov.decode_selection(blob)
            if actor not in sel.nominations:
                elections.append({"id": sel.id, "role": sel.role, "circle": names[sel.circle]})
        decided = await self.node.store.fetchall(
            "SELECT l.envelope_id, l.at, p.title, p.root, c.name, p.outcome FROM logbook l"
            " JOIN proposals p ON p.decision_id = l.envelope_id JOIN circles c ON c.id = l.scope"
            # "+l.scope": newest first by the (kind, at) index, stopping at the limit.
            " WHERE l.kind = 'decision' AND +l.scope IN (SELECT circle_id FROM circle_members"
            " WHERE member = ? AND status = 'active') ORDER BY l.at DESC LIMIT 10",
            (actor,),
        )
        return {
            "circles": circles,
            # The home page shows the first of each list and how many there are.
            "awaiting_count": int(count[0]),
            "awaiting": awaiting[:HOME_LIST],
            "closing": closing[:HOME_LIST],
            "reviews": reviews[:HOME_LIST],
            "elections": elections,
            "expiring": [s for s in await self.elections.expiring_terms() if s.circle in names],
            "decisions": [
                {"id": i, "at": a, "title": t, "root": r, "circle": n, "outcome": o}
                for i, a, t, r, n, o in decided
            ],
        }
