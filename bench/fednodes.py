"""Real nodes for the federation bench: data directories prepared through the Python API,
`nst run --dev` processes on 127.0.0.1, and a reader of their JSON logs.

A node directory is made the way `nst init` makes one (config, key, migrated database);
linking, circles and invites are written through the node's own services before the
process starts, so what runs afterwards is exactly `nst run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from nacl.signing import SigningKey

from federation.invites import Invite, new_token, token_hash
from node.clock import SystemClock
from node.config import Config, render_config
from node.keyfile import write_key
from node.peers import Peers
from node.service import Node
from node.store import SQLiteStore
from protocol import envelope_id, node_id_of, parse_envelope

T = TypeVar("T")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class NodeDir:
    """A node's directory, identity and address (the process is started separately)."""

    path: Path
    name: str
    key: SigningKey
    port: int = field(default_factory=free_port)

    @property
    def node_id(self) -> str:
        return node_id_of(self.key)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def db(self) -> Path:
        return self.path / "nst.sqlite3"

    def config(self) -> Config:
        return Config(data_dir=self.path, name=self.name, listen_port=self.port, dev_mode=True)

    def node(self) -> Node:
        store = SQLiteStore(self.db, backup_dir=self.path / "backups")
        return Node(self.config(), store, self.key, SystemClock())

    @contextlib.asynccontextmanager
    async def with_store(self) -> AsyncIterator[Node]:
        """The node's service on its store, opened in this process (the node process is
        stopped, or running beside us: SQLite WAL lets both write)."""
        node = self.node()
        async with node.store:
            yield node

    async def with_node(self, fn: Callable[[Node, Peers], Awaitable[T]]) -> T:
        async with self.with_store() as node:
            return await fn(node, Peers(node.store, node.clock, node.node_id))


def make_node(root: Path, name: str) -> NodeDir:
    """Config, key and a migrated database, as `nst init` leaves them."""
    nd = NodeDir(root / name, name, SigningKey.generate())
    nd.path.mkdir(mode=0o700, parents=True)
    (nd.path / "config.toml").write_text(render_config(nd.config()))
    write_key(nd.path / "node.key", nd.key)

    async def migrate() -> None:
        async with SQLiteStore(nd.db, backup_dir=nd.path / "backups"):
            pass

    asyncio.run(migrate())
    return nd


async def link_pair(a: NodeDir, b: NodeDir) -> None:
    """Both sides linked, as after a handshake (used where the handshake is not measured)."""
    await a.with_node(lambda _, peers: peers.link(b.node_id, b.url, b.name))
    await b.with_node(lambda _, peers: peers.link(a.node_id, a.url, a.name))


async def join(home: NodeDir, member: NodeDir, circle: str) -> None:
    """``member`` joins ``circle`` of ``home`` as after delivery both ways (not measured):
    the home invites it, the member takes in the invitation and its admin accepts, and the
    home takes in the acceptance (then queues the circle's history for the member)."""
    async with home.with_store() as node:
        await node.set_membership(circle, member.node_id)
        invitation = await node.store.feed_bytes(circle, home.node_id)
    async with member.with_store() as node:
        envs = [parse_envelope(raw) for raw in invitation]
        await node.store.append_remote(
            [(e, envelope_id(e)) for e in envs],
            node.clock.now(),
            self_id=member.node_id,
            sender=home.node_id,
        )
        await node.circle_invitations.accept(circle, "admin")
        accepted = await node.store.feed_bytes(circle, member.node_id)
    async with home.with_store() as node:
        env = parse_envelope(accepted[-1])
        await node.store.append_remote(
            [(env, envelope_id(env))],
            node.clock.now(),
            self_id=home.node_id,
            sender=member.node_id,
        )


async def add_invite(nd: NodeDir) -> str:
    """A fresh invite to ``nd``, stored there as `nst admin invite create` stores one."""
    token = new_token()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await nd.with_node(lambda _, peers: peers.add_invite(token_hash(token), expires, "bench"))
    return str(Invite(nd.node_id, nd.url, token))


def head_seq(db: Path, author: str, scope: str) -> int:
    """The head a node holds for one feed, read from its database file (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute(
            "SELECT head_seq FROM feeds WHERE author = ? AND scope = ?", (author, scope)
        ).fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


class Proc:
    """A node process: started, its stdout's `listening on` awaited, its JSON log read
    by a thread (timestamps of inbox requests kept), stopped with SIGTERM."""

    def __init__(self, argv: list[str], name: str) -> None:
        self.name = name
        env = {**os.environ, "NST_LOG_FORMAT": "json"}
        self.started = time.time()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.inbox_times: list[float] = []
        self.errors: list[str] = []
        self.lines: list[bytes] = []
        self._listening = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(b"listening on "):
                self._listening.set()
            else:
                self.lines.append(line)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                self.errors.append(line.decode(errors="replace").rstrip())
                continue
            if rec.get("logger") == "aiohttp.access":
                if '"POST /fed/v1/inbox ' in rec.get("event", ""):
                    stamp = dt.datetime.fromisoformat(rec["timestamp"].replace("Z", "+00:00"))
                    self.inbox_times.append(stamp.timestamp())
            elif rec.get("level") in ("error", "critical"):
                self.errors.append(str(rec.get("event")))

    def wait_listening(self, timeout: float = 30.0) -> float:
        """Seconds from spawn to `listening on`."""
        if not self._listening.wait(timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not start: {self.errors[-5:]}")
        return time.time() - self.started

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def nst_run(nd: NodeDir) -> Proc:
    """`nst run --dev` on the node's own port."""
    argv = [sys.executable, "-m", "node", "run", "--data-dir", str(nd.path), "--dev"]
    return Proc([*argv, "--listen", f"{HOST}:{nd.port}"], nd.name)


def bench_child(*args: str, name: str) -> Proc:
    return Proc([sys.executable, "-m", "bench.federation", *args], name)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


Json = dict[str, Any]
