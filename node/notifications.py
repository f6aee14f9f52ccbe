"""A member's notifications: what happened in their circles (proposals, phases, stances,
decisions, elections, meetings), newest first, with what they have not seen yet marked;
and a daily digest of the same for members who ask for one."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any

from node.store.codec import envelope_from_row
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

_WHAT = {
    "proposal": "proposed",
    "phase": "moved a proposal",
    "stance": "gave a stance",
    "decision": "recorded a decision",
    "selection": "acted in an election",
    "meeting": "scheduled or minuted a meeting",
}


# Others' applied acts in the circles where :actor is an active member, after the time
# :seen, newest first, at most :cap: what ``recent`` lists and ``unread`` counts. "+o.scope":
# walk the order newest first (by its time index) and stop at the limit, rather than
# gather every position of the member's circles.
_OTHERS_ACTS = (
    " FROM circle_order o JOIN gov_effects g ON g.envelope_id = o.envelope_id"
    " JOIN envelopes e ON e.id = o.envelope_id JOIN circles c ON c.id = o.scope"
    " WHERE g.status = 'applied' AND e.kind NOT IN ('circle', 'membership', 'message')"
    " AND coalesce(e.actor, e.author) != :actor AND +o.scope IN (SELECT circle_id"
    " FROM circle_members WHERE member = :actor AND status = 'active') AND o.at > :seen"
)
_NEWEST = " ORDER BY o.at DESC, o.pos DESC LIMIT :cap"
# Counting needs no order: without it the count stops at the cap, where sorting acts
# placed at the same moment (an import, a batch) read every one of them on each page.
_COUNT_OTHERS_ACTS = "SELECT count(*) FROM (SELECT 1" + _OTHERS_ACTS + " LIMIT :cap)"  # noqa: S608 (constants)


class Notifications:
    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def settings(self, handle: str) -> dict[str, Any]:
        row = await self.node.store.fetchone(
            "SELECT digest, seen_at FROM notification_settings WHERE handle = ?", (handle,)
        )
        return {"digest": row[0] if row else "off", "seen_at": row[1] if row else None}

    async def set_digest(self, handle: str, digest: str) -> None:
        if digest not in ("off", "daily"):
            from node.domain.errors import DomainError

            raise DomainError("notify.bad_digest", "the digest is off or daily")
        await self.node.store.write(
            lambda conn: conn.execute(
                "INSERT INTO notification_settings (handle, digest) VALUES (?, ?)"
                " ON CONFLICT (handle) DO UPDATE SET digest = excluded.digest",
                (handle, digest),
            )
        )

    async def mark_seen(self, handle: str) -> None:
        now = format_ts(self.node.clock.now())

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO notification_settings (handle, seen_at) VALUES (?, ?)"
                " ON CONFLICT (handle) DO UPDATE SET seen_at = excluded.seen_at",
                (handle, now),
            )

        await self.node.store.write(run)

    async def recent(
        self, handle: str, *, since: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Others' acts in the member's circles (newest first)."""
        actor = self.node.actor_of(handle)
        seen = (await self.settings(handle))["seen_at"]
        rows = await self.node.store.fetchall(
            "SELECT o.envelope_id, o.at, c.name, c.id, g.process, e.header, e.body"
            + _OTHERS_ACTS
            + _NEWEST,
            {"actor": actor, "seen": since or "", "cap": limit},
        )
        names = {m.handle: m.display_name for m in await self.node.members()}
        orgs = self.node.org_names()
        out = []
        for env_id, at, circle_name, circle_id, process, header, body in rows:
            env = envelope_from_row(header, body)
            b = env.body or {}
            detail = b.get("title") or b.get("phase") or b.get("outcome") or b.get("op") or ""
            who = env.actor or env.author
            out.append(
                {
                    "id": env_id,
                    "at": at,
                    "circle": circle_name,
                    "circle_id": circle_id,
                    "process": process,
                    "kind": env.kind,
                    "who": who,
                    "who_name": _who(who, self.node.node_id, names, orgs),
                    "what": _WHAT.get(env.kind, env.kind),
                    "did": did(env.kind, b),
                    "detail": detail,
                    "unread": seen is None or at > seen,
                }
            )
        return out

    async def unread(self, handle: str, cap: int = 50) -> int:
        """How many of the acts ``recent`` lists came after the member last looked
        (counted up to ``cap``)."""
        actor = self.node.actor_of(handle)
        seen = (await self.settings(handle))["seen_at"]
        row = await self.node.store.fetchone(
            _COUNT_OTHERS_ACTS, {"actor": actor, "seen": seen or "", "cap": cap}
        )
        return int(row[0])

    async def unread_messages(self, handle: str, cap: int = 50) -> int:
        """Messages others wrote since the member last looked at their notifications: in
        the member's circles (chat, questions, answers, reactions) and from other
        organizations to this node (counted up to ``cap``)."""
        actor = self.node.actor_of(handle)
        seen = (await self.settings(handle))["seen_at"] or ""
        row = await self.node.store.fetchone(
            "SELECT count(*) FROM (SELECT 1 FROM envelopes e WHERE e.kind = 'message'"
            " AND e.received_at > :seen AND coalesce(e.actor, e.author) != :actor"
            " AND (e.scope IN (SELECT circle_id FROM circle_members WHERE member = :actor"
            " AND status = 'active') OR e.scope = :direct) LIMIT :cap)",
            {"seen": seen, "actor": actor, "direct": "direct:" + self.node.node_id, "cap": cap},
        )
        return int(row[0])

    async def digest(self, handle: str, now: dt.datetime | None = None) -> str:
        """The daily digest's text: the last 24 hours in the member's circles."""
        when = now or self.node.clock.now()
        items = await self.recent(handle, since=format_ts(when - dt.timedelta(days=1)))
        if not items:
            return "Nothing happened in your circles in the last day."
        lines = [f"{len(items)} things happened in your circles in the last day:"]
        for n in reversed(items):
            lines.append(f"- {clock_time(n['at'])}, {n['circle']}: {n['who_name']} {n['did']}")
        return "\n".join(lines)


def _who(actor: str, own: str, names: dict[str, str], orgs: dict[str, str]) -> str:
    """A person by their name (this node's members), or their handle and organization;
    a node acting for itself by its organization's name."""
    handle, _, node_id = actor.partition("@")
    if not node_id:
        return orgs.get(actor, "another organization")
    if node_id == own:
        return names.get(handle, handle)
    return f"{handle} ({orgs.get(node_id, 'another organization')})"


_STANCES = {
    "consent": "consented to a proposal",
    "concern": "consented to a proposal with a concern",
    "object": "objected to a proposal",
}
_ELECTION = {
    "open": "opened an election",
    "nominate": "nominated someone in an election",
    "reveal": "revealed a nomination",
    "phase": "moved an election on",
    "stance": "gave a stance in an election",
    "result": "recorded who was elected",
}
_MEETING = {"schedule": "scheduled a meeting", "minutes": "recorded a meeting's minutes"}


def did(kind: str, body: dict[str, Any]) -> str:
    """What an act did, in plain words (the digest's and the notifications' sentence)."""
    title = body.get("title")
    if kind == "proposal":
        return f"proposed \u201c{title}\u201d" if title else "proposed"
    if kind == "phase":
        return f"moved a proposal to {body.get('phase', 'its next phase')}"
    if kind == "stance":
        return _STANCES.get(str(body.get("stance")), "gave a stance")
    if kind == "decision":
        return f"recorded a decision: {body.get('outcome', 'decided')}"
    if kind == "selection":
        role = f" for {body['role']}" if body.get("op") == "open" and body.get("role") else ""
        return _ELECTION.get(str(body.get("op")), "acted in an election") + role
    if kind == "meeting":
        text = _MEETING.get(str(body.get("op")), "worked on a meeting")
        return f"{text} \u201c{title}\u201d" if title else text
    if kind == "campaign":
        return f"updated the campaign's {body.get('object', 'plans')}"
    return _WHAT.get(kind, kind)


def clock_time(at: str) -> str:
    """``2026-12-06T11:28:39Z`` as ``6 Dec 11:28 UTC``."""
    when = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return f"{when.day} {when:%b %H:%M} UTC"
