"""Governance commands and reads: the consent process of proposals in a circle.

Every command is one write transaction: the event is judged against the circle's state,
signed and stored together, or nothing happens (a DomainError with a ``consent.*`` code).
On the circle's home node the event takes its place in the circle order at once (§13);
on a member node it is judged against what this node knows, sent to the home, and takes
effect here when the home's order brings it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import structlog

from node.domain import consent
from node.domain.circles import ROLES, CircleState
from node.domain.errors import DomainError
from node.domain.selection import SelectionState, commitment_of, term_expiring
from node.domain.selection import result_body as selection_result_body
from node.store import AppendResult, LocalDraft
from node.store import governance as gov
from node.store.log import append_local
from node.store.state import load_circle
from protocol import RemoteProtocolError, format_ts, scope_owner

log = structlog.get_logger("nst.governance")

if TYPE_CHECKING:
    from node.service import Node


@dataclass(frozen=True, slots=True)
class Effect:
    """What the circle order made of one envelope, as this node applied it."""

    envelope_id: str
    pos: int
    kind: str
    actor: str
    status: str  # applied | refused | disputed
    code: str | None
    message: str | None
    at: str
    body: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ProposalView:
    state: consent.ProposalState
    circle_id: str
    decision_id: str | None
    effects: list[Effect]
    texts: dict[str, str]  # version id -> its text
    pending: int  # our envelopes on it not yet ordered by the home


@dataclass(frozen=True, slots=True)
class WaitingProposal:
    """A proposal this node holds that the circle order has not made one yet: sent to the
    home and waiting for its order, or refused there (``code`` and ``message`` say why)."""

    root: str
    circle_id: str
    actor: str
    at: str
    body: dict[str, Any]
    code: str | None = None
    message: str | None = None


HOME_LIST = 20
AGENDA_TTL = 30.0  # seconds a member's home agenda is kept when nothing changes


def _meeting_row(row: Any) -> dict[str, Any]:
    i, circle_id, title, starts, agenda, minutes_id = row
    return {
        "id": i,
        "circle_id": circle_id,
        "title": title,
        "starts": starts,
        "agenda": orjson.loads(agenda),
        "minutes_id": minutes_id,
    }


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


class Governance:
    def __init__(self, node: Node) -> None:
        self.node = node
        self._agendas: dict[str, tuple[float, dict[str, Any]]] = {}
        self.agenda_ttl = AGENDA_TTL
        node.governance_listeners.append(self._agendas.clear)

    def _now(self) -> dt.datetime:
        # Order times have second precision; judging at the same instant keeps a
        # command's check and its ordering in agreement.
        return self.node.clock.now().replace(microsecond=0)

    # --- commands -----------------------------------------------------------------------

    async def propose(
        self,
        circle_id: str,
        handle: str,
        title: str,
        text: str,
        *,
        review_date: dt.date | None = None,
        measures: Sequence[str] = (),
    ) -> str:
        """Start a proposal in ``circle_id`` (its draft); returns its root id."""
        body: dict[str, Any] = {"title": title.strip(), "text": text}
        if review_date is not None:
            body["review_date"] = review_date.isoformat()
        if measures:
            body["measures"] = [m for m in measures if m.strip()]
        return await self._act_id("proposal", circle_id, body, handle)

    async def amend(
        self,
        root: str,
        handle: str,
        title: str,
        text: str,
        changes: str,
        *,
        review_date: dt.date | None = None,
        measures: Sequence[str] = (),
    ) -> str:
        """A new version of the proposal; returns its id. Without ``review_date`` or
        ``measures``, the new version keeps the current one's."""
        state, circle_id = await self._state(root)
        body: dict[str, Any] = {
            "title": title.strip(),
            "text": text,
            "root": root,
            "version": state.version + 1,
            "changes": changes,
        }
        review_date = review_date or state.current.review_date
        measures = measures or state.current.measures
        if review_date is not None:
            body["review_date"] = review_date.isoformat()
        if measures:
            body["measures"] = [m for m in measures if m.strip()]
        return await self._act_id("proposal", circle_id, body, handle, (root, state.version_id))

    async def move(
        self,
        root: str,
        handle: str,
        phase: str,
        *,
        deadline: dt.datetime | None = None,
        note: str = "",
    ) -> str:
        """The facilitator moves the proposal to ``phase``."""
        _, circle_id = await self._state(root)
        body: dict[str, Any] = {"proposal": root, "phase": phase}
        if deadline is not None:
            body["deadline"] = format_ts(deadline)
        if note:
            body["note"] = note
        return await self._act_id("phase", circle_id, body, handle, (root,))

    async def stance(self, version_id: str, handle: str, value: str, reason: str = "") -> str:
        """``handle``'s stance on the proposal version ``version_id``."""
        root = await self._root_of(version_id)
        _, circle_id = await self._state(root)
        body: dict[str, Any] = {"proposal": version_id, "stance": value}
        if reason:
            body["reason"] = reason
        return await self._act_id("stance", circle_id, body, handle, (version_id,))

    async def decide(self, root: str, handle: str | None) -> str:
        """Record the outcome the process has reached (adoption, withdrawal, referral);
        ``handle`` is the facilitator (None: the home node itself)."""
        state, circle_id = await self._state(root)
        now = self._now()

        def body_of(conn: sqlite3.Connection, circle: CircleState) -> dict[str, Any]:
            current = gov.load_proposal(conn, root)
            assert current is not None
            return consent.decide(current, circle, now, rules=gov.rules_of(conn, circle.id))

        return await self._act_id(
            "decision", circle_id, body_of, handle, (state.version_id,), now=now
        )

    async def schedule_meeting(
        self,
        circle_id: str,
        handle: str,
        title: str,
        starts: dt.datetime,
        agenda: Sequence[dict[str, Any]] = (),
    ) -> str:
        """The facilitator or secretary schedules a meeting with its agenda (items of type
        report, explore or decide, optionally naming a proposal); returns its id."""
        body = {"op": "schedule", "title": title.strip(), "starts": format_ts(starts)}
        body["agenda"] = [dict(item) for item in agenda]  # type: ignore[assignment]
        return await self._act_id("meeting", circle_id, body, handle)

    async def write_minutes(
        self,
        meeting_id: str,
        handle: str,
        *,
        attendance: Sequence[str],
        agenda_consented: bool,
        opening: str = "",
        items: Sequence[dict[str, Any]] = (),
        closing: str = "",
    ) -> str:
        """The minutes of a meeting (once): who attended (actors), the opening round, the
        agenda consented, the items with their notes and decisions, the closing round."""
        held = await self.meeting(meeting_id)
        if held is None:
            raise DomainError("meeting.unknown", f"no meeting {meeting_id}")
        body: dict[str, Any] = {
            "op": "minutes",
            "meeting": meeting_id,
            "attendance": list(attendance),
            "agenda_consented": agenda_consented,
            "opening": opening,
            "items": [dict(item) for item in items],
            "closing": closing,
        }
        return await self._act_id("meeting", held["circle_id"], body, handle, (meeting_id,))

    async def meetings(self, circle_id: str) -> list[dict[str, Any]]:
        rows = await self.node.store.fetchall(
            "SELECT id, circle_id, title, starts, agenda, minutes_id FROM meetings"
            " WHERE circle_id = ? ORDER BY starts DESC, id",
            (circle_id,),
        )
        return [_meeting_row(r) for r in rows]

    async def meeting(self, meeting_id: str) -> dict[str, Any] | None:
        row = await self.node.store.fetchone(
            "SELECT id, circle_id, title, starts, agenda, minutes_id FROM meetings WHERE id = ?",
            (meeting_id,),
        )
        return None if row is None else _meeting_row(row)

    async def logbook_export(self, circle_id: str, fmt: str) -> bytes:
        """The circle's logbook as JSON lines (``jsonl``, signed by this node) or a
        printable page (``html``)."""
        from node.governance import logbook

        if fmt == "html":
            return (await logbook.export_html(self.node.store, circle_id)).encode()
        node = self.node
        lines = await logbook.export_jsonl(node.store, circle_id, node.key, node.clock.now())
        return b"".join(line + b"\n" for line in lines)

    async def logbook(self, circle_id: str) -> list[dict[str, Any]]:
        """The circle's logbook entries, oldest first, each with its envelope's body."""
        from node.store.codec import envelope_from_row

        out = []
        for n, pos, env_id, kind, at, hash_, prev, header, body in await self.node.store.fetchall(
            "SELECT l.n, l.pos, l.envelope_id, l.kind, l.at, l.hash, l.prev, e.header, e.body"
            " FROM logbook l JOIN envelopes e ON e.id = l.envelope_id WHERE l.scope = ?"
            " ORDER BY l.n",
            (circle_id,),
        ):
            env = envelope_from_row(header, body)
            out.append(
                {
                    "n": n,
                    "pos": pos,
                    "envelope_id": env_id,
                    "kind": kind,
                    "at": at,
                    "hash": hash_,
                    "prev": prev,
                    "author": env.author,
                    "actor": env.actor,
                    "body": env.body,
                }
            )
        return out

    # --- questions, answers, reactions ---------------------------------------------------

    async def ask(self, version_id: str, handle: str, text: str) -> str:
        """A clarifying question on one exact version."""
        return await self._discuss(version_id, handle, text, "question")

    async def react(self, version_id: str, handle: str, text: str) -> str:
        """A reaction to one exact version (the reactions round)."""
        return await self._discuss(version_id, handle, text, "reaction")

    async def answer(self, question_id: str, handle: str, text: str) -> str:
        """An answer to a question (usually the proposer's)."""
        row = await self.node.store.fetchone(
            "SELECT header, body FROM envelopes WHERE id = ? AND kind = 'message'",
            (question_id,),
        )
        from node.store.codec import envelope_from_row

        question = None if row is None else envelope_from_row(row[0], row[1])
        if question is None or (question.body or {}).get("purpose") != "question":
            raise DomainError("consent.unknown_question", f"no question {question_id}")
        version = str(question.body["thread"])  # type: ignore[index]
        return await self._discuss(version, handle, text, "answer", thread=question_id)

    async def _discuss(
        self, version_id: str, handle: str, text: str, purpose: str, *, thread: str | None = None
    ) -> str:
        if not text.strip():
            raise DomainError("message.empty", "say something")
        root = await self._root_of(version_id)
        state, circle_id = await self._state(root)
        if state.outcome is not None:
            raise DomainError("consent.bad_transition", f"the proposal is {state.outcome} already")
        if purpose != "answer" and version_id != state.version_id:
            raise DomainError(
                "consent.wrong_version", "questions and reactions answer the current version"
            )
        actor = self.node.actor_of(handle)
        circle = await self.node.circle(circle_id)
        if circle is None or not circle.is_active(actor):
            raise DomainError("consent.not_member", f"{handle} is not a member of the circle")
        body = {"text": text, "thread": thread or version_id, "purpose": purpose}
        try:
            result = await self.node.author(
                "message", circle_id, body, actor=actor, refs=(thread or version_id,)
            )
        except RemoteProtocolError as exc:
            raise DomainError(str(exc.code), exc.message) from None
        assert result.id is not None
        return result.id

    async def discussion(self, root: str, view: ProposalView | None = None) -> list[dict[str, Any]]:
        """The questions, answers and reactions on a proposal's versions, oldest first."""

        view = view or await self.proposal(root)
        if view is None:
            return []
        versions = {v.id for v in view.state.history}
        out: list[dict[str, Any]] = []
        questions: set[str] = set()
        for env_id, actor, author, ts, raw in await self.node.store.fetchall(
            "SELECT id, actor, author, ts, body FROM envelopes WHERE scope = ?"
            " AND kind = 'message' ORDER BY rowid",
            (view.circle_id,),
        ):
            b = orjson.loads(raw) if raw is not None else {}
            thread = b.get("thread")
            if thread in versions or thread in questions:
                if b.get("purpose") == "question":
                    questions.add(env_id)
                out.append(
                    {
                        "id": env_id,
                        "purpose": b.get("purpose", "chat"),
                        "thread": thread,
                        "actor": actor or author,
                        "text": b.get("text"),
                        "ts": ts,
                    }
                )
        return out

    # --- elections ----------------------------------------------------------------------

    async def open_selection(
        self, circle_id: str, handle: str, role: str, description: str, term_months: int
    ) -> str:
        """The facilitator opens an election for ``role``; returns its id."""
        body = {
            "op": "open",
            "role": role,
            "description": description,
            "term_months": term_months,
        }
        return await self._act_id("selection", circle_id, body, handle)

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

        return await self._act_id("selection", circle_id, body, handle, (selection_id,), after=keep)

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
        return await self._act_id("selection", circle_id, body, handle, (selection_id, mine.id))

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
        return await self._act_id("selection", circle_id, body, handle, (selection_id,))

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
        return await self._act_id("selection", circle_id, body, handle, (selection_id,))

    async def record_selection(self, selection_id: str, handle: str | None) -> str:
        """Record the consented candidate as selected, the term starting today."""
        circle_id = await self._selection_circle(selection_id)
        now = self._now()

        def body_of(conn: sqlite3.Connection, circle: CircleState) -> dict[str, Any]:
            current = gov.load_selection(conn, selection_id)
            assert current is not None
            return selection_result_body(
                current, circle, now, rules=gov.rules_of(conn, circle.id), term_start=now.date()
            )

        env_id = await self._act_id(
            "selection", circle_id, body_of, handle, (selection_id,), now=now
        )
        await self._give_role(circle_id, selection_id)
        return env_id

    async def _give_role(self, circle_id: str, selection_id: str) -> None:
        """On the home node: the selected member takes the role in the circle's
        membership (its previous holder gives it up). A role the double-link rules
        refuse (e.g. a delegate not in the parent circle) is left for the admin."""
        state = await self.selection(selection_id)
        circle = await self.node.circle(circle_id)
        if state is None or circle is None or state.selected is None:
            return
        if circle.home != self.node.node_id or state.role not in ROLES:
            return
        try:
            for holder in circle.holders(state.role):
                if holder != state.selected:
                    kept = [r for r in circle.members[holder].roles if r != state.role]
                    await self.node.set_membership(circle_id, holder, kept)
            member = circle.members.get(state.selected)
            roles = [*(member.roles if member else ()), state.role]
            await self.node.set_membership(circle_id, state.selected, list(dict.fromkeys(roles)))
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
        today = self._now().date()
        rows = await self.node.store.fetchall(
            "SELECT state FROM selections WHERE selected IS NOT NULL AND term_end <= ?"
            " ORDER BY term_end",
            ((today + dt.timedelta(days=within_days)).isoformat(),),
        )
        states = [gov.decode_selection(r[0]) for r in rows]
        return [s for s in states if term_expiring(s, today, within_days)]

    async def _selection_circle(self, selection_id: str) -> str:
        row = await self.node.store.fetchone(
            "SELECT circle_id FROM selections WHERE id = ?", (selection_id,)
        )
        if row is None:
            raise DomainError("selection.unknown", f"no election {selection_id}")
        return str(row[0])

    # --- delegates -------------------------------------------------------------------------

    async def name_delegate(
        self, circle_id: str, handle: str, *, delegate: bool = True, status: str = "active"
    ) -> str:
        """A member node names one of its people into a federated circle (as its delegate,
        or as a plain member), or withdraws them; the home confirms with its membership."""
        circle = await self.node.circle(circle_id)
        if circle is None:
            raise DomainError("circle.unknown", f"no circle {circle_id}")
        if circle.home == self.node.node_id:
            raise DomainError("circle.is_home", "the home sets memberships directly")
        member = await self.node.member(handle)
        if member is None or member.disabled:
            raise DomainError("member.unknown", f"no active member {handle}")
        body = {
            "member": self.node.actor_of(handle),
            "status": status,
            "roles": ["delegate"] if delegate and status == "active" else [],
        }
        return await self._act_id("membership", circle_id, body, None)

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
                await self.node.set_membership(scope, member, roles, str(env.body["status"]))
            except DomainError as exc:
                outcome, code, message = "refused", exc.code, exc.message
                log.warning("delegation refused", request=request_id, code=exc.code)
            row = (request_id, scope, member, outcome, code, message)
            await self.node.store.write(functools.partial(_record_delegation, row, self._now()))
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

    async def start_due_reviews(self) -> list[str]:
        """Bring back every adopted decision whose review date has come, in the circles
        this node is home of, as a new proposal; the new proposals' ids."""
        today = self._now().date().isoformat()
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
            view = await self.proposal(root)
            text = view.texts.get(view.state.version_id, "") if view else ""
            body = {
                "title": f"Review: {title}"[:200],
                "text": text,
                "review_of": decision_id,
            }
            started.append(await self._act_id("proposal", circle_id, body, None, (decision_id,)))
        return started

    async def _act_id(self, *args: Any, **kwargs: Any) -> str:
        """``_act``, returning the id of the envelope it signed."""
        result = await self._act(*args, **kwargs)
        assert result.id is not None
        return result.id

    async def _act(
        self,
        kind: str,
        scope: str,
        body: dict[str, Any] | Any,
        handle: str | None,
        refs: Sequence[str] = (),
        *,
        now: dt.datetime | None = None,
        after: Callable[[sqlite3.Connection, str], None] | None = None,
    ) -> AppendResult:
        when = now or self._now()
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

    # --- reads --------------------------------------------------------------------------

    async def _state(self, root: str) -> tuple[consent.ProposalState, str]:
        row = await self.node.store.fetchone(
            "SELECT state, circle_id FROM proposals WHERE root = ?", (root,)
        )
        if row is None:
            raise DomainError("consent.unknown_proposal", f"no proposal {root}")
        return gov.decode_state(row[0]), str(row[1])

    async def _root_of(self, version_id: str) -> str:
        row = await self.node.store.fetchone(
            "SELECT process FROM gov_effects WHERE envelope_id = ? AND status = 'applied'",
            (version_id,),
        )
        if row is None or row[0] is None:
            raise DomainError("consent.unknown_proposal", f"no proposal version {version_id}")
        return str(row[0])

    async def proposal(self, root: str) -> ProposalView | None:
        row = await self.node.store.fetchone(
            "SELECT state, circle_id, decision_id FROM proposals WHERE root = ?", (root,)
        )
        if row is None:
            return None

        effects = []
        texts: dict[str, str] = {}
        for (
            env_id,
            pos,
            status,
            code,
            message,
            at,
            kind,
            actor,
            author,
            raw,
        ) in await self.node.store.fetchall(
            "SELECT g.envelope_id, g.pos, g.status, g.code, g.message, o.at, e.kind,"
            " e.actor, e.author, e.body FROM gov_effects g JOIN circle_order o"
            " ON o.envelope_id = g.envelope_id AND o.scope = g.scope"
            " JOIN envelopes e ON e.id = g.envelope_id WHERE g.process = ? ORDER BY g.pos",
            (root,),
        ):
            # Every envelope here was verified when it was stored: its columns and body
            # are read as they are, without decoding the signed header again.
            body = orjson.loads(raw) if raw is not None else None
            if kind == "proposal" and body is not None:
                texts[env_id] = str(body.get("text", ""))
            effects.append(
                Effect(env_id, pos, kind, actor or author, status, code, message, at, body)
            )
        pending = 0
        if scope_owner(str(row[1])) != self.node.node_id:  # the home orders at once
            found = await self.node.store.fetchone(
                "SELECT count(*) FROM envelopes e WHERE e.scope = ? AND e.author = ?"
                " AND e.kind IN ('proposal', 'phase', 'stance', 'decision', 'selection',"
                " 'meeting') AND NOT EXISTS (SELECT 1 FROM circle_order o"
                " WHERE o.scope = e.scope AND o.envelope_id = e.id)",
                (row[1], self.node.node_id),
            )
            pending = int(found[0])
        return ProposalView(gov.decode_state(row[0]), str(row[1]), row[2], effects, texts, pending)

    async def waiting_proposal(self, root: str) -> WaitingProposal | None:
        """The first version of a proposal stored here but not (yet) a proposal of the
        circle: on a member node, until the home's order brings it back."""
        row = await self.node.store.fetchone(
            "SELECT e.scope, e.actor, e.author, e.ts, e.body, g.status, g.code, g.message"
            " FROM envelopes e LEFT JOIN gov_effects g ON g.envelope_id = e.id"
            " WHERE e.id = ? AND e.kind = 'proposal'"
            " AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.root = e.id)",
            (root,),
        )
        if row is None or row[4] is None or row[5] == "applied":
            return None
        body = orjson.loads(row[4])
        if not isinstance(body, dict) or body.get("root") is not None:
            return None  # a later version is shown on its proposal's page
        refused = row[5] is not None
        return WaitingProposal(
            root,
            str(row[0]),
            str(row[1] or row[2]),
            str(row[3]),
            body,
            row[6] if refused else None,
            row[7] if refused else None,
        )

    async def proposals(self, circle_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT root, circle_id, proposer, title, version, version_id, phase, deadline,"
            " outcome, decision_id, review_date, updated_at FROM proposals"
        )
        params: tuple[Any, ...] = ()
        if circle_id is not None:
            sql += " WHERE circle_id = ?"
            params = (circle_id,)
        rows = await self.node.store.fetchall(sql + " ORDER BY updated_at DESC, root", params)
        keys = (
            "root",
            "circle_id",
            "proposer",
            "title",
            "version",
            "version_id",
            "phase",
            "deadline",
            "outcome",
            "decision_id",
            "review_date",
            "updated_at",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

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
            "expiring": [s for s in await self.expiring_terms() if s.circle in names],
            "decisions": [
                {"id": i, "at": a, "title": t, "root": r, "circle": n, "outcome": o}
                for i, a, t, r, n, o in decided
            ],
        }

    async def disputes(self, process: str | None = None) -> list[dict[str, Any]]:
        """Decisions that failed re-verification (all, or those about one proposal)."""
        rows = await self.node.store.fetchall(
            "SELECT envelope_id, scope, process, author, code, message, at FROM disputes"
            " WHERE :process IS NULL OR process = :process ORDER BY at, envelope_id",
            {"process": process},
        )
        keys = ("envelope_id", "scope", "process", "author", "code", "message", "at")
        return [dict(zip(keys, r, strict=True)) for r in rows]
