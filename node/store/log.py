"""The event log's write path, run inside a writer transaction (synchronous sqlite3).

Every change goes through ``append``: the envelope is placed in its feed, stored and
projected in the same transaction, so the log and the read tables never disagree; the
home of a circle gives it its position in the order, and its deliveries are queued
(``deliveries``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

from nacl.signing import SigningKey

import node.store.governance as governance
import node.store.home_moves as home_moves
import node.store.invitations as invitations
import node.store.rotations as rotations
from node.domain.authority import HOME_KINDS, check_authority
from node.domain.circles import CircleState
from node.domain.errors import DomainError
from node.domain.homes import named_home
from node.domain.rules import check_kind_rules
from node.store.deliveries import enqueue_deliveries, resend_unordered
from node.store.homes import current_home
from node.store.projection import project
from node.store.records import AppendResult, LocalDraft, OrderMark
from node.store.state import load_circle
from protocol import (
    Envelope,
    ErrorCode,
    FeedHead,
    Placement,
    RemoteProtocolError,
    envelope_id,
    format_ts,
    node_id_of,
    place,
    scope_owner,
)
from protocol.canonical import encode
from protocol.ids import NODE_PREFIX, is_direct
from protocol.signing import sign_json


def _head(conn: sqlite3.Connection, author: str, scope: str) -> tuple[FeedHead | None, bool]:
    row = conn.execute(
        "SELECT head_seq, head_id, frozen FROM feeds WHERE author = ? AND scope = ?",
        (author, scope),
    ).fetchone()
    if row is None:
        return None, False
    return FeedHead(row[0], row[1]), bool(row[2])


def _store(
    conn: sqlite3.Connection,
    env: Envelope,
    env_id: str,
    now: str,
    self_id: str | None,
    sender: str | None = None,
    circle: CircleState | None = None,
) -> None:
    # A parsed envelope carries its canonical header already; a signed one encodes it.
    header = env.header_bytes or encode(env.header())
    conn.execute(
        "INSERT INTO envelopes (id, author, scope, seq, kind, actor, ts, header, body,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            env_id,
            env.author,
            env.scope,
            env.seq,
            env.kind,
            env.actor,
            env.ts,
            header,
            env.body_bytes if env.body is not None else None,
            now,
        ),
    )
    conn.execute(
        "INSERT INTO feeds (author, scope, head_seq, head_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (author, scope) DO UPDATE SET head_seq = excluded.head_seq,"
        " head_id = excluded.head_id",
        (env.author, env.scope, env.seq, env_id),
    )
    before = _node_status(conn, env)
    ordered_by = current_home(conn, env.scope)
    project(conn, env, env_id)
    # ``circle`` is the state authority judged by: a move of the home without it names
    # its new home there, and this node, the old home, assigns that charter no position.
    orderer = circle.home if circle is not None else current_home(conn, env.scope)
    if self_id is not None and orderer == self_id and governance.is_ordered(env):
        governance.assign(conn, env.scope, env_id, now)  # we are home: our order decides
    if self_id is not None:
        if env.kind == "key.rotate" and env.author != self_id and env.body is not None:
            rotations.rekey_peer(conn, env.author, env.body["new_key"], now)
        if env.kind in HOME_KINDS:
            circle = load_circle(conn, env.scope)  # the projection just changed it
            if circle is not None and circle.home != ordered_by:
                # A charter that moved the home at its position (§13.15): the home that
                # ordered it still sends it to every member node.
                circle = dataclasses.replace(circle, home=ordered_by)
        enqueue_deliveries(conn, env, env_id, self_id, sender, circle, before)


def _node_status(conn: sqlite3.Connection, env: Envelope) -> str | None:
    """For a membership naming a node: that node's status in the circle before it."""
    if env.kind != "membership" or env.body is None or is_direct(env.scope):
        return None
    member = str(env.body.get("member", ""))
    if not member.startswith(NODE_PREFIX):
        return None
    row = conn.execute(
        "SELECT status FROM circle_members WHERE circle_id = ? AND member = ?",
        (env.scope, member),
    ).fetchone()
    return None if row is None else str(row[0])


def append_local(
    conn: sqlite3.Connection, draft: LocalDraft, key: SigningKey, now: dt.datetime
) -> AppendResult:
    """Sign ``draft`` as the next envelope of our feed in its scope and store it."""
    author = node_id_of(key)
    ts = format_ts(now)
    head, _ = _head(conn, author, draft.scope)
    env = sign_json(
        {
            "v": 1,
            "kind": draft.kind,
            "actor": draft.actor,
            "scope": draft.scope,
            "seq": head.seq + 1 if head else 1,
            "prev": head.id if head else None,
            "refs": list(draft.refs),
            "ts": ts,
            "body": draft.body,
        },
        key,
    )
    check_kind_rules(env, current_home(conn, env.scope))
    rotations.check_local(conn, env)
    env_id = envelope_id(env)
    _store(conn, env, env_id, ts, author)
    return AppendResult("accepted", env_id, env)


def keep_equivocation(
    conn: sqlite3.Connection, env: Envelope, env_id: str, held: str, now: dt.datetime
) -> None:
    """Keep ``env`` as evidence against the envelope ``held`` at its (author, scope, seq)
    and freeze that feed (PROTOCOL.md §7.3)."""
    conn.execute(
        "INSERT OR IGNORE INTO equivocations (id, held_id, author, scope, seq, envelope,"
        " detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (env_id, held, env.author, env.scope, env.seq, env.to_bytes(), format_ts(now)),
    )
    conn.execute(
        "UPDATE feeds SET frozen = 1 WHERE author = ? AND scope = ?", (env.author, env.scope)
    )


def append_remote(
    conn: sqlite3.Connection,
    env: Envelope,
    env_id: str,
    now: dt.datetime,
    *,
    self_id: str | None = None,
    sender: str | None = None,
    mover: str | None = None,
) -> AppendResult:
    """Place a verified envelope from elsewhere in its feed; store it if it is next.

    With ``self_id`` (the federation inbox and sync), the authority rules are checked
    and deliveries onward are queued; without it the input is trusted as to authority
    (a restore of the node's own export). ``mover``: the new home whose charter moving
    the home without it (§13.15) was checked already; authority judges it as the home's.
    """
    head, frozen = _head(conn, env.author, env.scope)
    if frozen:
        return AppendResult(
            "rejected", env_id, code=ErrorCode.FEED_FROZEN, message="feed frozen by equivocation"
        )
    held: str | None = None
    if head is not None and env.seq <= head.seq:  # nothing is held above the head
        row = conn.execute(
            "SELECT id FROM envelopes WHERE author = ? AND scope = ? AND seq = ?",
            (env.author, env.scope, env.seq),
        ).fetchone()
        held = row[0] if row else None
    try:
        placement = place(env, env_id, head, held)
    except RemoteProtocolError as exc:
        return AppendResult("rejected", env_id, code=exc.code, message=exc.message)
    if placement is Placement.DUPLICATE:
        return AppendResult("duplicate", env_id, env)
    home = current_home(conn, env.scope)
    if (
        self_id is not None
        and not is_direct(env.scope)
        and home != self_id
        and scope_owner(env.scope) != self_id
        and not invitations.joined(conn, env.scope, self_id)
    ):
        # A circle this node has not joined: nothing of it enters the log (§13.10). It
        # comes from the home its invitation's charter names (§13.15).
        home = invitations.inviting_home(conn, env.scope) or home
        if sender is not None and sender != home and not _names_itself(env, sender):
            return AppendResult(
                "rejected",
                env_id,
                code=ErrorCode.NOT_VIA_HOME,
                message=f"a circle's envelopes come from its home node {home}",
            )
        if invitations.hold(conn, env, env_id, self_id, format_ts(now), sender):
            return AppendResult("held", env_id, env)
        return AppendResult(
            "rejected",
            env_id,
            code=ErrorCode.NOT_JOINED,
            message=f"this node has not joined {env.scope}: its admin accepted no invitation",
        )
    if placement is Placement.GAP:
        return AppendResult("gap", env_id, code=ErrorCode.FEED_GAP, message="earlier seqs missing")
    if placement is Placement.EQUIVOCATION:
        assert held is not None
        keep_equivocation(conn, env, env_id, held, now)
        return AppendResult(
            "equivocation",
            env_id,
            code=ErrorCode.FEED_EQUIVOCATION,
            message=f"seq {env.seq} already holds {held}",
        )
    circle = None
    if self_id is not None:
        try:
            circle = _check_rules(conn, env, self_id, sender, mover, now)
        except RemoteProtocolError as exc:
            return AppendResult("rejected", env_id, code=exc.code, message=exc.message)
    _store(conn, env, env_id, format_ts(now), self_id, sender, circle)
    return AppendResult("accepted", env_id, env)


def append_remote_batch(
    conn: sqlite3.Connection,
    items: list[tuple[Envelope, str]],
    now: dt.datetime,
    *,
    self_id: str | None = None,
    sender: str | None = None,
    order: list[OrderMark | None] | None = None,
) -> list[AppendResult]:
    """``append_remote`` for each item, in order, keeping the positions the circle's home
    sent along; then whatever the order now allows is applied."""
    results = []
    touched: set[str] = set()
    for i, (env, env_id) in enumerate(items):
        mark = order[i] if order is not None else None
        if mark is not None and (sender is None or not governance.may_hold_position(env)):
            results.append(
                AppendResult(
                    "rejected",
                    env_id,
                    code=ErrorCode.ORDER_CONFLICT,
                    message="positions come from the circle's home, for governance kinds",
                )
            )
            continue
        mover: str | None = None
        if mark is not None and sender is not None:
            try:
                mover = _moving_home(conn, env, sender, mark.pos, now)
            except DomainError as exc:
                results.append(AppendResult("rejected", env_id, code=exc.code, message=exc.message))
                continue
        if mark is not None:
            try:
                new = governance.check_order(conn, env.scope, mark.pos, env_id, mark.at)
            except RemoteProtocolError as exc:
                results.append(AppendResult("rejected", env_id, code=exc.code, message=exc.message))
                continue
            if (
                new
                and mover is None
                and sender != source_of_order(conn, env.scope)
                and _takes_order(conn, env.scope, self_id)
            ):
                # The home as the order applied here assigns positions; a node that
                # moved the home away assigns none (§13.15).
                results.append(
                    AppendResult(
                        "rejected",
                        env_id,
                        code=ErrorCode.ORDER_NOT_HOME,
                        message=f"{sender} is not the home of {env.scope}: it assigns no positions",
                    )
                )
                continue
        r = append_remote(conn, env, env_id, now, self_id=self_id, sender=sender, mover=mover)
        if mark is not None and r.status in ("accepted", "duplicate", "gap"):
            governance.record(conn, env.scope, mark.pos, env_id, mark.at)
            if env.kind in HOME_KINDS:
                # What the next envelopes are checked against may wait for this
                # position (§13.14): apply it before they arrive.
                governance.apply_pending(conn, env.scope)
        if mover is not None and r.status == "accepted" and self_id is not None:
            resend_unordered(conn, env.scope, self_id, mover)
        if governance.may_hold_position(env):
            touched.add(env.scope)
        results.append(r)
    for scope in sorted(touched):
        governance.apply_pending(conn, scope)
    return results


def _moving_home(
    conn: sqlite3.Connection, env: Envelope, sender: str, pos: int, now: dt.datetime
) -> str | None:
    """For a charter moving the home without it, pushed by its author with its position
    (§13.15): check it by this node's clock, void the old home's positions from ``pos``
    on, and return the new home; None for anything else."""
    if sender != env.author or sender == current_home(conn, env.scope):
        return None
    circle = load_circle(conn, env.scope)
    if circle is None or not home_moves.is_move(circle, env):
        return None
    held = conn.execute("SELECT 1 FROM envelopes WHERE id = ?", (envelope_id(env),)).fetchone()
    if held is not None:
        return None  # taken already: the order has it
    home_moves.check_move(conn, circle, env, pos, now)
    governance.void_after(conn, env.scope, pos - 1)
    return sender


def source_of_order(conn: sqlite3.Connection, scope: str) -> str:
    """The node this node takes a circle's order from: its current home, or, while it has
    not joined or catches up after accepting, the home its invitation came from."""
    return invitations.inviting_home(conn, scope) or current_home(conn, scope)


def _takes_order(conn: sqlite3.Connection, scope: str, self_id: str | None) -> bool:
    """Whether positions of ``scope`` are kept here: not for a circle this node has not
    joined, whose envelopes are held aside as an invitation or refused, never ordered."""
    if self_id is None or scope_owner(scope) == self_id:
        return True
    return current_home(conn, scope) == self_id or invitations.joined(conn, scope, self_id)


def _names_itself(env: Envelope, sender: str) -> bool:
    """A charter naming its sender as home: what an invitation from a home the circle
    moved to comes with (§13.15); whether to hold it is ``invitations.hold``'s."""
    return (
        env.kind == "circle" and env.body is not None and named_home(env.scope, env.body) == sender
    )


def _check_rules(
    conn: sqlite3.Connection,
    env: Envelope,
    self_id: str,
    sender: str | None,
    mover: str | None = None,
    now: dt.datetime | None = None,
) -> CircleState | None:
    """Authority (§6 step 6), then the kind rules (step 7), against the scope's state;
    returns the circle's state as it was checked (None for direct scopes)."""
    direct = is_direct(env.scope)
    circle = None if direct else load_circle(conn, env.scope)
    if circle is not None and mover is not None:
        circle = dataclasses.replace(circle, home=mover)
    former: frozenset[str] = frozenset()
    if direct and scope_owner(env.scope) != self_id:
        former = rotations.former_ids(conn, self_id)
    silent = (
        circle is not None
        and now is not None
        and sender is not None
        and sender != circle.home
        and home_moves.home_silent(conn, circle, now)
    )
    via = None if direct else invitations.inviting_home(conn, env.scope)
    check_authority(env, circle, self_id, former, sender, silent, via)
    rotations.check_retired(conn, env)
    check_kind_rules(env, None if circle is None else circle.home)
    rotations.check_target(conn, env, self_id)
    return circle
