"""Kill -9 at any moment loses no acknowledged envelope and leaves no half-applied one.

``crash_writer.py`` authors envelopes from many tasks and prints each id once its append
returned; we SIGKILL it at several moments and check the database it leaves behind.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from node.store import SQLiteStore
from protocol import Envelope, check_chain

WRITER = Path(__file__).with_name("crash_writer.py")
ID = re.compile(r"sha256:[A-Za-z0-9_-]{43}")

Exported = Callable[[SQLiteStore], Awaitable[list[tuple[Envelope, str]]]]
Projections = Callable[[SQLiteStore], Awaitable[dict[str, list[tuple[Any, ...]]]]]


def run_and_kill(data_dir: Path, after: int) -> set[str]:
    """Start the writer, SIGKILL it once ``after`` ids are acknowledged; return every
    id it acknowledged (those still in the pipe included)."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[bytes] = []
    try:
        while len(lines) < after:
            line = proc.stdout.readline()
            if not line:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"writer exited after {len(lines)} acks:\n{err}")
            lines.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    lines.extend(rest.splitlines(keepends=True))
    # A line cut short by the kill was never fully acknowledged.
    acked = {m.group(0) for raw in lines if (m := ID.fullmatch(raw.decode().rstrip("\n")))}
    assert len(acked) >= after
    return acked


def check_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


async def test_kill_9_loses_no_acknowledged_envelope(
    tmp_path: Path, exported: Exported, projections: Projections
) -> None:
    acked: set[str] = set()
    for after in (50, 300, 1000):
        acked |= run_and_kill(tmp_path, after)
        check_file(tmp_path / "nst.sqlite3")

        async with SQLiteStore(tmp_path / "nst.sqlite3", backup_dir=tmp_path / "b") as store:
            held = await exported(store)  # each line parsed, verified and identified
            ids = [i for _, i in held]
            assert len(set(ids)) == len(ids)
            missing = acked - set(ids)
            assert not missing, f"{len(missing)} acknowledged envelopes lost"

            feeds: dict[tuple[str, str], list[tuple[Envelope, str]]] = defaultdict(list)
            for env, env_id in held:
                feeds[env.author, env.scope].append((env, env_id))
            heads = {
                (a, s): (seq, head)
                for a, s, seq, head in await store.fetchall(
                    "SELECT author, scope, head_seq, head_id FROM feeds"
                )
            }
            assert set(heads) == set(feeds)
            for feed, chain in feeds.items():
                chain.sort(key=lambda p: p[0].seq)
                assert [e.seq for e, _ in chain] == list(range(1, len(chain) + 1))
                assert chain[0][0].prev is None
                check_chain(chain)
                assert heads[feed] == (len(chain), chain[-1][1])

            live = await projections(store)
            assert live["circles"], "the writer created no circle"
            assert await store.rebuild_projections() == len(held)
            assert await projections(store) == live
    assert len(acked) >= 1350
