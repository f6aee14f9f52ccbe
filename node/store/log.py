"""The event log's write path, run inside a writer transaction (synchronous sqlite3).

Every change goes through ``append``: the envelope is placed in its feed, stored and
projected in the same transaction, so the log and the read tables never disagree.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from nacl.signing import SigningKey

from node.store.projection import project
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
)
from protocol.canonical import encode
from protocol.envelope import sign_json

Status = Literal["accepted", "duplicate", "gap", "equivocation", "rejected"]


@dataclass(frozen=True, slots=True)
class AppendResult:
    status: Status
    id: str | None = None
    envelope: Envelope | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LocalDraft:
    """What our node says; seq and prev are assigned inside the write transaction."""

    kind: str
    scope: str
    body: dict[str, Any]
    actor: str | None = None
    refs: tuple[str, ...] = ()


def _head(conn: sqlite3.Connection, author: str, scope: str) -> tuple[FeedHead | None, bool]:
    row = conn.execute(
        "SELECT head_seq, head_id, frozen FROM feeds WHERE author = ? AND scope = ?",
        (author, scope),
    ).fetchone()
    if row is None:
        return None, False
    return FeedHead(row[0], row[1]), bool(row[2])


def _store(conn: sqlite3.Connection, env: Envelope, env_id: str, now: str) -> None:
    header = env.header()
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
            encode(header),
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
    project(conn, env, env_id)


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
    env_id = envelope_id(env)
    _store(conn, env, env_id, ts)
    return AppendResult("accepted", env_id, env)


def append_remote(
    conn: sqlite3.Connection, env: Envelope, env_id: str, now: dt.datetime
) -> AppendResult:
    """Place a verified envelope from elsewhere in its feed; store it if it is next."""
    head, frozen = _head(conn, env.author, env.scope)
    if frozen:
        return AppendResult(
            "rejected", env_id, code=ErrorCode.FEED_FROZEN, message="feed frozen by equivocation"
        )
    row = conn.execute(
        "SELECT id FROM envelopes WHERE author = ? AND scope = ? AND seq = ?",
        (env.author, env.scope, env.seq),
    ).fetchone()
    try:
        placement = place(env, env_id, head, row[0] if row else None)
    except RemoteProtocolError as exc:
        return AppendResult("rejected", env_id, code=exc.code, message=exc.message)
    if placement is Placement.DUPLICATE:
        return AppendResult("duplicate", env_id, env)
    if placement is Placement.GAP:
        return AppendResult("gap", env_id, code=ErrorCode.FEED_GAP, message="earlier seqs missing")
    if placement is Placement.EQUIVOCATION:
        conn.execute(
            "INSERT OR IGNORE INTO equivocations (id, held_id, author, scope, seq, envelope,"
            " detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (env_id, row[0], env.author, env.scope, env.seq, env.to_bytes(), format_ts(now)),
        )
        conn.execute(
            "UPDATE feeds SET frozen = 1 WHERE author = ? AND scope = ?", (env.author, env.scope)
        )
        return AppendResult(
            "equivocation",
            env_id,
            code=ErrorCode.FEED_EQUIVOCATION,
            message=f"seq {env.seq} already holds {row[0]}",
        )
    _store(conn, env, env_id, format_ts(now))
    return AppendResult("accepted", env_id, env)
