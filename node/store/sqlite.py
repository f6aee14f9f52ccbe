"""The SQLite store: WAL, foreign keys, busy_timeout, migrations; one writer thread with
group commit for every change; reads never queue behind writes: short ones on a read
connection of the calling thread, long ones (exports, feed pages) on an aiosqlite
reader thread."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import orjson
from nacl.signing import SigningKey

import node.store.governance as governance
from node.store.codec import envelope_from_row, envelope_json_from_row
from node.store.log import append_local, append_remote_batch
from node.store.migrate import migrate, refuse_newer
from node.store.projection import rebuild
from node.store.records import AppendResult, LocalDraft, OrderMark
from node.store.state import declared_roles
from node.store.writer import GroupWriter
from protocol import Envelope, scope_owner

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
QUICK_BUSY_MS = 20  # the longest a read on the event loop's thread may wait for a lock
_CIRCLE_SELECT = (
    "SELECT id, home, name, aim, domain, parent, federated, silence, round_hours,"
    " (SELECT body FROM envelopes WHERE id = circles.envelope_id) FROM circles"
)


def _configure(conn: sqlite3.Connection, synchronous: str) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")


class SQLiteStore:
    """Everything the node keeps, in one SQLite file."""

    def __init__(self, path: Path, *, backup_dir: Path, synchronous: str = "NORMAL") -> None:
        self.path = path
        self.backup_dir = backup_dir
        self.synchronous = synchronous
        self.schema_version = 0
        self._writer = GroupWriter(self._connect_writer)
        self._reader: aiosqlite.Connection | None = None
        self._quick: sqlite3.Connection | None = None

    def _connect_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            refuse_newer(conn, self.path)
            _configure(conn, self.synchronous)
            self.schema_version = migrate(conn, self.path, self.backup_dir)
        except BaseException:
            conn.close()
            raise
        return conn

    async def open(self) -> None:
        await self._writer.start()
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._reader.execute("PRAGMA foreign_keys = ON")
        await self._reader.execute("PRAGMA query_only = ON")
        self._quick = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._quick.execute(f"PRAGMA busy_timeout = {QUICK_BUSY_MS}")
        self._quick.execute("PRAGMA foreign_keys = ON")
        self._quick.execute("PRAGMA query_only = ON")

    async def close(self) -> None:
        """Drain every submitted write, then close."""
        await self._writer.close()
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._quick is not None:
            self._quick.close()
            self._quick = None

    async def __aenter__(self) -> SQLiteStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- writes -------------------------------------------------------------------------

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` atomically in the next group commit (nothing half-applied)."""
        return await self._writer.submit(fn)

    async def append_local(
        self, draft: LocalDraft, key: SigningKey, now: dt.datetime
    ) -> AppendResult:
        return await self._writer.submit(lambda c: append_local(c, draft, key, now))

    async def append_remote(
        self,
        items: Sequence[tuple[Envelope, str]],
        now: dt.datetime,
        *,
        self_id: str | None = None,
        sender: str | None = None,
        order: Sequence[OrderMark | None] | None = None,
    ) -> list[AppendResult]:
        """Append verified envelopes in one transaction, in order (see log.append_remote),
        with the circle positions their home sent (``order``, one per item or None)."""
        batch, marks = list(items), None if order is None else list(order)
        return await self._writer.submit(
            lambda c: append_remote_batch(
                c, batch, now, self_id=self_id, sender=sender, order=marks
            )
        )

    async def record_order(self, scope: str, entries: Sequence[tuple[int, str, str]]) -> int:
        """Keep positions of a circle's order pulled from its home, then apply what they
        allow; how many were applied. A conflicting position stops the page (§13)."""

        def run(conn: sqlite3.Connection) -> int:
            for pos, env_id, at in entries:
                governance.record(conn, scope, pos, env_id, at)
            return governance.apply_pending(conn, scope)

        return await self._writer.submit(run)

    async def rebuild_projections(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            n = rebuild(conn)
            governance.rebuild(conn)
            return n

        return await self._writer.submit(run)

    async def backup(self, target: Path) -> None:
        """An online, consistent copy of the database (SQLite's backup API)."""

        def run(conn: sqlite3.Connection) -> None:
            dest = sqlite3.connect(target)
            try:
                conn.backup(dest)
            finally:
                dest.close()

        await self._writer.run_sync(run)

    @property
    def commit_stats(self) -> tuple[int, int]:
        """(batches committed, writes committed) since open."""
        return self._writer.batches, self._writer.writes

    # --- reads --------------------------------------------------------------------------

    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        """A short read (an index lookup, a bounded page), run at once on the calling
        thread: under WAL it never waits for the writer, and it costs less than the hop
        to a reader thread. Long reads go through ``fetchall_long``."""
        assert self._quick is not None, "store is not open"
        try:
            return self._quick.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            # Rare under WAL (a recovery, a checkpoint resetting the log): wait for it
            # on the reader thread instead of holding up the event loop.
            return await self.fetchall_long(sql, params)

    async def fetchall_long(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[Any]:
        """A read that may take long (exports, feed pages), on the reader thread so the
        event loop stays free."""
        assert self._reader is not None, "store is not open"
        async with self._reader.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def get_envelope(self, env_id: str) -> Envelope | None:
        row = await self.fetchone("SELECT header, body FROM envelopes WHERE id = ?", (env_id,))
        return envelope_from_row(row[0], row[1]) if row else None

    async def feed(
        self, scope: str, author: str, after: int = 0, limit: int = 500
    ) -> list[Envelope]:
        rows = await self.fetchall_long(
            "SELECT header, body FROM envelopes WHERE author = ? AND scope = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (author, scope, after, limit),
        )
        return [envelope_from_row(h, b) for h, b in rows]

    async def feed_bytes(
        self, scope: str, author: str, after: int = 0, limit: int = 500
    ) -> list[bytes]:
        """A page of one author's feed as canonical envelope bytes (no decoding)."""
        rows = await self.fetchall_long(
            "SELECT header, body FROM envelopes WHERE author = ? AND scope = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (author, scope, after, limit),
        )
        return [envelope_json_from_row(h, b) for h, b in rows]

    async def heads(self, scope: str) -> dict[str, int]:
        rows = await self.fetchall("SELECT author, head_seq FROM feeds WHERE scope = ?", (scope,))
        return {a: s for a, s in rows}

    async def current_home(self, scope: str) -> str:
        """The node that orders ``scope`` now (PROTOCOL.md §13.15)."""
        row = await self.fetchone("SELECT home FROM circles WHERE id = ?", (scope,))
        return str(row[0]) if row is not None else scope_owner(scope)

    async def order_source(self, scope: str) -> str:
        """The node this node pulls a circle's order from: its current home, or, while it
        catches up after accepting an invitation, the home the invitation came from."""
        row = await self.fetchone(
            "SELECT i.home FROM circle_invitations i WHERE i.scope = ?"
            " AND i.status IN ('pending', 'accepted') AND NOT EXISTS"
            " (SELECT 1 FROM gov_effects g WHERE g.envelope_id = i.invitation)",
            (scope,),
        )
        return str(row[0]) if row is not None else await self.current_home(scope)

    async def export_lines(self, batch: int = 1000) -> AsyncIterator[bytes]:
        """Every envelope held, in arrival order, as canonical JSON bytes."""
        last = 0
        while True:
            rows = await self.fetchall_long(
                "SELECT rowid, header, body FROM envelopes WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for rowid, header, body in rows:
                last = rowid
                yield envelope_json_from_row(header, body)

    async def order_lines(self) -> AsyncIterator[bytes]:
        """Every position of the circle orders (§13), which the governance state is
        derived from, as ``{"circle_order": {at, id, pos, scope}}``."""
        for scope, pos, env_id, at in await self.fetchall(
            "SELECT scope, pos, envelope_id, at FROM circle_order ORDER BY scope, pos"
        ):
            yield orjson.dumps(
                {"circle_order": {"at": at, "id": env_id, "pos": pos, "scope": scope}}
            )

    async def equivocation_lines(self) -> AsyncIterator[bytes]:
        """The evidence of every equivocation held (PROTOCOL.md §7.3), each as
        ``{"equivocation": [held envelope, second envelope]}``."""
        for header, body, second in await self.fetchall_long(
            "SELECT e.header, e.body, q.envelope FROM equivocations q JOIN envelopes e"
            " ON e.id = q.held_id ORDER BY q.author, q.scope, q.seq, q.id"
        ):
            yield (
                b'{"equivocation":[' + envelope_json_from_row(header, body) + b"," + second + b"]}"
            )

    async def counts(self) -> dict[str, int]:
        rows = await self.fetchall("SELECT kind, n FROM kind_counts ORDER BY kind")
        return {k: n for k, n in rows}

    async def equivocations(self) -> list[dict[str, Any]]:
        rows = await self.fetchall(
            "SELECT id, held_id, author, scope, seq, detected_at FROM equivocations"
            " ORDER BY detected_at"
        )
        keys = ("id", "held_id", "author", "scope", "seq", "detected_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    async def circle_rows(self, circle_id: str | None = None) -> list[dict[str, Any]]:
        """Every circle by name, or only ``circle_id``."""
        if circle_id is None:
            rows = await self.fetchall(_CIRCLE_SELECT + " ORDER BY name")
        else:
            rows = await self.fetchall(_CIRCLE_SELECT + " WHERE id = ?", (circle_id,))
        keys = ("id", "home", "name", "aim", "domain", "parent", "federated", "silence")
        out = []
        for r in rows:
            d = dict(zip(keys, r[:8], strict=True))
            d["federated"] = bool(d["federated"])
            d["round_hours"] = r[8]
            d["roles"] = declared_roles(r[9])
            held = orjson.loads(r[9]) if r[9] is not None else {}
            d["charter"] = held if isinstance(held, dict) else {}  # the charter in force
            out.append(d)
        return out

    async def circle_member_rows(self, circle_id: str) -> list[dict[str, Any]]:
        rows = await self.fetchall(
            "SELECT member, status, roles, term_end, final_seq, invitation FROM circle_members"
            " WHERE circle_id = ? ORDER BY member",
            (circle_id,),
        )
        return [
            {
                "member": m,
                "status": s,
                "roles": orjson.loads(r),
                "term_end": t,
                "final_seq": f,
                "invitation": i,
            }
            for m, s, r, t, f, i in rows
        ]
