"""Node storage figures: local authoring rate, memory after 100k envelopes, start-up time.

(a) Envelopes authored through ``Node.author`` by many concurrent tasks (group commit),
    beside this machine's raw SQLite rate for inserting the very same rows with plain
    sqlite3 (``executemany``, 100 per transaction, the same pragmas), measured in the
    same run. Target: >= 5,000 envelopes/s.
(b) RSS of a fresh process after loading 100,000 envelopes through the same write path.
    Target: < 150 MB.
(c) Start-up on that 100,000-envelope database: open SQLiteStore + Node and answer
    status() in a fresh process; and, when `nst run` exists, `python -m node run` until it
    prints `listening on` and /readyz answers 200. Target: < 2 s.

    .venv/bin/python -m bench.node [--n 20000] [--rounds 3] [--load 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from node.clock import SystemClock
from node.config import Config, render_config
from node.keyfile import write_key
from node.service import Node
from node.store import SQLiteStore
from node.store.migrate import migrations
from protocol import circle_id

SEED = b"\x05" * 32
WORKERS = 256
SCOPES = 4
TEXT = (
    "Each organization's secretary keeps the shared campaign calendar current; the "
    "general circle reviews it monthly and the housing circle reports on tenant actions."
)
LISTEN = ("--listen", "127.0.0.1:0")
COLUMNS = "id, author, scope, seq, kind, actor, ts, header, body, received_at"


def open_node(data_dir: Path) -> Node:
    store = SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")
    return Node(Config(data_dir=data_dir), store, SigningKey(SEED), SystemClock())


async def author_many(node: Node, n: int, workers: int = WORKERS) -> float:
    """Author ``n`` messages from ``workers`` concurrent tasks; seconds taken."""
    scopes = [circle_id(f"c{i}", node.node_id) for i in range(SCOPES)]
    actor = node.actor_of("ana")
    left = iter(range(n))

    async def worker() -> None:
        for i in left:
            body = {"text": f"{i:07d} {TEXT}"}
            await node.author("message", scopes[i % SCOPES], body, actor=actor)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - t0


def raw_insert(rows: list[tuple[Any, ...]], path: Path) -> float:
    """Plain sqlite3: the same rows, the same schema and pragmas, 100 per transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("busy_timeout = 10000", "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(migrations()[0][1])
    sql = f"INSERT INTO envelopes ({COLUMNS}) VALUES ({', '.join('?' * 10)})"
    t0 = time.perf_counter()
    for at in range(0, len(rows), 100):
        conn.execute("BEGIN")
        conn.executemany(sql, rows[at : at + 100])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


async def author_round(data_dir: Path, n: int) -> tuple[float, int, list[tuple[Any, ...]]]:
    """(seconds, commits, the rows stored) for ``n`` envelopes on a fresh node."""
    node = open_node(data_dir)
    async with node.store:
        elapsed = await author_many(node, n)
        batches, writes = node.store.commit_stats
        assert writes == n
        rows = await node.store.fetchall(f"SELECT {COLUMNS} FROM envelopes")
    return elapsed, batches, rows


def authoring(n: int, rounds: int) -> None:
    node_rates, raw_rates, batches, sizes = [], [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="nst-bench-") as tmp:
            d = Path(tmp)
            elapsed, b, rows = asyncio.run(author_round(d, n))
            node_rates.append(n / elapsed)
            batches.append(b)
            sizes.append(statistics.mean(len(r[7]) + len(r[8]) for r in rows))
            raw_rates.append(n / raw_insert(rows, d / "raw.sqlite3"))
    node_rate, raw_rate = statistics.median(node_rates), statistics.median(raw_rates)
    print(f"(a) local authoring: {n} envelopes of ~{statistics.mean(sizes):.0f} bytes from")
    print(f"    {WORKERS} tasks into {SCOPES} feeds, median of {rounds} rounds")
    print(f"    raw sqlite3 executemany, 100/txn (bound): {raw_rate:9.0f} rows/s")
    print(f"    Node.author, group commit:                {node_rate:9.0f} envelopes/s")
    print(f"    ratio to bound: {node_rate / raw_rate:.2f}", end="")
    print(f";  {n / statistics.median(batches):.0f} writes per commit")
    print(f"    target >= 5000 envelopes/s: {'met' if node_rate >= 5000 else 'NOT MET'}")


# --- (b) and (c) run in fresh processes, so each figure is its own ---------------------------


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def child_load(data_dir: Path, n: int) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        node = open_node(data_dir)
        async with node.store:
            before, _ = rss_mb()
            elapsed = await author_many(node, n)
            rss, hwm = rss_mb()
            count = (await node.store.fetchone("SELECT count(*) FROM envelopes"))[0]
        return {"before": before, "rss": rss, "hwm": hwm, "seconds": elapsed, "count": count}

    out = asyncio.run(run())
    out["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child_startup(data_dir: Path) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        node = open_node(data_dir)
        async with node.store:
            status = await node.status()
            elapsed = time.perf_counter() - t0
        return {"seconds": elapsed, "envelopes": sum(status["envelopes"].values())}

    return asyncio.run(run())


def in_child(*args: str) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.node", *args], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1]), time.perf_counter() - t0


def nst_run(data_dir: Path) -> tuple[float | None, str]:
    """Seconds from spawning `python -m node run` to /readyz answering 200."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "run", "--data-dir", str(data_dir), *LISTEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                err = proc.stderr.read() if proc.stderr else ""
                return None, f"exited: {err.strip().splitlines()[-1:] or proc.poll()}"
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].split()[0]
        while time.perf_counter() - t0 < 30:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - t0, url
            except urllib.error.HTTPError:
                pass
            time.sleep(0.01)
        return None, "readyz never answered 200"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def memory_and_startup(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nst-bench-"))
    try:
        load, _ = in_child("--child-load", str(tmp), str(n))
        print(f"(b) memory: {load['count']} envelopes loaded through Node.author in a fresh")
        print(f"    process ({n / load['seconds']:.0f}/s)", end="")
        print(f"; RSS before loading {load['before']:.0f} MB")
        print(f"    RSS after: {load['rss']:.0f} MB, peak {load['hwm']:.0f} MB", end="")
        print(f"  (target < 150 MB: {'met' if load['hwm'] < 150 else 'NOT MET'})")
        size = (tmp / "nst.sqlite3").stat().st_size / 2**20
        print(f"    database file {size:.0f} MB")

        startups = [in_child("--child-startup", str(tmp)) for _ in range(3)]
        inner = statistics.median(s["seconds"] for s, _ in startups)
        whole = statistics.median(w for _, w in startups)
        assert startups[0][0]["envelopes"] == load["count"]
        print(f"(c) start-up on {load['count']} envelopes, median of 3 fresh processes:")
        print(f"    SQLiteStore open + Node.status(): {inner:6.3f} s (in process)")
        print(f"    whole process incl. interpreter and imports: {whole:6.3f} s", end="")
        print(f"  (target < 2 s: {'met' if whole < 2 else 'NOT MET'})")

        (tmp / "config.toml").write_text(render_config(Config(data_dir=tmp)))
        write_key(tmp / "node.key", SigningKey(SEED))
        runs = [nst_run(tmp) for _ in range(3)]
        times = [t for t, _ in runs if t is not None]
        if len(times) == len(runs):
            t = statistics.median(times)
            print(f"    `python -m node run` until /readyz 200: {t:6.3f} s", end="")
            print(f"  (target < 2 s: {'met' if t < 2 else 'NOT MET'})")
        else:
            print(f"    `python -m node run`: not measured ({runs[-1][1]})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--load", type=int, default=100_000)
    ap.add_argument("--child-load", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-startup", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_load:
        print(json.dumps(child_load(Path(args.child_load[0]), int(args.child_load[1]))))
        return
    if args.child_startup:
        print(json.dumps(child_startup(Path(args.child_startup))))
        return
    print(f"nst node bench, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} CPUs,")
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, asyncio loop")
    authoring(args.n, args.rounds)
    memory_and_startup(args.load)


if __name__ == "__main__":
    main()
