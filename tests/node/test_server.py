"""The node's HTTP server: the app in-process on 127.0.0.1 (aiohttp's TestServer), and
``nst run`` as a real process: readiness, metrics, logs, signals, refusals."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import os
import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.typedefs import Middleware
from nacl.signing import SigningKey
from prometheus_client.parser import text_string_to_metric_families

from node import logging as nst_logging
from node.clock import SystemClock
from node.config import Config
from node.server import HEALTH, make_app
from node.service import Node
from node.store import SQLiteStore
from node.store.migrate import latest_version
from node.store.writer import WriterClosedError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_node(data_dir: Path, *, metrics_public: bool = False) -> Node:
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")
    cfg = Config(data_dir=data_dir, name="Riverside", metrics_public=metrics_public)
    return Node(cfg, store, SigningKey.generate(), SystemClock())


def from_afar(remote: str) -> Middleware:
    """A middleware that makes every request look as if it came from ``remote``."""

    @web.middleware
    async def rewrite(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request.clone(remote=remote))

    return rewrite


async def started(app: web.Application) -> TestClient[web.Request, web.Application]:
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def served(
    tmp_path: Path,
) -> AsyncIterator[tuple[Node, TestClient[web.Request, web.Application]]]:
    node = make_node(tmp_path)
    client = await started(make_app(node))
    try:
        yield node, client
    finally:
        await client.close()


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# --- the app in-process -------------------------------------------------------------------


async def test_livez_and_readyz(
    served: tuple[Node, TestClient[web.Request, web.Application]],
) -> None:
    node, client = served
    assert (await client.get("/livez")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    body = await ready.json()
    assert body["node_id"] == node.node_id
    assert body["status"] == "ready"
    assert body["schema_version"] >= 1


async def test_readyz_turns_503_on_shutdown_and_cleanup_closes_the_store(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    app = make_app(node)
    client = await started(app)
    try:
        await node.add_member("ana", "Ana")  # the store is open once the app is up
        await app.shutdown()  # what a SIGTERM starts: stop taking traffic
        gone = await client.get("/readyz")
        assert gone.status == 503
        assert (await gone.json())["node_id"] == node.node_id
        assert app[HEALTH].state == "stopping"
        assert (await client.get("/livez")).status == 200
    finally:
        await client.close()
    with pytest.raises(WriterClosedError):
        await node.add_member("bob", "Bob")
    conn = sqlite3.connect(tmp_path / "nst.sqlite3")
    assert conn.execute("SELECT handle FROM members").fetchall() == [("ana",)]
    conn.close()


async def test_metrics_count_what_the_node_holds(
    served: tuple[Node, TestClient[web.Request, web.Application]],
) -> None:
    node, client = served
    await node.add_member("ana", "Ana")
    await node.add_member("bob", "Bob")
    general = await node.create_circle("General", "Everything")
    await node.set_membership(general.id, "ana", ["leader"])
    await node.set_membership(general.id, "bob")
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    values = metric_values(await resp.text())
    assert values[("nst_envelopes_total", (("kind", "circle"),))] == 1
    assert values[("nst_envelopes_total", (("kind", "membership"),))] == 2
    assert values[("nst_members", ())] == 2
    assert values[("nst_circles", ())] == 1
    assert values[("nst_commit_writes_total", ())] == 5
    assert 1 <= values[("nst_commit_batches_total", ())] <= 5


async def test_metrics_are_for_loopback_clients_only(tmp_path: Path) -> None:
    app = make_app(make_node(tmp_path))
    app.middlewares.append(from_afar("203.0.113.9"))
    client = await started(app)
    try:
        assert (await client.get("/metrics")).status == 403
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()


async def test_a_proxied_request_is_not_local(
    served: tuple[Node, TestClient[web.Request, web.Application]],
) -> None:
    _, client = served
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"})).status == 403
    assert (await client.get("/metrics", headers={"Forwarded": "for=198.51.100.1"})).status == 403
    assert (await client.get("/metrics")).status == 200


async def test_metrics_public_serves_everyone(tmp_path: Path) -> None:
    app = make_app(make_node(tmp_path, metrics_public=True))
    app.middlewares.append(from_afar("203.0.113.9"))
    client = await started(app)
    try:
        assert (await client.get("/metrics")).status == 200
    finally:
        await client.close()


async def test_two_nodes_in_one_process_keep_their_own_metrics(tmp_path: Path) -> None:
    a, b = make_node(tmp_path / "a"), make_node(tmp_path / "b")
    client_a, client_b = await started(make_app(a)), await started(make_app(b))
    try:
        await a.add_member("ana", "Ana")
        await b.add_member("bob", "Bob")
        await b.add_member("cem", "Cem")
        va = metric_values(await (await client_a.get("/metrics")).text())
        vb = metric_values(await (await client_b.get("/metrics")).text())
        assert (va[("nst_members", ())], vb[("nst_members", ())]) == (1, 2)
        assert (await (await client_a.get("/readyz")).json())["node_id"] == a.node_id
    finally:
        await client_a.close()
        await client_b.close()


# --- logs ---------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_json_logs_mask_secrets() -> None:
    out = io.StringIO()
    nst_logging.configure("json", stream=out)
    structlog.get_logger("t").info("member.added", handle="ana", password="hunter2 hunter2")
    logging.getLogger("aiohttp.server").error("from the standard library")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "member.added"
    assert first["handle"] == "ana"
    assert first["password"] == nst_logging.REDACTED
    assert "hunter2" not in out.getvalue()
    assert first["level"] == "info"
    assert first["timestamp"].endswith("Z")
    assert second["event"] == "from the standard library"
    assert second["level"] == "error"


# --- nst run as a process -----------------------------------------------------------------


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(tmp / "xdg")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("run") / "node"
    subprocess.run(
        [sys.executable, "-m", "node", "init", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        env=clean_env(data_dir.parent),
        timeout=60,
    )
    return data_dir


class Running:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Running:
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "run", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(data_dir.parent),
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sel.select(timeout=0.1):
                line = proc.stdout.readline()
                if line.startswith("listening on "):
                    return Running(proc, line.removeprefix("listening on ").strip())
                if not line:
                    break
    proc.kill()
    _, err = proc.communicate(timeout=10)
    raise AssertionError(f"nst run did not come up: {err}")


@pytest.fixture
def running(initialized: Path) -> Iterator[Running]:
    env = clean_env(initialized.parent, NST_LOG_FORMAT="json", NST_DEV_MODE="1")
    node = start(initialized, "--listen", "127.0.0.1:0", env=env)
    try:
        yield node
    finally:
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.communicate(timeout=10)


def test_nst_run_serves_logs_and_stops_on_sigterm(running: Running, initialized: Path) -> None:
    node_id = json.loads((initialized / "node.key").read_text())["node_id"]
    assert running.url.startswith("http://127.0.0.1:")
    assert not running.url.endswith(":0")
    assert running.get("/livez")[0] == 200
    status, body = running.get("/readyz")
    assert status == 200
    assert json.loads(body)["node_id"] == node_id
    status, text = running.get("/metrics")
    assert status == 200
    assert "nst_members 0.0" in text
    assert "nst_commit_batches_total" in text
    assert running.get("/metrics", {"X-Forwarded-For": "192.0.2.1"})[0] == 403
    code, err = running.stop(signal.SIGTERM)
    assert code == 0, err
    events = [json.loads(line) for line in err.splitlines()]
    start_event = next(e for e in events if e["event"] == "node.started")
    assert start_event["node_id"] == node_id
    assert start_event["listen"] == running.url
    assert start_event["dev_mode"] is True
    assert events[-1]["event"] == "node.stopped"
    seed = json.loads((initialized / "node.key").read_text())["seed"]
    assert seed not in err


def test_nst_run_beside_a_backup_then_sigint(initialized: Path) -> None:
    node = start(initialized, "--listen", "127.0.0.1:0")
    archive = initialized.parent / "while-running.tar.gz"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "node",
            "backup",
            "--data-dir",
            str(initialized),
            "--out",
            str(archive),
        ],
        check=True,
        capture_output=True,
        env=clean_env(initialized.parent),
        timeout=60,
    )
    code, err = node.stop(signal.SIGINT)
    assert code == 0, err
    assert "node.stopped" in err
    with tarfile.open(archive) as tar:
        data = tar.extractfile("nst.sqlite3")
        assert data is not None
        copy = initialized.parent / "while-running.sqlite3"
        copy.write_bytes(data.read())
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_nst_run_refuses_a_newer_schema(tmp_path: Path, initialized: Path) -> None:
    data_dir = tmp_path / "node"
    subprocess.run(["cp", "-r", str(initialized), str(data_dir)], check=True)
    conn = sqlite3.connect(data_dir / "nst.sqlite3")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = (data_dir / "nst.sqlite3").read_bytes()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "node",
            "run",
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:0",
        ],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: store.schema_too_new: ")
    assert "schema version 99" in proc.stderr
    assert f"only up to {latest_version()}" in proc.stderr
    assert "listening" not in proc.stdout
    assert (data_dir / "nst.sqlite3").read_bytes() == before


def test_nst_run_says_when_the_port_is_taken(initialized: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "node",
                "run",
                "--data-dir",
                str(initialized),
                "--listen",
                f"127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            env=clean_env(initialized.parent),
            timeout=60,
        )
    assert proc.returncode == 1
    assert f"error: run.listen: cannot listen on 127.0.0.1:{port}" in proc.stderr


# --- what a request costs before anyone knows who sent it ---------------------------------


def deflate_bomb(expanded: int) -> bytes:
    """``expanded`` zero bytes in HTTP's deflate (zlib format), about a thousandth the
    size: a megabyte compressed once and its identical successors repeated."""
    block = bytes(1 << 20)
    z = zlib.compressobj(9)
    first = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    again = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    return first + again * (expanded // len(block) - 1) + z.flush()


async def test_compressed_bodies_are_refused_unread_while_others_are_served(
    running: Running,
) -> None:
    """A node never inflates a request body: a deflate bomb (2 MB making 2 GiB) to the
    federation API or to a form is refused at once, and /livez keeps answering without
    waiting meanwhile (measured by a concurrent poll, with a generous bound)."""
    bomb = deflate_bomb(2 << 30)
    assert len(bomb) < 3 << 20
    small = gzip.compress(b'{"envelopes":[]}')
    sent = [
        ("/fed/v1/inbox", bomb, "deflate"),
        ("/fed/v1/inbox", bomb, "deflate"),
        ("/fed/v1/link", bomb, "deflate"),
        ("/login", bomb, "deflate"),
        ("/fed/v1/inbox", small, "gzip"),
        ("/login", small, "GZIP"),
    ]
    waits: list[float] = []
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as poller, aiohttp.ClientSession() as sender:

        async def poll() -> None:
            while not stop.is_set():
                began = time.perf_counter()
                async with poller.get(running.url + "/livez") as resp:
                    assert resp.status == 200
                    await resp.read()
                waits.append(time.perf_counter() - began)
                await asyncio.sleep(0.01)

        async def send(path: str, body: bytes, encoding: str) -> tuple[int, bytes, float]:
            began = time.perf_counter()
            headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
            if path == "/login":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            async with sender.post(running.url + path, data=body, headers=headers) as resp:
                return resp.status, await resp.read(), time.perf_counter() - began

        polling = asyncio.create_task(poll())
        await asyncio.sleep(0.2)
        answers = await asyncio.gather(*(send(*s) for s in sent))
        await asyncio.sleep(0.2)
        stop.set()
        await polling
    assert len(waits) > 10
    assert max(waits) < 0.5, sorted(waits)[-5:]
    for (path, _, _), (status, body, seconds) in zip(sent, answers, strict=True):
        assert status == 415, (path, status, body[:200])
        assert seconds < 5.0
        if path.startswith("/fed/"):
            assert json.loads(body)["error"]["code"] == "request.encoding_unsupported"
        else:
            assert b"request.encoding_unsupported" in body
