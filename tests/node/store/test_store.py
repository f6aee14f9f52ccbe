"""The SQLite store on real files: migrations, pragmas, group commit, feeds, retraction,
projections, concurrent reads and a draining close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

import node.store.migrate as migrate_mod
from node.clock import FixedClock
from node.config import Config
from node.service import Node
from node.store import LocalDraft, SchemaTooNewError, SQLiteStore
from node.store.campaigns import CAMPAIGN_TABLES
from node.store.migrate import latest_version
from node.store.sqlite import BUSY_TIMEOUT_MS, QUICK_BUSY_MS
from node.store.writer import WriterClosedError
from protocol import (
    Envelope,
    RemoteProtocolError,
    check_chain,
    circle_id,
    loads,
    node_id_of,
    open_envelope,
)

SignFn = Callable[..., tuple[Envelope, str]]
Snapshot = dict[str, list[tuple[Any, ...]]]
Exported = Callable[[SQLiteStore], Awaitable[list[tuple[Envelope, str]]]]
Projections = Callable[[SQLiteStore], Awaitable[Snapshot]]
NewStore = Callable[[Path], SQLiteStore]


def general(key: SigningKey) -> str:
    return circle_id("general", node_id_of(key))


def message(key: SigningKey, text: str, scope: str | None = None) -> LocalDraft:
    return LocalDraft("message", scope or general(key), {"text": text})


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


# --- migrations ----------------------------------------------------------------------------


async def test_fresh_database_reaches_the_latest_version_without_a_backup(
    tmp_path: Path, new_store: NewStore
) -> None:
    async with new_store(tmp_path) as store:
        assert store.schema_version == latest_version() >= 1
        tables = {r[0] for r in await store.fetchall("SELECT name FROM sqlite_master")}
    assert {"envelopes", "feeds", "equivocations", "members", "circles"} <= tables
    assert user_version(tmp_path / "nst.sqlite3") == latest_version()
    assert not (tmp_path / "backups").exists()


async def test_a_newer_schema_is_refused_and_left_byte_for_byte_unchanged(
    tmp_path: Path, new_store: NewStore
) -> None:
    path = tmp_path / "nst.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        f"CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('kept');"
        f"PRAGMA user_version = {latest_version() + 3};"
    )
    conn.close()
    before = path.read_bytes()

    store = new_store(tmp_path)
    with pytest.raises(SchemaTooNewError, match="newer NST"):
        await store.open()
    await store.close()

    assert path.read_bytes() == before
    assert user_version(path) == latest_version() + 3
    assert not (tmp_path / "backups").exists()


async def test_migrating_an_older_database_writes_a_backup_first(
    tmp_path: Path, new_store: NewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with new_store(tmp_path) as store:
        await store.write(
            lambda c: c.execute(
                "INSERT INTO members (handle, display_name, role, created_at)"
                " VALUES ('ana', 'Ana', 'admin', 'now')"
            )
        )
    shipped = migrate_mod.migrations()
    extra = (len(shipped) + 1, "CREATE TABLE extra (x INTEGER NOT NULL);")
    monkeypatch.setattr(migrate_mod, "migrations", lambda: [*shipped, extra])

    async with new_store(tmp_path) as store:
        assert store.schema_version == len(shipped) + 1
        assert await store.fetchall("SELECT * FROM extra") == []
        assert await store.fetchone("SELECT handle FROM members") == ("ana",)

    backups = list((tmp_path / "backups").iterdir())
    assert [b.name.startswith(f"pre-migration-v{len(shipped)}-") for b in backups] == [True]
    assert user_version(backups[0]) == len(shipped)
    copy = sqlite3.connect(backups[0])
    try:
        assert copy.execute("SELECT handle FROM members").fetchall() == [("ana",)]
        assert copy.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall() == []
    finally:
        copy.close()


PUBLIC_SITE_TABLES = (
    "site_settings",
    "site_editors",
    "public_campaign_optouts",
    "articles",
    "article_images",
)


async def test_a_member_node_from_before_acceptances_stays_one_after_a_rebuild(
    tmp_path: Path, new_store: NewStore, key: SigningKey, peer_key: SigningKey, clock: FixedClock
) -> None:
    """A node made a member of a circle before nodes had to accept (schema 14) keeps its
    place when the projections are rebuilt from the log, which holds no acceptance."""
    peer = node_id_of(peer_key)
    async with new_store(tmp_path) as store:
        home = Node(Config(data_dir=tmp_path), store, key, clock)
        coalition = await home.create_circle("Coalition", "Together", federated=True)
        await home.set_membership(coalition.id, peer)
    # The same database as schema 14 left it: the node active, nothing of invitations.
    conn = sqlite3.connect(tmp_path / "nst.sqlite3")
    try:
        later = "DROP TABLE allies; DROP TABLE ally_consents; DROP TABLE ally_salt;"  # 21
        later += "".join(f"DROP TABLE {t};" for t in CAMPAIGN_TABLES)  # schema 16
        later += "DROP TABLE brief_subscribers; DROP TABLE brief_consents;"  # schema 20
        later += "DROP TABLE brief_issues;"
        later += "DROP TABLE osdi_tokens;"  # schema 17
        later += "".join(f"DROP TABLE {t};" for t in PUBLIC_SITE_TABLES)  # schema 19
        later += "DROP TABLE mail_outbox; DROP TABLE mail_bounces; DROP TABLE member_mail;"  # 18
        later += "DROP TABLE meeting_minutes; DROP TABLE meeting_actions; DROP TABLE backlog;"
        later += "ALTER TABLE meetings DROP COLUMN approved_by;"  # schema 26, with the next
        later += "ALTER TABLE meetings DROP COLUMN approved_version;"
        conn.executescript(
            later + "DROP TABLE circle_invitations; DROP TABLE memberships_before_acceptance;"
            " ALTER TABLE circle_members DROP COLUMN invitation;"
            " UPDATE circle_members SET status = 'active'; PRAGMA user_version = 14;"
        )
    finally:
        conn.close()
    async with new_store(tmp_path) as store:
        assert store.schema_version == latest_version()
        await store.rebuild_projections()
        rows = await store.circle_member_rows(coalition.id)
        assert [(r["member"], r["status"]) for r in rows] == [(peer, "active")]


async def test_a_failing_migration_is_rolled_back_and_the_version_kept(
    tmp_path: Path, new_store: NewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with new_store(tmp_path):
        pass
    shipped = migrate_mod.migrations()
    broken = (len(shipped) + 1, "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);")
    monkeypatch.setattr(migrate_mod, "migrations", lambda: [*shipped, broken])

    store = new_store(tmp_path)
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await store.open()
    await store.close()

    path = tmp_path / "nst.sqlite3"
    assert user_version(path) == len(shipped)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall() == []
    finally:
        conn.close()
    assert len(list((tmp_path / "backups").iterdir())) == 1


# --- connection settings ---------------------------------------------------------------------


async def test_wal_foreign_keys_and_busy_timeout_are_on(store: SQLiteStore) -> None:
    def pragmas(conn: sqlite3.Connection) -> tuple[object, ...]:
        return tuple(
            conn.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        )

    assert await store.write(pragmas) == ("wal", 1, BUSY_TIMEOUT_MS, 1)
    assert await store.fetchone("PRAGMA journal_mode") == ("wal",)
    assert await store.fetchone("PRAGMA foreign_keys") == (1,)
    # Short reads on the event loop's thread wait briefly, then retry on the reader
    # thread, which waits as long as the writer does.
    assert await store.fetchone("PRAGMA busy_timeout") == (QUICK_BUSY_MS,)
    assert await store.fetchall_long("PRAGMA busy_timeout") == [(BUSY_TIMEOUT_MS,)]

    def orphan(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO circle_members (circle_id, member, status, roles, envelope_id)"
            " VALUES ('circle:none', 'x', 'active', '[]', 'sha256:none')"
        )

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await store.write(orphan)


async def test_the_reader_connection_cannot_write(store: SQLiteStore) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await store.fetchall("DELETE FROM members")


# --- group commit ------------------------------------------------------------------------------


async def test_concurrent_local_appends_share_commits_and_chain_one_feed(
    store: SQLiteStore, key: SigningKey, clock: FixedClock, exported: Exported
) -> None:
    n = 2000
    batches0, writes0 = store.commit_stats
    results = await asyncio.gather(
        *(store.append_local(message(key, f"note {i}"), key, clock.now()) for i in range(n))
    )
    batches, writes = store.commit_stats[0] - batches0, store.commit_stats[1] - writes0

    assert writes == n
    assert batches <= n // 50, f"{batches} commits for {n} writes"
    ids = [r.id for r in results]
    assert all(r.status == "accepted" for r in results)
    assert len(set(ids)) == n

    feed = await store.feed(general(key), node_id_of(key), limit=n + 1)
    assert [e.seq for e in feed] == list(range(1, n + 1))
    held = await exported(store)
    assert sorted(i for _, i in held) == sorted(ids)
    by_seq = sorted(held, key=lambda p: p[0].seq)
    assert by_seq[0][0].prev is None
    check_chain(by_seq)
    assert await store.heads(general(key)) == {node_id_of(key): n}
    assert await store.fetchone(
        "SELECT head_id FROM feeds WHERE author = ?", (node_id_of(key),)
    ) == (by_seq[-1][1],)


async def test_a_failing_write_is_rolled_back_alone_in_its_batch(store: SQLiteStore) -> None:
    def add(handle: str, fail: bool = False) -> Callable[[sqlite3.Connection], str]:
        def run(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO members (handle, display_name, role, created_at)"
                " VALUES (?, ?, 'member', 'now')",
                (handle, handle.title()),
            )
            if fail:
                raise ValueError(f"{handle} changed its mind")
            return handle

        return run

    batches0, _ = store.commit_stats
    outcomes = await asyncio.gather(
        store.write(add("ana")),
        store.write(add("bo", fail=True)),
        store.write(add("cy")),
        return_exceptions=True,
    )
    assert outcomes[0] == "ana"
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[2] == "cy"
    assert store.commit_stats[0] - batches0 == 1, "the three writes shared one commit"
    assert await store.fetchall("SELECT handle FROM members ORDER BY handle") == [
        ("ana",),
        ("cy",),
    ]


async def test_a_local_draft_that_breaks_its_schema_leaves_no_trace(
    store: SQLiteStore, key: SigningKey, clock: FixedClock
) -> None:
    ok = await store.append_local(message(key, "first"), key, clock.now())
    bad = LocalDraft("message", general(key), {"text": "x", "colour": "red"})
    with pytest.raises(RemoteProtocolError) as info:
        await store.append_local(bad, key, clock.now())
    assert info.value.code == "schema.unknown_field"
    nxt = await store.append_local(message(key, "second"), key, clock.now())
    assert nxt.envelope is not None
    assert (nxt.envelope.seq, nxt.envelope.prev) == (2, ok.id)
    assert await store.counts() == {"message": 2}


# --- remote envelopes -------------------------------------------------------------------------


async def test_append_remote_accepts_dedupes_and_refuses_gaps_and_bad_prev(
    store: SQLiteStore, peer_key: SigningKey, key: SigningKey, clock: FixedClock, sign_env: SignFn
) -> None:
    scope = general(key)
    e1 = sign_env(peer_key, scope, 1, None)
    e2 = sign_env(peer_key, scope, 2, e1[1])
    e3 = sign_env(peer_key, scope, 3, e2[1])

    [r] = await store.append_remote([e1], clock.now())
    assert (r.status, r.id) == ("accepted", e1[1])
    before = [line async for line in store.export_lines()]

    results = await store.append_remote([e1, e3], clock.now())
    assert [r.status for r in results] == ["duplicate", "gap"]
    assert results[1].code == "feed.gap"
    assert [line async for line in store.export_lines()] == before
    assert await store.counts() == {"message": 1}
    assert await store.heads(scope) == {node_id_of(peer_key): 1}

    forked = sign_env(peer_key, scope, 2, "sha256:" + "A" * 43)
    [r] = await store.append_remote([forked], clock.now())
    assert (r.status, r.code) == ("rejected", "feed.bad_prev")
    assert [line async for line in store.export_lines()] == before

    results = await store.append_remote([e2, e3], clock.now())
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert await store.heads(scope) == {node_id_of(peer_key): 3}
    assert await store.get_envelope(e3[1]) == e3[0]


async def test_equivocation_is_kept_as_evidence_and_freezes_the_feed(
    store: SQLiteStore, peer_key: SigningKey, key: SigningKey, clock: FixedClock, sign_env: SignFn
) -> None:
    scope = general(key)
    e1 = sign_env(peer_key, scope, 1, None)
    e2 = sign_env(peer_key, scope, 2, e1[1])
    twin = sign_env(peer_key, scope, 2, e1[1], body={"text": "the other story"})
    e3 = sign_env(peer_key, scope, 3, e2[1])
    await store.append_remote([e1, e2], clock.now())

    [r] = await store.append_remote([twin], clock.now())
    assert (r.status, r.code) == ("equivocation", "feed.equivocation")
    [evidence] = await store.equivocations()
    assert evidence["id"] == twin[1]
    assert evidence["held_id"] == e2[1]
    assert (evidence["author"], evidence["scope"], evidence["seq"]) == (
        node_id_of(peer_key),
        scope,
        2,
    )
    [(raw,)] = await store.fetchall("SELECT envelope FROM equivocations")
    assert open_envelope(loads(raw)) == twin
    assert await store.get_envelope(twin[1]) is None
    assert await store.fetchone("SELECT frozen FROM feeds WHERE scope = ?", (scope,)) == (1,)

    results = await store.append_remote([e3, e1, twin], clock.now())
    assert [(r.status, r.code) for r in results] == [("rejected", "feed.frozen")] * 3
    assert await store.heads(scope) == {node_id_of(peer_key): 2}
    assert len(await store.equivocations()) == 1

    # Other feeds are untouched by the freeze.
    mine = await store.append_local(message(key, "still here"), key, clock.now())
    assert mine.status == "accepted"


# --- retraction ---------------------------------------------------------------------------------


async def test_retract_drops_the_body_and_the_export_still_verifies(
    store: SQLiteStore,
    key: SigningKey,
    peer_key: SigningKey,
    clock: FixedClock,
    sign_env: SignFn,
    exported: Exported,
) -> None:
    scope = general(key)
    secret = await store.append_local(message(key, "my phone is 555-0100"), key, clock.now())
    kept = await store.append_local(message(key, "kept"), key, clock.now())
    assert secret.id is not None
    assert kept.id is not None
    # A peer cannot retract what we said.
    p1 = sign_env(peer_key, scope, 1, None, kind="retract", body={"target": secret.id})
    await store.append_remote([p1], clock.now())
    assert (await store.get_envelope(secret.id)).body is not None  # type: ignore[union-attr]

    await store.append_local(
        LocalDraft("retract", scope, {"target": secret.id, "reason": "personal data"}),
        key,
        clock.now(),
    )
    assert await store.fetchone("SELECT body FROM envelopes WHERE id = ?", (secret.id,)) == (None,)
    gone = await store.get_envelope(secret.id)
    assert gone is not None
    assert gone.body is None
    assert (await store.get_envelope(kept.id)).body == {"text": "kept"}  # type: ignore[union-attr]

    lines = [line async for line in store.export_lines()]
    assert not any(b"555-0100" in line for line in lines)
    held = await exported(store)
    assert [i for _, i in held][:2] == [secret.id, kept.id]
    mine = [p for p in held if p[0].author == node_id_of(key)]
    check_chain(mine)
    assert [e.seq for e, _ in mine] == [1, 2, 3]


# --- projections --------------------------------------------------------------------------------


async def populate(store: SQLiteStore, key: SigningKey, clock: FixedClock) -> list[str]:
    me = node_id_of(key)
    parent, child = circle_id("general", me), circle_id("housing", me)
    drafts = [
        LocalDraft("circle", parent, {"name": "General", "aim": "Coordinate"}),
        LocalDraft("circle", child, {"name": "Housing", "aim": "Homes", "parent": parent}),
        LocalDraft("membership", parent, {"member": f"ana@{me}", "status": "active"}),
        LocalDraft(
            "membership",
            child,
            {"member": f"ana@{me}", "status": "active", "roles": ["leader"]},
        ),
        LocalDraft("circle", parent, {"name": "General circle", "aim": "Coordinate all"}),
        LocalDraft("membership", parent, {"member": f"bo@{me}", "status": "active"}),
        LocalDraft("membership", parent, {"member": f"bo@{me}", "status": "removed"}),
        message(key, "hello", parent),
    ]
    ids = []
    for d in drafts:
        r = await store.append_local(d, key, clock.now())
        assert r.id is not None
        ids.append(r.id)
    return ids


async def test_rebuild_gives_identical_projections(
    store: SQLiteStore, key: SigningKey, clock: FixedClock, projections: Projections
) -> None:
    ids = await populate(store, key, clock)
    await store.append_local(
        LocalDraft("retract", general(key), {"target": ids[-1]}), key, clock.now()
    )
    live = await projections(store)
    assert len(live["circles"]) == 2
    assert len(live["circle_members"]) == 3
    assert dict(live["kind_counts"]) == {"circle": 3, "membership": 4, "message": 1, "retract": 1}

    # Damage every table, then rebuild from the log.
    def damage(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE circles SET name = 'wrong'")
        conn.execute("UPDATE circle_members SET status = 'removed'")
        conn.execute("DELETE FROM kind_counts WHERE kind = 'message'")

    await store.write(damage)
    assert await projections(store) != live
    assert await store.rebuild_projections() == 9
    assert await projections(store) == live


async def test_a_retracted_charter_or_membership_keeps_the_state_rebuildable(
    store: SQLiteStore, key: SigningKey, clock: FixedClock, projections: Projections
) -> None:
    ids = await populate(store, key, clock)
    for target in (ids[0], ids[2]):  # the parent's first charter, ana's membership
        await store.append_local(
            LocalDraft("retract", general(key), {"target": target}), key, clock.now()
        )
    for target in (ids[0], ids[2]):
        env = await store.get_envelope(target)
        assert env is not None
        assert env.body is not None
    live = await projections(store)
    assert await store.rebuild_projections() == 10
    assert await projections(store) == live


# --- concurrency and shutdown ------------------------------------------------------------------


async def test_reads_answer_while_a_long_write_batch_is_in_flight(store: SQLiteStore) -> None:
    inside = threading.Event()

    def slow(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO members (handle, display_name, role, created_at)"
            " VALUES ('slow', 'Slow', 'member', 'now')"
        )
        inside.set()
        time.sleep(0.8)

    write = asyncio.create_task(store.write(slow))
    assert await asyncio.to_thread(inside.wait, 5)
    t0 = time.perf_counter()
    row = await store.fetchone("SELECT count(*) FROM members")
    elapsed = time.perf_counter() - t0
    assert not write.done(), "the write finished before the read: nothing was shown"
    assert row == (0,), "the read saw an uncommitted write"
    assert elapsed < 0.4, f"the read waited {elapsed:.2f}s behind the write"
    await write
    assert await store.fetchone("SELECT count(*) FROM members") == (1,)


async def test_close_drains_every_submitted_write(
    tmp_path: Path, new_store: NewStore, key: SigningKey, clock: FixedClock
) -> None:
    store = new_store(tmp_path)
    await store.open()
    tasks = [
        asyncio.create_task(store.append_local(message(key, f"m{i}"), key, clock.now()))
        for i in range(300)
    ]
    await asyncio.sleep(0)  # every task has submitted its write
    await store.close()
    assert all(t.done() for t in tasks)
    ids = {t.result().id for t in tasks}
    assert len(ids) == 300

    async with new_store(tmp_path) as again:
        rows = await again.fetchall("SELECT id FROM envelopes")
    assert {r[0] for r in rows} == ids


async def test_writes_after_close_are_refused(store: SQLiteStore) -> None:
    await store.close()
    with pytest.raises(WriterClosedError):
        await store.write(lambda c: None)


async def test_a_short_read_that_meets_a_lock_finishes_on_the_reader_thread(
    store: SQLiteStore,
) -> None:
    class Locked:
        """SQLite's answer when a lock outlasts the short busy timeout."""

        def execute(self, sql: str, params: object = ()) -> None:
            raise sqlite3.OperationalError("database is locked")

    quick = store._quick
    store._quick = Locked()  # type: ignore[assignment]
    try:
        assert await store.fetchone("SELECT count(*) FROM envelopes") == (0,)
    finally:
        store._quick = quick
