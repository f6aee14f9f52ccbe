"""Moving a circle's home without it (PROTOCOL.md §13.15), the command side: this node's
vote (its admin's act), the move charter this node writes once it holds the vote of every
member node, and what the circle page shows of a silent home and the votes so far."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

import orjson
import structlog
from nacl.signing import SigningKey

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.home_moves import Vote, check_candidate, check_silent, voters
from node.governance.process import Process
from node.store import LocalDraft
from node.store import governance as gov
from node.store.codec import envelope_from_row
from node.store.deliveries import enqueue_deliveries, queue_votes, resend_unordered
from node.store.home_moves import (
    check_move,
    home_silent,
    last_position,
    standing_votes,
    timeout_days,
)
from node.store.log import append_local
from node.store.state import load_circle
from protocol import RemoteProtocolError, format_ts

log = structlog.get_logger("nst.governance")


@dataclass(frozen=True, slots=True)
class HomeSilence:
    """A circle whose home has been silent: for how long, what the charter allows, and
    the votes held to move it (voter -> the node it votes for)."""

    circle: CircleState
    silent_days: int
    timeout_days: int
    timed_out: bool
    votes: dict[str, str]
    voters: frozenset[str]
    mine: str | None


class HomeMoves(Process):
    """This node's part in moving a silent home: its vote, and the move it completes."""

    async def vote(self, scope: str, to: str, *, withdraw: bool = False) -> str:
        """Sign this node's vote to move ``scope``'s home to ``to`` (or withdraw it) and
        send it to every other member node; raises ``home.*`` when it may not."""
        now = self.now()
        me = self.node.node_id

        def run(conn: sqlite3.Connection) -> str:
            circle = _circle(conn, scope)
            if circle.home == me:
                raise DomainError("home.bad_vote", f"this node is the home of {circle.name}")
            check_candidate(circle, me, to)
            last = last_position(conn, scope)
            if last is None:
                raise DomainError("home.not_timed_out", f"{circle.name} has no order yet")
            if not withdraw:
                check_silent(circle, timeout_days(conn, scope), last[2], now)
            body = {"home": circle.home, "to": to, "pos": last[0], "pos_id": last[1]}
            if withdraw:
                body["withdrawn"] = True
            try:
                result = append_local(
                    conn, LocalDraft("home.vote", scope, body), self.node.key, now
                )
            except RemoteProtocolError as exc:
                raise DomainError(str(exc.code), exc.message) from None
            assert result.id is not None
            return result.id

        env_id = await self.node.store.write(run)
        self.node.notify()
        await self.complete()
        return env_id

    async def complete(self) -> list[str]:
        """Write the charter moving each circle's home here once this node holds the
        standing votes of every member node but the home, the highest position any vote
        holds is its own last, and the home is silent by its clock; the circles moved."""
        now = self.now()
        me = self.node.node_id

        def run(conn: sqlite3.Connection) -> list[str]:
            moved = []
            for circle in _federated(conn, me, home_here=False):
                scope = circle.id
                votes = standing_votes(conn, circle, me)
                if not voters(circle) <= set(votes) or me not in votes:
                    continue
                try:
                    _write_move(conn, self.node.key, circle, votes, now)
                except DomainError as exc:
                    log.info("home move waits", circle=scope, code=exc.code)
                    continue
                moved.append(scope)
            return moved

        moved: list[str] = await self.node.store.write(run)
        if moved:
            self.node.notify()
        return moved

    async def sources(self) -> list[tuple[str, str, int]]:
        """Where this node, named new home by votes, catches up before it moves a home:
        (circle, the voter whose vote holds the highest position, that position) for each
        circle whose order here stops below it (§13.15)."""
        me = self.node.node_id

        def run(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
            out = []
            for circle in _federated(conn, me, home_here=False):
                scope = circle.id
                votes = standing_votes(conn, circle, me)
                if not votes:
                    continue
                top = max(votes.values(), key=lambda v: v.pos)
                last = last_position(conn, scope)
                if top.voter != me and (last is None or last[0] < top.pos):
                    out.append((scope, top.voter, top.pos))
            return out

        result: list[tuple[str, str, int]] = await self.node.store.write(run)
        return result

    async def against_us(self) -> list[tuple[str, str, str]]:
        """Standing votes to move a home away from this node: (circle id, circle name, the
        voting node), for its admins, who end the silence by any act in the circle."""
        me = self.node.node_id

        def run(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
            out = []
            for circle in _federated(conn, me, home_here=True):
                scope = circle.id
                last = last_position(conn, scope)
                if last is None:
                    continue
                # A vote cast before this node's last act asks nothing any more.
                votes = standing_votes(conn, circle)
                out += [(scope, circle.name, v) for v in sorted(votes) if votes[v].pos >= last[0]]
            return out

        result: list[tuple[str, str, str]] = await self.node.store.write(run)
        return result

    async def silence(self, scope: str) -> HomeSilence | None:
        """How long ``scope``'s home has been silent here, and the votes held; None for a
        circle this node is home of, or not federated."""
        now = self.now()
        me = self.node.node_id

        def run(conn: sqlite3.Connection) -> HomeSilence | None:
            circle = load_circle(conn, scope)
            if circle is None or circle.home == me or not circle.federated:
                return None
            last = last_position(conn, scope)
            days = timeout_days(conn, scope)
            silent = now - last[2] if last is not None else dt.timedelta(0)
            votes = {v: x.to for v, x in standing_votes(conn, circle).items()}
            timed_out = silent > dt.timedelta(days=days)
            nodes = frozenset(voters(circle))
            return HomeSilence(circle, silent.days, days, timed_out, votes, nodes, votes.get(me))

        # A small transaction: the state it reads is the writer's, as a vote's check.
        result: HomeSilence | None = await self.node.store.write(run)
        return result


def _federated(conn: sqlite3.Connection, me: str, *, home_here: bool) -> list[CircleState]:
    """The federated circles this node is home of (``home_here``), or the others."""
    rows = conn.execute(
        "SELECT id FROM circles WHERE federated = 1 AND (home = ?) = ?", (me, home_here)
    ).fetchall()
    found = (load_circle(conn, scope) for (scope,) in rows)
    return [c for c in found if c is not None and (c.home == me) == home_here]


def _circle(conn: sqlite3.Connection, scope: str) -> CircleState:
    circle = load_circle(conn, scope)
    if circle is None:
        raise DomainError("circle.unknown", f"no circle {scope}")
    return circle


def _write_move(
    conn: sqlite3.Connection,
    key: SigningKey,
    circle: CircleState,
    votes: dict[str, Vote],
    now: dt.datetime,
) -> None:
    """Sign the charter in force with this node as home, the votes in ``refs``, at the
    position after the highest vote's; the old home's positions after it are void."""
    top = max(v.pos for v in votes.values())
    if not home_silent(conn, circle, now):
        # The home was heard from again since the votes: it stays the home.
        raise DomainError("home.not_timed_out", f"the home of {circle.name} is back")
    last = last_position(conn, circle.id)
    if last is None or last[0] < top:
        raise DomainError("home.votes_incomplete", f"position {top} is not held here yet")
    row = conn.execute(
        "SELECT e.body FROM circles c JOIN envelopes e ON e.id = c.envelope_id WHERE c.id = ?",
        (circle.id,),
    ).fetchone()
    charter = dict(orjson.loads(row[0]))
    me = next(v.to for v in votes.values())
    charter["home"] = me
    refs = tuple(sorted(v.id for v in votes.values()))
    gov.void_after(conn, circle.id, top)
    circle = _circle(conn, circle.id)
    at = format_ts(now)
    queue_votes(conn, circle, me, list(refs))  # before the charter, in each peer's queue
    result = append_local(conn, LocalDraft("circle", circle.id, charter, None, refs), key, now)
    assert result.id is not None
    assert result.envelope is not None
    check_move(conn, circle, result.envelope, top + 1, now)
    gov.assign(conn, circle.id, result.id, at)
    gov.require_applied(conn, result.id)
    enqueue_deliveries(conn, result.envelope, result.id, me, None)
    # Our own acts the old home never ordered: ours to order now, as the home.
    for env_id in resend_unordered(conn, circle.id, me, me):
        gov.assign(conn, circle.id, env_id, at)
        row = conn.execute("SELECT header, body FROM envelopes WHERE id = ?", (env_id,)).fetchone()
        env = envelope_from_row(row[0], row[1])
        enqueue_deliveries(conn, env, env_id, me, None)
