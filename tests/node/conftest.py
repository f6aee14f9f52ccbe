"""A real node on a real SQLite file in tmp_path, with a fixed key and a fixed clock.

Helpers are fixtures (the test tree is not a package): ``sign_env`` signs an envelope of
any key's feed, ``exported`` re-opens everything a store exports, ``projections`` reads
every projection table, ``nst`` runs the real command on a data directory.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from node.clock import FixedClock
from node.config import Config
from node.service import Node
from node.store import SQLiteStore
from node.store.projection import PROJECTION_TABLES
from protocol import Draft, Envelope, envelope_id, loads, open_envelope, sign

START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)

SignFn = Callable[..., tuple[Envelope, str]]
Snapshot = dict[str, list[tuple[Any, ...]]]


def make_store(data_dir: Path) -> SQLiteStore:
    return SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")


def snapshot(conn: sqlite3.Connection) -> Snapshot:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in PROJECTION_TABLES}


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return SigningKey(b"\x11" * 32)


@pytest.fixture(scope="session")
def peer_key() -> SigningKey:
    return SigningKey(b"\x22" * 32)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def new_store() -> Callable[[Path], SQLiteStore]:
    """``new_store(data_dir)``: an unopened store on ``data_dir/nst.sqlite3``."""
    return make_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with make_store(tmp_path) as s:
        yield s


@pytest.fixture
def node(tmp_path: Path, store: SQLiteStore, key: SigningKey, clock: FixedClock) -> Node:
    return Node(Config(data_dir=tmp_path, name="Riverside Tenants"), store, key, clock)


@pytest.fixture(scope="session")
def sign_env() -> SignFn:
    """``sign_env(key, scope, seq, prev, kind=…, body=…, refs=…)`` -> (envelope, id)."""

    def make(
        key: SigningKey,
        scope: str,
        seq: int,
        prev: str | None,
        *,
        kind: str = "message",
        body: dict[str, Any] | None = None,
        refs: tuple[str, ...] = (),
    ) -> tuple[Envelope, str]:
        draft = Draft(
            kind=kind,
            scope=scope,
            seq=seq,
            prev=prev,
            body={"text": f"message {seq}"} if body is None else body,
            ts="2026-11-22T10:00:00Z",
            refs=refs,
        )
        env = sign(draft, key)
        return env, envelope_id(env)

    return make


@pytest.fixture(scope="session")
def exported() -> Callable[[SQLiteStore], Awaitable[list[tuple[Envelope, str]]]]:
    """Every envelope a store exports, each parsed, verified and identified afresh."""

    async def run(store: SQLiteStore) -> list[tuple[Envelope, str]]:
        return [open_envelope(loads(line)) async for line in store.export_lines()]

    return run


@pytest.fixture(scope="session")
def projections() -> Callable[[SQLiteStore], Awaitable[Snapshot]]:
    """Every row of every projection table, read in one consistent transaction."""

    async def run(store: SQLiteStore) -> Snapshot:
        return await store.write(snapshot)

    return run


NstFn = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def nst() -> NstFn:
    """``nst(*args, data_dir=…, ok=True)``: the real ``nst`` command (``python -m node``)
    on ``data_dir``, with no NST_ settings of the environment and its own XDG data home;
    asserts that it succeeded (or failed, with ``ok=False``)."""

    def run(*args: str, data_dir: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        env["XDG_DATA_HOME"] = str(data_dir.parent / "xdg")
        proc = subprocess.run(
            [sys.executable, "-m", "node", *args, "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            env=env,
        )
        assert (proc.returncode == 0) == ok, proc.stderr
        return proc

    return run
