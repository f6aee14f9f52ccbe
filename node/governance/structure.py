"""Structure by consent (PROTOCOL.md §13.14), the command side: the home carries out the
membership and charter changes its circles' adopted decisions authorized, by itself,
each envelope naming the decision; what is still to be carried out, for the pages."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from node.domain.errors import DomainError
from node.governance.process import Process
from node.governance.stuck import Stuck, StuckChange
from node.store.governance.structure import decided_changes

if TYPE_CHECKING:
    from node.core import NodeCore


class Structure(Process):
    """Carrying out adopted structural changes in the circles this node is home of."""

    def __init__(self, node: NodeCore, stuck: Stuck) -> None:
        super().__init__(node)
        self.stuck = stuck

    async def carry_out(self) -> list[tuple[str, str]]:
        """Write the membership or charter of every authorized change not carried out yet,
        in the circles this node is home of; (decision id, what changed) of each. A change
        the circle's rules refuse now (a role taken meanwhile) is left, and shown to the
        admins (``Stuck``)."""
        done, failed = [], []
        for scope, decision_id, change in await self.node.store.write(self._pending):
            what = "charter" if change.get("op") == "charter" else str(change.get("member"))
            try:
                if change.get("op") == "charter":
                    charter = dict(change["charter"])
                    await self.act_id("circle", scope, charter, None, (decision_id,))
                else:
                    await self.node.set_membership(
                        scope,
                        str(change["member"]),
                        list(change.get("roles", [])),
                        str(change["status"]),
                        refs=(decision_id,),
                    )
            except DomainError as exc:
                failed.append(
                    StuckChange("structure", scope, decision_id, what, exc.code, exc.message)
                )
                continue
            done.append((decision_id, what))
        self.stuck.tried("structure", failed, "structure not carried out")
        return done

    async def proposed(self, version_id: str) -> list[dict[str, Any]]:
        """The structural changes a proposal version asks for (empty when none)."""
        env = await self.node.store.get_envelope(version_id)
        found = (env.body or {}).get("structure", []) if env is not None else []
        return [dict(c) for c in found if isinstance(c, dict)]

    def _pending(self, conn: sqlite3.Connection) -> list[tuple[str, str, dict[str, Any]]]:
        scopes = [
            r[0]
            for r in conn.execute("SELECT id FROM circles WHERE home = ?", (self.node.node_id,))
        ]
        return [(s, d, c) for s in scopes for d, c in decided_changes(conn, s)]
