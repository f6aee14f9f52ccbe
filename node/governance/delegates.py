"""Delegates between circles: a member node names its people into a federated circle, the
home confirms (or refuses) with its own membership, and a leader or delegate who left the
parent circle loses the link role, so the double link holds across nodes."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from dataclasses import dataclass

import orjson
import structlog

from node.domain.errors import DomainError
from node.domain.roles import organization_of
from node.governance.process import Process
from protocol import format_ts

log = structlog.get_logger("nst.governance")


def _record_delegation(
    row: tuple[str, str, str, str, str | None, str | None],
    at: dt.datetime,
    conn: sqlite3.Connection,
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO delegations (request_id, scope, member, status, code, message,"
        " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*row, format_ts(at)),
    )


@dataclass(frozen=True, slots=True)
class Delegation:
    """One of the organization's people in a circle: a ``delegate``, or a request to
    the home ``waiting`` for its answer or ``refused`` (``reason`` in words)."""

    member: str
    state: str
    named: bool = True  # the request names them (False: it withdraws them)
    code: str | None = None  # the rule that refused it
    reason: str | None = None


class Delegates(Process):
    """Delegations into federated circles and the double links of the node's circles."""

    async def name_delegate(
        self, circle_id: str, handle: str, *, delegate: bool = True, status: str = "active"
    ) -> str | None:
        """A member node names one of its people into a federated circle (as its delegate,
        or as a plain member), or withdraws them; the home confirms with its membership.
        On the home, the node's own people take or leave the role at once (None)."""
        circle = await self.node.circle(circle_id)
        if circle is None:
            raise DomainError("circle.unknown", f"no circle {circle_id}")
        member = await self.node.member(handle)
        if member is None or member.disabled:
            raise DomainError("member.unknown", f"no active member {handle}")
        if circle.home == self.node.node_id:
            actor = self.node.actor_of(handle)
            held = circle.members.get(actor)
            kept = [r for r in (held.roles if held and held.active else ()) if r != "delegate"]
            roles = [*kept, "delegate"] if delegate and status == "active" else kept
            await self.node.set_membership(circle_id, actor, roles, status)
            return None
        body = {
            "member": self.node.actor_of(handle),
            "status": status,
            "roles": ["delegate"] if delegate and status == "active" else [],
        }
        return await self.act_id("membership", circle_id, body, None)

    async def delegations(self, circle_id: str) -> list[Delegation]:
        """This node's people in a circle of another node as delegates, and its
        delegation requests the home has not answered as asked: waiting, or refused."""
        circle = await self.node.circle(circle_id)
        if circle is None:
            return []
        me = self.node.node_id
        ours = [
            Delegation(m, "delegate")
            for m in circle.holders("delegate")
            if organization_of(m) == me
        ]
        if circle.home == me:
            return sorted(ours, key=lambda d: d.member)
        rows = await self.node.store.fetchall(
            "SELECT e.body, g.status, g.code, g.message FROM envelopes e"
            " LEFT JOIN gov_effects g ON g.envelope_id = e.id"
            " WHERE e.scope = ? AND e.author = ? AND e.kind = 'membership'"
            " AND e.body IS NOT NULL ORDER BY e.seq",
            (circle_id, me),
        )
        latest: dict[str, tuple[bool, str | None, str | None, str | None]] = {}
        for body, status, code, message in rows:
            request = orjson.loads(body)
            if request["member"] == me:
                continue  # the node's answer to its invitation
            wants = request["status"] == "active" and "delegate" in request.get("roles", [])
            latest[request["member"]] = (wants, status, code, message)
        held = {d.member for d in ours}
        for member, (wants, status, code, message) in latest.items():
            if wants == (member in held):
                continue  # answered as asked
            if status == "refused":
                ours.append(Delegation(member, "refused", wants, code, message))
            else:
                ours = [d for d in ours if d.member != member]
                ours.append(Delegation(member, "waiting", wants))
        return sorted(ours, key=lambda d: d.member)

    async def confirm_delegations(self) -> list[tuple[str, str]]:
        """On the home node: answer every delegation request ordered so far, with our own
        membership envelope or a refusal kept for the admin; (request id, outcome)."""
        rows = await self.node.store.fetchall(
            "SELECT g.envelope_id, g.scope, e.header, e.body FROM gov_effects g"
            " JOIN envelopes e ON e.id = g.envelope_id JOIN circles c ON c.id = g.scope"
            " WHERE e.kind = 'membership' AND g.status = 'applied' AND c.home = ?"
            " AND e.author != ?"
            # A node's membership naming itself answers its invitation (§13.10): it takes
            # effect by itself. Bodies are canonical, so the member is spelled this way.
            " AND instr(CAST(e.body AS TEXT), '\"member\":\"' || e.author || '\"') = 0"
            " AND NOT EXISTS"
            " (SELECT 1 FROM delegations d WHERE d.request_id = g.envelope_id)"
            " ORDER BY g.scope, g.pos",
            (self.node.node_id, self.node.node_id),
        )
        from node.store.codec import envelope_from_row

        done = []
        for request_id, scope, header, body in rows:
            env = envelope_from_row(header, body)
            if env.body is None:
                continue
            member = str(env.body["member"])
            outcome, code, message = "confirmed", None, None
            circle = await self.node.circle(scope)
            held = circle.members.get(member) if circle else None
            # The request speaks for the delegate role alone; roles given by the circle
            # (an election, the home's admin) stay.
            kept = [r for r in (held.roles if held else ()) if r != "delegate"]
            roles = [*kept, *env.body.get("roles", [])]
            try:
                await self.node.set_membership(
                    scope, member, roles, str(env.body["status"]), refs=(request_id,)
                )
            except DomainError as exc:
                outcome, code, message = "refused", exc.code, exc.message
                log.warning("delegation refused", request=request_id, code=exc.code)
            row = (request_id, scope, member, outcome, code, message)
            await self.node.store.write(functools.partial(_record_delegation, row, self.now()))
            done.append((request_id, outcome))
        return done

    async def keep_double_links(self) -> list[tuple[str, str]]:
        """Our circles whose parent circle is homed elsewhere: a leader or delegate who is
        no longer an active member of that parent (its home removed them) loses the link
        role here, so the double-link invariant holds across nodes; (circle, member)."""
        dropped = []
        for row in await self.node.circles():
            if row["home"] != self.node.node_id or not row["parent"]:
                continue
            parent = await self.node.circle(row["parent"])
            child = await self.node.circle(row["id"])
            if parent is None or child is None or parent.home == self.node.node_id:
                continue
            for member in sorted({*child.holders("leader"), *child.holders("delegate")}):
                if parent.is_active(member):
                    continue
                kept = [r for r in child.members[member].roles if r not in ("leader", "delegate")]
                await self.node.set_membership(child.id, member, kept)
                log.info("double link dropped", circle=child.id, member=member)
                dropped.append((child.id, member))
        return dropped
