"""Reviews: an adopted decision whose review date has come returns as a new proposal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.governance.consent import Consent
from node.governance.process import Process

if TYPE_CHECKING:
    from node.core import NodeCore


class Reviews(Process):
    """Bringing decisions back for review, in the circles this node is home of."""

    def __init__(self, node: NodeCore, consent: Consent) -> None:
        super().__init__(node)
        self.consent = consent

    async def start_due_reviews(self) -> list[str]:
        """Bring back every adopted decision whose review date has come, in the circles
        this node is home of, as a new proposal; the new proposals' ids."""
        today = self.now().date().isoformat()
        rows = await self.node.store.fetchall(
            "SELECT p.root, p.circle_id, p.decision_id, p.title, c.home FROM proposals p"
            " JOIN circles c ON c.id = p.circle_id WHERE p.outcome = 'adopted'"
            " AND p.review_done = 0 AND p.review_date IS NOT NULL AND p.review_date <= ?"
            " ORDER BY p.review_date, p.root",
            (today,),
        )
        started = []
        for root, circle_id, decision_id, title, home in rows:
            if home != self.node.node_id or decision_id is None:
                continue
            view = await self.consent.proposal(root)
            text = view.texts.get(view.state.version_id, "") if view else ""
            body = {
                "title": f"Review: {title}"[:200],
                "text": text,
                "review_of": decision_id,
            }
            started.append(await self.act_id("proposal", circle_id, body, None, (decision_id,)))
        return started
