"""Kill -9 of a real ``nst run`` loses nothing it acknowledged, inbound or outbound.

Inbound: a linked node posts a chained feed to the server's inbox in batches; we SIGKILL
the server with a large batch in flight, restart it on the same directory and check that
every envelope it answered "accepted" is there, the feed is whole, the read tables equal
a rebuild and the file is sound; then the sender carries on where the answers stopped.

Outbound: the server delivers a federated circle's backlog to a member node; we SIGKILL
it in the middle and check after a restart that the member ends up with every envelope
(the outbox row goes only once the peer answered).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nacl.public import Box
from nacl.signing import SigningKey

from federation.client import PeerClient
from federation.transport import HttpTransport, TransportError
from node.clock import SystemClock
from node.config import Config
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore
from node.store.projection import PROJECTION_TABLES
from protocol import (
    Draft,
    Envelope,
    b64encode,
    check_chain,
    envelope_id,
    node_id_of,
    parse_envelope,
    sign,
    verify_key_of,
)
from protocol.canonical import encode

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class NodeProc:
    """One node's directory, its ``nst`` commands and its ``nst run --dev`` server. The
    first start picks a free port; restarts reuse it, so peers keep the node's URL."""

    def __init__(self, root: Path, name: str) -> None:
        self.dir = root / name
        self.log = root / f"{name}.log"
        self.url = ""
        self.server: subprocess.Popen[bytes] | None = None
        self.nst("init", "--name", name)
        self.key = read_key(self.dir / "node.key")
        self.node_id = node_id_of(self.key)

    @property
    def db(self) -> Path:
        return self.dir / "nst.sqlite3"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        env.update(XDG_DATA_HOME=str(self.dir.parent / "xdg"), NST_DEV_MODE="1")
        if self.url:
            env["NST_PUBLIC_URL"] = self.url
        return env

    def nst(self, *args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "node", *args, "--data-dir", str(self.dir)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=self.env(),
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def start(self, timeout: float = 15.0) -> None:
        port = self.url.rsplit(":", 1)[1] if self.url else "0"
        argv = [sys.executable, "-m", "node", "run", "--dev", "--listen", f"127.0.0.1:{port}"]
        with self.log.open("ab") as log:  # a file: a full pipe would stall the server
            server = subprocess.Popen(
                [*argv, "--data-dir", str(self.dir)],
                stdout=subprocess.PIPE,
                stderr=log,
                env=self.env(),
            )
        self.server = server
        assert server.stdout is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and server.poll() is None:
            ready = select.select([server.stdout], [], [], left)[0]
            if ready and (m := LISTENING.search(server.stdout.readline().decode())):
                self.url = m.group(1)
                return
        self.kill()
        raise AssertionError(f"{self.dir.name} did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM: the server drains and exits 0."""
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        assert self.server.wait(timeout=15) == 0, self.log.read_text()
        self._forget()

    def kill(self) -> None:
        if self.server is not None:
            self.server.send_signal(signal.SIGKILL)
            assert self.server.wait(timeout=15) == -signal.SIGKILL
            self._forget()

    def descendants(self) -> set[int]:
        """Processes the running server started (verifier workers and their helpers)."""
        assert self.server is not None
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        found, frontier = set(), {self.server.pid}
        while frontier:
            children = {pid for pid, ppid in parents.items() if ppid in frontier}
            frontier = children - found
            found |= children
        return found

    def _forget(self) -> None:
        assert self.server is not None
        assert self.server.stdout is not None
        self.server.stdout.close()
        self.server = None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the node's database beside the running server, without writing to it."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def link_to(self, other: NodeProc) -> None:
        """Link with ``other`` (which must be serving) by its invite, from the CLI."""
        invite = other.nst("admin", "invite", "create").splitlines()[-1]
        self.nst("admin", "link", invite)


def poll(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def exported_feed(node: NodeProc, author: str, scope: str) -> list[tuple[Envelope, str]]:
    """One feed as ``nst export`` writes it: each line parsed afresh, in seq order."""
    feed = []
    for line in node.nst("export").encode().splitlines():
        if not line.startswith(b'{"actor":'):
            continue  # the circle orders, evidence and trailer follow the envelopes
        env = parse_envelope(line)
        if (env.author, env.scope) == (author, scope):
            feed.append((env, envelope_id(env)))
    return sorted(feed, key=lambda pair: pair[0].seq)


def check_sound(node: NodeProc, author: str, scope: str) -> list[tuple[Envelope, str]]:
    """The feed is whole (1..head, chained), the file is sound and its read tables are
    what a replay of the log gives."""
    assert node.query("PRAGMA integrity_check") == [("ok",)]
    assert node.query("PRAGMA foreign_key_check") == []
    feed = exported_feed(node, author, scope)
    assert [env.seq for env, _ in feed] == list(range(1, len(feed) + 1))
    assert feed[0][0].prev is None
    check_chain(feed)
    assert node.query(
        "SELECT head_seq, head_id FROM feeds WHERE author = ? AND scope = ?", (author, scope)
    ) == [(len(feed), feed[-1][1])]

    def tables() -> dict[str, list[tuple[Any, ...]]]:
        return {t: sorted(node.query(f"SELECT * FROM {t}")) for t in PROJECTION_TABLES}

    live = tables()
    node.nst("admin", "rebuild")
    assert tables() == live
    return feed


# --- inbound ------------------------------------------------------------------------------


def direct_feed(key: SigningKey, recipient: str, n: int) -> list[bytes]:
    """Messages 1..n to ``recipient`` in ``direct:<recipient>``, each chained to the one
    before; sealed to the recipient, as direct messages are (NaCl box, X25519 keys
    derived from the two Ed25519 identities)."""
    box = Box(key.to_curve25519_private_key(), verify_key_of(recipient).to_curve25519_public_key())
    out, prev = [], None
    for seq in range(1, n + 1):
        sealed = b64encode(bytes(box.encrypt(encode({"purpose": "chat", "text": f"note {seq}"}))))
        body = {"box": sealed}
        draft = Draft("message", f"direct:{recipient}", seq, prev, body, "2026-11-22T10:00:00Z")
        env = sign(draft, key)
        out.append(env.to_bytes())
        prev = envelope_id(env)
    return out


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists()}


def head_seq(node: NodeProc, author: str, scope: str) -> int:
    rows = node.query("SELECT head_seq FROM feeds WHERE author = ? AND scope = ?", (author, scope))
    return int(rows[0][0]) if rows else 0


async def test_kill_9_during_inbox_load_loses_no_acknowledged_envelope(tmp_path: Path) -> None:
    a, b = NodeProc(tmp_path, "Alpha"), NodeProc(tmp_path, "Beta")
    a.start()
    try:
        b.start()  # for the handshake only (A checks B's URL): A sends it nothing here
        b.link_to(a)
        b.stop()
        scope = f"direct:{a.node_id}"
        envelopes = direct_feed(b.key, a.node_id, 2000)
        ids = [envelope_id(parse_envelope(raw)) for raw in envelopes]
        client = PeerClient(b.key, HttpTransport(dev_mode=True))
        acked = 0  # A answered for envelopes 1..acked (accepted, or duplicate once retried)

        async def post(first: int, count: int) -> list[str]:
            batch = envelopes[first - 1 : first - 1 + count]
            return [r["status"] for r in await client.inbox(a.node_id, a.url, batch)]

        try:
            # Two moments: while A verifies a large batch, and just after it committed
            # one (before it answers, as a rule: it notes the contact in a second write).
            for kill_at, in_flight, moment in ((300, 400, "verifying"), (800, 600, "committed")):
                while acked < kill_at:
                    assert await post(acked + 1, 50) == ["accepted"] * 50
                    acked += 50
                request = asyncio.create_task(post(acked + 1, in_flight))
                if moment == "verifying":
                    await asyncio.sleep(0.01)
                    helpers = a.descendants()
                else:
                    deadline = time.monotonic() + 30
                    while head_seq(a, b.node_id, scope) == acked and not request.done():
                        assert time.monotonic() < deadline, "A never committed the batch"
                        await asyncio.sleep(0.001)
                a.kill()
                try:
                    statuses = await request
                except TransportError:
                    statuses = []  # no answer: none of them counts as acknowledged
                assert statuses in ([], ["accepted"] * in_flight)
                acked += len(statuses)

                if moment == "verifying":
                    # Nothing the killed server started outlives it for long.
                    deadline = time.monotonic() + 30
                    while alive(helpers):
                        assert time.monotonic() < deadline, "a killed node's helpers linger"
                        await asyncio.sleep(0.1)

                a.start()
                feed = check_sound(a, b.node_id, scope)
                head = len(feed)
                assert acked <= head <= acked + in_flight
                assert [i for _, i in feed] == ids[:head]  # every acknowledged one, in order

                # The sender carries on from the first envelope it has no answer for: what
                # A stored of the unanswered batch is a duplicate, the rest is accepted.
                statuses = await post(acked + 1, head - acked + 50)
                assert statuses == ["duplicate"] * (head - acked) + ["accepted"] * 50
                acked = head + 50

            while acked < len(envelopes):
                count = min(100, len(envelopes) - acked)
                assert await post(acked + 1, count) == ["accepted"] * count
                acked += count
        finally:
            await client.transport.close()
        assert [i for _, i in check_sound(a, b.node_id, scope)] == ids
        a.stop()
    finally:
        a.kill()


# --- outbound -----------------------------------------------------------------------------


async def author_messages(node: NodeProc, scope: str, n: int) -> None:
    """Author ``n`` messages as the node itself, on its directory (its server stopped)."""
    cfg = Config(data_dir=node.dir, name=node.dir.name)
    async with SQLiteStore(node.db, backup_dir=node.dir / "backups") as store:
        author = Node(cfg, store, node.key, SystemClock())

        async def task(t: int) -> None:
            for i in range(t, n, 8):
                await author.author("message", scope, {"text": f"backlog {i}"})

        await asyncio.gather(*(task(t) for t in range(8)))


async def test_kill_9_during_delivery_drops_nothing(tmp_path: Path) -> None:
    a, b = NodeProc(tmp_path, "Alpha"), NodeProc(tmp_path, "Beta")
    try:
        a.start()
        b.start()
        b.link_to(a)
        circle = a.nst(
            "admin", "circle", "create", "Coalition", "--aim", "Act together", "--federated"
        ).strip()
        said = a.nst("admin", "circle", "member", circle, b.node_id)
        assert said.startswith(f"{b.node_id} in Coalition: invited")
        poll(lambda: circle in b.nst("admin", "circle", "invitations"), "B to be invited")
        b.nst("admin", "circle", "accept", circle)

        def held(node: NodeProc) -> set[str]:
            return {i for (i,) in node.query("SELECT id FROM envelopes WHERE scope = ?", (circle,))}

        # The charter, B's invitation and its acceptance.
        poll(lambda: len(held(b)) == 3, "B to hold the circle and its membership")
        b.stop()
        a.stop()

        # A backlog for B, queued in the same transactions that append it.
        backlog = 3000
        await author_messages(a, circle, backlog)
        total = backlog + 3
        status = json.loads(a.nst("status", "--json"))
        assert status["queues"] == {b.node_id: backlog}
        assert [(p["node_id"], p["queued"]) for p in status["peers"]] == [(b.node_id, backlog)]

        # B first: its own catch-up (a pull from A) runs at its start, while A is down,
        # so what B gets from here on comes from A's outbox.
        b.start()
        for kill_at in (600, 1800):
            a.start()
            poll(lambda n=kill_at: len(held(b)) >= n, f"B to hold {kill_at} envelopes")
            a.kill()
            assert len(held(b)) < total, "delivery ended before the kill; make the backlog larger"

        a.start()
        poll(lambda: len(held(b)) == total, "B to hold every envelope of the circle")
        assert held(b) == held(a)
        poll(lambda: a.query("SELECT COUNT(*) FROM outbox") == [(0,)], "A's outbox to empty")
        feed = check_sound(b, a.node_id, circle)
        assert len(feed) == total - 1  # all but B's acceptance
        a.stop()
        b.stop()
    finally:
        a.kill()
        b.kill()
