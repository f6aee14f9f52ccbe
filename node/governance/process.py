"""What every governance command is: one write transaction in which the event is judged
against the circle's state, signed and stored together, or nothing happens (a DomainError).

On the circle's home node the event takes its place in the circle order at once (§13);
on a member node it is judged against what this node knows, sent to the home, and takes
effect here when the home's order brings it back.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.store import AppendResult, LocalDraft
from node.store import governance as gov
from node.store.log import append_local
from node.store.state import load_circle
from protocol import RemoteProtocolError

if TYPE_CHECKING:
    from node.core import NodeCore

# A command's body, or what makes it from the circle's state inside the transaction.
Body = dict[str, Any] | Callable[[sqlite3.Connection, CircleState], dict[str, Any]]


class Process:
    """One governance process of the node (consent, elections, meetings…): its commands
    go through ``act``, its reads through the node's store."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    def now(self) -> dt.datetime:
        # Order times have second precision; judging at the same instant keeps a
        # command's check and its ordering in agreement.
        return self.node.clock.now().replace(microsecond=0)

    async def act_id(
        self,
        kind: str,
        scope: str,
        body: Body,
        handle: str | None,
        refs: Sequence[str] = (),
        *,
        now: dt.datetime | None = None,
        after: Callable[[sqlite3.Connection, str], None] | None = None,
    ) -> str:
        """``act``, returning the id of the envelope it signed."""
        result = await self.act(kind, scope, body, handle, refs, now=now, after=after)
        assert result.id is not None
        return result.id

    async def act(
        self,
        kind: str,
        scope: str,
        body: Body,
        handle: str | None,
        refs: Sequence[str] = (),
        *,
        now: dt.datetime | None = None,
        after: Callable[[sqlite3.Connection, str], None] | None = None,
    ) -> AppendResult:
        """Sign ``handle``'s envelope (None: the node's own) of ``kind`` in the circle
        ``scope`` and order it (home) or preview it (member node); ``after`` runs in the
        same transaction with the envelope's id."""
        when = now or self.now()
        node = self.node
        actor = None if handle is None else node.actor_of(handle)

        def run(conn: sqlite3.Connection) -> AppendResult:
            circle = load_circle(conn, scope)
            if circle is None:
                raise DomainError("circle.unknown", f"no circle {scope}")
            if handle is not None:
                member = conn.execute(
                    "SELECT disabled FROM members WHERE handle = ?", (handle,)
                ).fetchone()
                if member is None or member[0]:
                    raise DomainError("member.unknown", f"no active member {handle}")
            content = body(conn, circle) if callable(body) else body
            draft = LocalDraft(kind, scope, content, actor, tuple(dict.fromkeys(refs)))
            try:
                result = append_local(conn, draft, node.key, when)
            except RemoteProtocolError as exc:
                raise DomainError(str(exc.code), exc.message) from None
            assert result.id is not None
            assert result.envelope is not None
            if circle.home == node.node_id:
                gov.require_applied(conn, result.id)
            else:
                gov.preview(conn, circle, result.envelope, result.id, when)
            if after is not None:
                after(conn, result.id)
            return result

        result = await node.store.write(run)
        node.notify()
        return result
