"""The consent process of proposals in a circle: propose, amend, move, stance, decide, the
questions, answers and reactions on a version, and what a proposal is now.

Commands refused by the process change nothing (a DomainError with a ``consent.*`` code).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from node.domain import consent
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.governance.process import Process
from node.store import governance as gov
from protocol import format_ts


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


class Consent(Process):
    """Proposals by consent: their commands, their discussion, and their views."""

    async def propose(
        self,
        circle_id: str,
        handle: str,
        title: str,
        text: str,
        *,
        review_date: dt.date | None = None,
        measures: Sequence[str] = (),
        adopts: Sequence[str] = (),
        replaces: str | None = None,
        structure: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """Start a proposal in ``circle_id`` (its draft); returns its root id. ``adopts``:
        versions of campaign objects the circle adopts with it (PROTOCOL.md §13.11);
        ``replaces``: an adopted decision it replaces once adopted (§8.4); ``structure``:
        changes of its members, roles or charter (§13.14)."""
        body: dict[str, Any] = {"title": title.strip(), "text": text}
        if replaces:
            body["replaces"] = replaces
        if adopts:
            body["adopts"] = list(adopts)
        if structure:
            body["structure"] = [dict(c) for c in structure]
        if review_date is not None:
            body["review_date"] = review_date.isoformat()
        if measures:
            body["measures"] = [m for m in measures if m.strip()]
        return await self.act_id("proposal", circle_id, body, handle)

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
        adopts: Sequence[str] | None = None,
        coauthors: Sequence[str] = (),
        structure: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """A new version of the proposal; returns its id. Without ``review_date``,
        ``measures``, ``adopts`` or ``structure``, the new version keeps the current
        one's. ``coauthors``: members (actors) who wrote it with ``handle``."""
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
        held = await self.node.store.get_envelope(state.version_id)
        before = (held.body or {}) if held is not None else {}
        if adopts is None:
            adopts = list(before.get("adopts", []))
        if adopts:
            body["adopts"] = list(adopts)
        if coauthors:
            body["coauthors"] = list(coauthors)
        if before.get("replaces"):
            body["replaces"] = before["replaces"]  # what it replaces stays with each version
        if structure is None:
            structure = list(before.get("structure", []))
        if structure:
            body["structure"] = [dict(c) for c in structure]
        return await self.act_id("proposal", circle_id, body, handle, (root, state.version_id))

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
        return await self.act_id("phase", circle_id, body, handle, (root,))

    async def extend(self, root: str, handle: str, deadline: dt.datetime, note: str = "") -> str:
        """The facilitator extends the consent round, or reopens it once its deadline
        passed without a decision: a later deadline, the stances kept (§13.2)."""
        return await self.move(root, handle, "consent", deadline=deadline, note=note)

    async def test_objection(
        self, root: str, handle: str, objection: str, *, valid: bool, reason: str
    ) -> str:
        """The facilitator records the circle's test of an objecting stance: an objection
        to integrate (``valid``) or not, in which case it no longer blocks (§13.2)."""
        _, circle_id = await self._state(root)
        test = {"objection": objection, "valid": valid, "reason": reason}
        body: dict[str, Any] = {"proposal": root, "phase": "consent", "test": test}
        return await self.act_id("phase", circle_id, body, handle, (root, objection))

    async def stance(
        self,
        version_id: str,
        handle: str,
        value: str,
        reason: str = "",
        *,
        member: str | None = None,
        meeting: str | None = None,
    ) -> str:
        """``handle``'s stance on the proposal version ``version_id``; with ``member`` (an
        actor) and ``meeting``, the secretary ``handle`` records that member's stance as
        given aloud in the meeting."""
        root = await self._root_of(version_id)
        _, circle_id = await self._state(root)
        body: dict[str, Any] = {"proposal": version_id, "stance": value}
        if reason:
            body["reason"] = reason
        if member is not None:
            body["member"] = member
            body["meeting"] = meeting
        return await self.act_id("stance", circle_id, body, handle, (version_id,))

    async def decide(
        self, root: str, handle: str | None, *, statement: str = "", rationale: str = ""
    ) -> str:
        """Record the outcome the process has reached (adoption, withdrawal, referral);
        ``handle`` is the facilitator (None: the home node itself), who may word the
        outcome (``statement``) and why (``rationale``) for the record (§8.7)."""
        state, circle_id = await self._state(root)
        now = self.now()

        def body_of(conn: sqlite3.Connection, circle: CircleState) -> dict[str, Any]:
            current = gov.load_proposal(conn, root)
            assert current is not None
            body = consent.decide(current, circle, now, rules=gov.rules_of(conn, circle.id))
            if statement.strip():
                body["statement"] = statement.strip()
            if rationale.strip():
                body["rationale"] = rationale.strip()
            return body

        return await self.act_id(
            "decision", circle_id, body_of, handle, (state.version_id,), now=now
        )

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
        _, circle_id = await self._state(root)
        body = {"text": text, "thread": thread or version_id, "purpose": purpose}
        # Judged like every event of the process: at once on the home, previewed here
        # on a member node and judged again at its position (§13.2).
        return await self.act_id("message", circle_id, body, handle, (thread or version_id,))

    async def discussion(self, root: str, view: ProposalView | None = None) -> list[dict[str, Any]]:
        """The questions, answers and reactions on a proposal's versions, oldest first."""

        view = view or await self.proposal(root)
        if view is None:
            return []
        versions = {v.id for v in view.state.history}
        out: list[dict[str, Any]] = []
        questions: set[str] = set()
        home = await self.node.store.current_home(view.circle_id)
        for env_id, actor, author, ts, raw, status in await self.node.store.fetchall(
            "SELECT e.id, e.actor, e.author, e.ts, e.body, g.status FROM envelopes e"
            " LEFT JOIN gov_effects g ON g.envelope_id = e.id WHERE e.scope = ?"
            " AND e.kind = 'message' ORDER BY e.rowid",
            (view.circle_id,),
        ):
            if status == "refused":
                continue  # shown among the refused acts, with the rule's reason
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
                        # Ours, sent to the home and not yet given its position.
                        "waiting": status is None
                        and author == self.node.node_id
                        and home != author,
                    }
                )
        return out

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
        if await self.node.store.current_home(str(row[1])) != self.node.node_id:
            # the home orders at once
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

    async def disputes(self, process: str | None = None) -> list[dict[str, Any]]:
        """Decisions that failed re-verification (all, or those about one proposal)."""
        rows = await self.node.store.fetchall(
            "SELECT envelope_id, scope, process, author, code, message, at FROM disputes"
            " WHERE :process IS NULL OR process = :process ORDER BY at, envelope_id",
            {"process": process},
        )
        keys = ("envelope_id", "scope", "process", "author", "code", "message", "at")
        return [dict(zip(keys, r, strict=True)) for r in rows]
