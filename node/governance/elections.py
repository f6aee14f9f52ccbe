"""Elections by consent of a circle's roles: open, sealed nominations and their reveal,
the change round, stances on the candidate, the result; who holds the role afterwards,
and whose term is ending."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from typing import Any

import structlog

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.leaders import LEADER
from node.domain.selection import SelectionState, commitment_of, term_expiring
from node.domain.selection import result_body as selection_result_body
from node.governance.leaders import check_child, child_leader_replaced
from node.governance.process import Process
from node.store import governance as gov
from protocol import format_ts

log = structlog.get_logger("nst.governance")


class Elections(Process):
    """The elections (selections) of the node's circles."""

    async def open_selection(
        self,
        circle_id: str,
        handle: str,
        role: str,
        description: str,
        term_months: int,
        *,
        replaces: str | None = None,
        for_circle: str | None = None,
    ) -> str:
        """The facilitator opens an election for ``role`` (one of the circle's register;
        ``replaces``: the holder the new one replaces when the role is full); its id.
        With ``for_circle``, the circle chooses the leader of that sub-circle (§13.16):
        it must name this circle as its parent (``selection.not_child``)."""
        body: dict[str, Any] = {
            "op": "open",
            "role": role,
            "description": description,
            "term_months": term_months,
        }
        if for_circle is not None:
            parent = await self.node.circle(circle_id)
            if parent is None:
                raise DomainError("circle.unknown", f"no circle {circle_id}")
            child = check_child(parent, await self.node.circle(for_circle))
            body["role"] = LEADER
            body["for_circle"] = for_circle
            if child is not None:
                replaces = child_leader_replaced(child, replaces)
        if replaces is not None:
            body["replaces"] = replaces
        return await self.act_id("selection", circle_id, body, handle)

    async def nominate(self, selection_id: str, handle: str, nominee: str) -> str:
        """A sealed nomination: only its commitment travels; the nominee and salt stay on
        this node until ``reveal``."""
        circle_id = await self._selection_circle(selection_id)
        salt = secrets.token_urlsafe(24)
        body = {
            "op": "nominate",
            "selection": selection_id,
            "commitment": commitment_of(nominee, salt),
        }

        def keep(conn: sqlite3.Connection, env_id: str) -> None:
            conn.execute(
                "INSERT INTO nomination_secrets (nomination_id, nominee, salt) VALUES (?, ?, ?)",
                (env_id, nominee, salt),
            )

        return await self.act_id("selection", circle_id, body, handle, (selection_id,), after=keep)

    async def reveal(
        self, selection_id: str, handle: str, reason: str = "", *, nominee: str | None = None
    ) -> str:
        """Reveal ``handle``'s nomination in the nomination round (with the reason), or
        change it openly to ``nominee`` in the change round."""
        circle_id = await self._selection_circle(selection_id)
        state = await self.selection(selection_id)
        assert state is not None
        actor = self.node.actor_of(handle)
        mine = state.nominations.get(actor)
        if mine is None:
            raise DomainError("selection.bad_reveal", f"{handle} has no nomination here")
        row = await self.node.store.fetchone(
            "SELECT nominee, salt FROM nomination_secrets WHERE nomination_id = ?", (mine.id,)
        )
        if row is None:
            raise DomainError("selection.bad_reveal", "this node does not hold that nomination")
        body = {
            "op": "reveal",
            "selection": selection_id,
            "nomination": mine.id,
            "nominee": nominee or row[0],
            "salt": row[1],
            "reason": reason,
        }
        return await self.act_id("selection", circle_id, body, handle, (selection_id, mine.id))

    async def move_selection(
        self,
        selection_id: str,
        handle: str,
        phase: str,
        *,
        candidate: str | None = None,
        deadline: dt.datetime | None = None,
    ) -> str:
        circle_id = await self._selection_circle(selection_id)
        body: dict[str, Any] = {"op": "phase", "selection": selection_id, "phase": phase}
        if candidate is not None:
            body["candidate"] = candidate
        if deadline is not None:
            body["deadline"] = format_ts(deadline)
        return await self.act_id("selection", circle_id, body, handle, (selection_id,))

    async def selection_stance(
        self, selection_id: str, handle: str, candidate: str, value: str, reason: str = ""
    ) -> str:
        circle_id = await self._selection_circle(selection_id)
        body: dict[str, Any] = {
            "op": "stance",
            "selection": selection_id,
            "candidate": candidate,
            "stance": value,
        }
        if reason:
            body["reason"] = reason
        return await self.act_id("selection", circle_id, body, handle, (selection_id,))

    async def record_selection(self, selection_id: str, handle: str | None) -> str:
        """Record the consented candidate as selected, the term starting today. The choice
        of a sub-circle's leader is the home's to sign (§13.16): a facilitator asking for
        it on the home has the home record it."""
        circle_id = await self._selection_circle(selection_id)
        now = self.now()
        state = await self.selection(selection_id)
        circle = await self.node.circle(circle_id)
        chosen_here = (
            state is not None
            and state.for_circle is not None
            and circle is not None
            and circle.home == self.node.node_id
        )
        if chosen_here and handle is not None:
            assert circle is not None
            if self.node.actor_of(handle) not in circle.holders("facilitator"):
                raise DomainError(
                    "selection.not_facilitator", "only the facilitator records the result"
                )
            handle = None

        def body_of(conn: sqlite3.Connection, circle: CircleState) -> dict[str, Any]:
            current = gov.load_selection(conn, selection_id)
            assert current is not None
            return selection_result_body(
                current, circle, now, rules=gov.rules_of(conn, circle.id), term_start=now.date()
            )

        env_id = await self.act_id(
            "selection", circle_id, body_of, handle, (selection_id,), now=now
        )
        await self._give_role(circle_id, selection_id, env_id)
        return env_id

    async def record_due_choices(self) -> list[str]:
        """On a parent circle's home: the result of every election of a sub-circle's
        leader whose consent round has closed (its deadline passed) and that re-verifies,
        recorded by the home (§13.16); the results' ids. One that does not re-verify (an
        objection standing) waits for its facilitator."""
        now = self.now()
        rows = await self.node.store.fetchall(
            "SELECT s.id FROM selections s JOIN circles c ON c.id = s.circle_id"
            " WHERE c.home = ? AND s.phase = 'consent' AND s.selected IS NULL",
            (self.node.node_id,),
        )
        recorded = []
        for (selection_id,) in rows:
            state = await self.selection(selection_id)
            if (
                state is None
                or state.for_circle is None
                or state.phase != "consent"
                or state.deadline is None
                or state.deadline > now
            ):
                continue
            try:
                recorded.append(await self.record_selection(selection_id, None))
            except DomainError:
                continue
        return recorded

    async def _give_role(self, circle_id: str, selection_id: str, result_id: str) -> None:
        """On the home node: the selected member takes the role in the circle's
        membership, each naming the result it carries out (§13.14); the holder the election
        ``replaces`` gives it up, every other holder keeps it. A role the double-link rules
        refuse (e.g. a delegate not in the parent circle) is left for the admin."""
        state = await self.selection(selection_id)
        circle = await self.node.circle(circle_id)
        if state is None or circle is None or state.selected is None:
            return
        if state.for_circle is not None:
            return  # the child's home gives the role (Leaders.carry_out)
        if circle.home != self.node.node_id or state.role not in circle.seats:
            return
        try:
            gone = state.replaces
            if gone is not None and gone != state.selected and gone in circle.holders(state.role):
                kept = [r for r in circle.members[gone].roles if r != state.role]
                circle = await self.node.set_membership(circle_id, gone, kept, refs=(result_id,))
            member = circle.members.get(state.selected)
            roles = list(dict.fromkeys([*(member.roles if member else ()), state.role]))
            await self.node.set_membership(circle_id, state.selected, roles, refs=(result_id,))
        except DomainError as exc:
            log.warning("role not given", selection=selection_id, code=exc.code)

    async def selection(self, selection_id: str) -> SelectionState | None:
        row = await self.node.store.fetchone(
            "SELECT state FROM selections WHERE id = ?", (selection_id,)
        )
        return None if row is None else gov.decode_selection(row[0])

    async def selections(self, circle_id: str) -> list[SelectionState]:
        rows = await self.node.store.fetchall(
            "SELECT state FROM selections WHERE circle_id = ? ORDER BY updated_at DESC, id",
            (circle_id,),
        )
        return [gov.decode_selection(r[0]) for r in rows]

    async def expiring_terms(self, within_days: int = 30) -> list[SelectionState]:
        """Selected role holders whose term ends within ``within_days`` (or has ended)."""
        today = self.now().date()
        rows = await self.node.store.fetchall(
            "SELECT state FROM selections WHERE selected IS NOT NULL AND term_end <= ?"
            " ORDER BY term_end",
            ((today + dt.timedelta(days=within_days)).isoformat(),),
        )
        states = [gov.decode_selection(r[0]) for r in rows]
        return [s for s in states if term_expiring(s, today, within_days)]

    async def open_due_elections(self, within_days: int = 30) -> list[str]:
        """On the home node: each holder's term that has ended, or ends within
        ``within_days``, comes back as an election of the same role, opened by the node
        itself (actor null) and replacing that holder; once per term. The new ids."""
        today = self.now().date()
        rows = await self.node.store.fetchall(
            "SELECT s.state, g.pos FROM selections s JOIN circles c ON c.id = s.circle_id"
            " JOIN gov_effects g ON g.envelope_id = s.id"
            " WHERE c.home = ? ORDER BY s.circle_id, g.pos",
            (self.node.node_id,),
        )
        held = [(gov.decode_selection(r[0]), int(r[1])) for r in rows]
        opened = []
        for state, pos in held:
            if not term_expiring(state, today, within_days) or state.selected is None:
                continue
            if any(
                later.circle == state.circle
                and later.role == state.role
                and later.for_circle == state.for_circle
                and later.replaces == state.selected
                and p > pos
                for later, p in held
            ):
                continue  # brought back already
            # A leader the parent chose holds the role in the child (§13.16).
            circle = await self.node.circle(state.for_circle or state.circle)
            if circle is None or state.selected not in circle.holders(state.role):
                continue
            body: dict[str, Any] = {
                "op": "open",
                "role": state.role,
                "description": state.description,
                "term_months": state.term_months,
                "replaces": state.selected,
            }
            if state.for_circle is not None:
                body["for_circle"] = state.for_circle
            try:
                opened.append(await self.act_id("selection", state.circle, body, None, (state.id,)))
            except DomainError as exc:
                log.warning("term not brought back", selection=state.id, code=exc.code)
        return opened

    async def _selection_circle(self, selection_id: str) -> str:
        row = await self.node.store.fetchone(
            "SELECT circle_id FROM selections WHERE id = ?", (selection_id,)
        )
        if row is None:
            raise DomainError("selection.unknown", f"no election {selection_id}")
        return str(row[0])
