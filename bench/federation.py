"""Federation figures with real node processes on 127.0.0.1, each beside a bound measured
in the same run (the machine is shared: read ratios, not absolute numbers).

(a) Ingest: envelopes POSTed 100 per request from a separate client process to one
    `nst run --dev` node's inbox, verified and stored. The client links with an invite
    (the real handshake) and authors the envelopes in its `direct:<receiver>` scope,
    seq chained (sealed boxes, as direct messages must be); with 1 and with 4 requests in
    flight (4 linked client identities, one feed each). Bound: the same envelopes
    through parse_envelope + verify + envelope_id + store.append_remote in one process,
    without HTTP, one batch after another, measured just before and just after. (With
    several requests in flight a node verifies one batch while its writer thread stores
    another, so it can beat this serial figure.) Target: >= 5,000 envelopes/s.
(b) Propagation: one envelope authored on a circle's home node reaches all its member
    nodes (10 `nst run --dev` processes; the home runs the same server in a process that
    also authors on command, as the web UI would). A member's receipt time is the
    timestamp of its access-log line for the home's inbox POST (written after the
    envelope is stored). Bound: one signed inbox POST to one member, and ten of them in
    a row (the home delivers to its peers one after another). Targets: p50 < 50 ms,
    p99 < 200 ms.
(c) Catch-up: a member node back after missing 100,000 envelopes of the home's feed
    holds all of them. The history is written on the home through its store beforehand;
    the home's deliveries to the member are in backoff (as after a long absence), so the
    member catches up by pulling (heads, then feed pages). Bound: the same envelopes
    through the same verify + store path in one process, in pages of 500.
    Target: < 30 s.

    .venv/bin/python -m bench.federation [--parts ingest,propagation,catchup]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import resource
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from bench.fednodes import (
    Json,
    NodeDir,
    Proc,
    add_invite,
    bench_child,
    fmt_ms,
    head_seq,
    join,
    link_pair,
    make_node,
    nst_run,
    percentile,
    rss_mb,
)
from federation.client import PeerClient
from federation.identity import serve_identity
from federation.invites import parse_invite
from federation.transport import HttpTransport
from node.store import LocalDraft
from node.store.codec import envelope_json_from_row
from node.store.log import append_local
from protocol import Draft, envelope_id, format_ts, node_id_of, parse_envelope, sign, verify
from protocol.sealed import channel, message_plaintext, seal_with

TEXT = (
    "Each organization's secretary keeps the shared campaign calendar current; the "
    "general circle reviews it monthly and the housing circle reports on tenant actions."
)
BATCH = 100
PAGE = 500


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="nst-fedbench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- (a) ingest --------------------------------------------------------------------------------


def direct_feed(key: SigningKey, receiver: str, n: int) -> list[bytes]:
    """``n`` sealed direct messages from ``key``'s node to ``receiver``, seq chained."""
    box = channel(key, receiver)
    scope = f"direct:{receiver}"
    ts = format_ts(dt.datetime.now(dt.UTC))
    prev = None
    out = []
    for seq in range(1, n + 1):
        body = {"box": seal_with(box, message_plaintext(f"{seq:07d} {TEXT}"))}
        env = sign(Draft("message", scope, seq, prev, body, ts), key)
        prev = envelope_id(env)
        out.append(env.to_bytes())
    return out


def verify_batch(raws: list[bytes]) -> list[tuple[bytes, str]]:
    """What the inbox does to a batch before storing it (a pool worker's job too)."""
    out = []
    for raw in raws:
        env = parse_envelope(raw)
        verify(env)
        out.append((raw, envelope_id(env)))
    return out


async def inprocess_ingest(nd: NodeDir, feeds: dict[str, list[bytes]], batch: int) -> Json:
    """parse + verify + id, then store.append_remote, batch by batch, in this process."""
    node = nd.node()
    verify_s = store_s = 0.0
    statuses: Counter[str] = Counter()
    async with node.store:
        t0 = time.perf_counter()
        for sender, raws in feeds.items():
            for at in range(0, len(raws), batch):
                a = time.perf_counter()
                items = []
                for raw in raws[at : at + batch]:
                    env = parse_envelope(raw)
                    verify(env)
                    items.append((env, envelope_id(env)))
                b = time.perf_counter()
                stored = await node.store.append_remote(
                    items, node.clock.now(), self_id=node.node_id, sender=sender
                )
                store_s += time.perf_counter() - b
                verify_s += b - a
                statuses.update(r.status for r in stored)
        total = time.perf_counter() - t0
    n = sum(len(r) for r in feeds.values())
    return {"n": n, "seconds": total, "verify_s": verify_s, "store_s": store_s, **statuses}


def pool_verify_rate(raws: list[bytes], batch: int, workers: int = 2) -> float:
    """Envelopes/s verified by ``workers`` processes fed whole batches."""
    chunks = [raws[i : i + batch] for i in range(0, len(raws), batch)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(verify_batch, chunks[:workers])  # warm up
        t0 = time.perf_counter()
        for _ in pool.imap(verify_batch, chunks, chunksize=1):
            pass
        return len(raws) / (time.perf_counter() - t0)


def child_client(spec_path: str) -> None:
    """The ingest client: link with each invite, then POST the prepared batches."""
    spec = json.loads(Path(spec_path).read_text())
    feeds = [Path(s["file"]).read_bytes().split(b"\n") for s in spec["streams"]]

    async def run() -> Json:
        transport = HttpTransport(dev_mode=True)
        streams = []
        link_ms = []
        for s, raws in zip(spec["streams"], feeds, strict=True):
            client = PeerClient(SigningKey(bytes.fromhex(s["seed_hex"])), transport)
            invite = parse_invite(s["invite"])
            # The client answers at its URL for the handshake only: pulls from it fail.
            async with serve_identity(client.key, "bench client") as url:
                t = time.perf_counter()
                await client.link(invite.url, invite.node, invite.token, url, "bench client")
                link_ms.append((time.perf_counter() - t) * 1000)
            bodies = [
                b'{"envelopes":[' + b",".join(raws[i : i + spec["batch"]]) + b"]}"
                for i in range(0, len(raws), spec["batch"])
            ]
            streams.append((client, bodies))
        statuses: Counter[str] = Counter()
        latencies: list[float] = []

        async def post_all(client: PeerClient, bodies: list[bytes]) -> None:
            for body in bodies:
                t = time.perf_counter()
                doc = await client.call(
                    "POST", spec["url"], spec["receiver"], "/fed/v1/inbox", body
                )
                latencies.append(time.perf_counter() - t)
                statuses.update(r["status"] for r in doc["results"])

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        await asyncio.gather(*(post_all(c, b) for c, b in streams))
        elapsed = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        await transport.close()
        return {
            "seconds": elapsed,
            "statuses": dict(statuses),
            "request_p50": statistics.median(latencies),
            "request_p99": percentile(latencies, 99),
            "client_cpu": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
            "link_ms": link_ms,
        }

    print(json.dumps(asyncio.run(run())), flush=True)


def bound_round(tmp: Path, receiver: NodeDir, feeds: dict[str, list[bytes]], n: int) -> Json:
    """The in-process bound on (up to) ``n`` of the same envelopes, on a fresh database
    with the receiver's identity."""
    twin = make_node(tmp / f"twin{time.monotonic_ns()}", "twin")
    twin.key = receiver.key
    per = max(1, n // len(feeds))
    return asyncio.run(inprocess_ingest(twin, {s: r[:per] for s, r in feeds.items()}, BATCH))


def ingest_round(n: int, nstreams: int, bound_n: int, extras: bool) -> Json:
    """One HTTP ingest run, with the in-process bound measured just before and just after
    it (the machine is shared: load moves between the two)."""
    with scratch() as tmp:
        receiver = make_node(tmp, "receiver")
        keys = [SigningKey.generate() for _ in range(nstreams)]
        per = n // nstreams
        t = time.perf_counter()
        raw = [direct_feed(k, receiver.node_id, per) for k in keys]
        sign_s = time.perf_counter() - t
        feeds = {node_id_of(k): r for k, r in zip(keys, raw, strict=True)}
        streams = []
        for i, (key, envelopes) in enumerate(zip(keys, raw, strict=True)):
            path = tmp / f"feed{i}.jsonl"
            path.write_bytes(b"\n".join(envelopes))
            invite = asyncio.run(add_invite(receiver))
            streams.append({"seed_hex": bytes(key).hex(), "invite": invite, "file": str(path)})
        out: Json = {"sign_s": sign_s, "n": per * nstreams, "bounds": []}
        if extras:
            sample = raw[0][: min(per, bound_n)]
            out["pool2"] = pool_verify_rate(sample, BATCH)
            t = time.perf_counter()
            for at in range(0, len(sample), BATCH):
                verify_batch(sample[at : at + BATCH])
            out["verify_only"] = len(sample) / (time.perf_counter() - t)
        out["bounds"].append(bound_round(tmp, receiver, feeds, bound_n))
        spec = tmp / "client.json"
        doc = {"url": receiver.url, "receiver": receiver.node_id, "batch": BATCH}
        spec.write_text(json.dumps({**doc, "streams": streams}))
        server = nst_run(receiver)
        try:
            server.wait_listening()
            cpu0 = cpu_seconds(server.pid)
            client = bench_child("--child-client", str(spec), name="client")
            client.proc.wait()
            cpu1 = cpu_seconds(server.pid)
            lines = [ln for ln in client.lines if ln.strip()]
            if client.proc.returncode != 0 or not lines:
                raise RuntimeError(f"ingest client failed: {client.errors[-5:]}")
            out["http"] = json.loads(lines[-1])
            out["server_cpu"] = cpu1 - cpu0
            out["server_rss"] = rss_mb(server.pid)
        finally:
            server.stop()
        out["stored"] = _count_envelopes(receiver.db, f"direct:{receiver.node_id}")
        out["bounds"].append(bound_round(tmp, receiver, feeds, bound_n))
        return out


def _count_envelopes(db: Path, scope: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT count(*) FROM envelopes WHERE scope = ?", (scope,)).fetchone()
        return int(row[0])
    finally:
        conn.close()


def _rate(run: Json) -> float:
    return float(run["n"] / run["seconds"])


def ingest(n: int, streams: list[int], bound_n: int) -> None:
    print(f"(a) ingest: {n} sealed direct messages, {BATCH} per POST, client in its own process")
    print(f"    load average before: {os.getloadavg()[0]:.2f}")
    for i, nstreams in enumerate(streams):
        r = ingest_round(n, nstreams, bound_n, extras=i == 0)
        http = r["http"]
        rate = r["n"] / http["seconds"]
        before, after = r["bounds"]
        bound = (_rate(before) + _rate(after)) / 2
        if i == 0:
            print(f"    signing the envelopes beforehand: {r['n'] / r['sign_s']:.0f}/s")
            print(f"    parse+verify+id alone, 1 process:      {r['verify_only']:8.0f} envelopes/s")
            print(f"    parse+verify+id alone, pool of 2:      {r['pool2']:8.0f} envelopes/s")
        per_env = [
            (b["verify_s"] / b["n"] * 1e6, b["store_s"] / b["n"] * 1e6) for b in (before, after)
        ]
        label = f"{nstreams} stream{'s' if nstreams > 1 else ''}"
        print(f"    -- {label} ({nstreams} linked client node{'s' if nstreams > 1 else ''}):")
        print(
            f"    in-process verify+store (bound), before/after: {_rate(before):6.0f} /"
            f" {_rate(after):6.0f} envelopes/s"
        )
        print(
            "      per envelope: parse+verify+id "
            + " / ".join(f"{v:.0f}" for v, _ in per_env)
            + " µs, append_remote "
            + " / ".join(f"{s:.0f}" for _, s in per_env)
            + " µs"
        )
        ok = http["statuses"].get("accepted", 0)
        print(f"    HTTP inbox: {rate:8.0f} envelopes/s  ratio to bound {rate / bound:.2f}")
        print(
            f"      {ok}/{r['n']} accepted, {r['stored']} stored;"
            f" POST p50 {http['request_p50'] * 1e3:.1f} ms,"
            f" p99 {http['request_p99'] * 1e3:.1f} ms;"
            f" handshake {statistics.median(http['link_ms']):.1f} ms"
        )
        print(
            f"      server CPU {r['server_cpu'] / r['n'] * 1e6:5.1f} µs/envelope"
            f" ({r['server_cpu'] / http['seconds']:.2f} cores busy),"
            f" client CPU {http['client_cpu'] / r['n'] * 1e6:4.1f} µs/envelope,"
            f" server RSS {r['server_rss']:.0f} MB"
        )
        print(f"      target >= 5000 envelopes/s: {'met' if rate >= 5000 else 'NOT MET'}")
    print(f"    load average after: {os.getloadavg()[0]:.2f}")


# --- (b) propagation ---------------------------------------------------------------------------


def child_home(data_dir: str, circle: str) -> None:
    """`nst run --dev` for the home node, plus authoring on command: each stdin line
    `author` signs and stores one message in ``circle`` through Node.author, as a web
    request would, and prints when it began."""
    from federation.routes import install
    from node import logging as nst_logging
    from node.cli.node import run_async
    from node.clock import SystemClock
    from node.config import load_config
    from node.keyfile import read_key
    from node.server import serve
    from node.service import Node
    from node.store import SQLiteStore

    cfg = replace(load_config(data_dir), dev_mode=True)
    store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir, synchronous=cfg.synchronous)
    node = Node(cfg, store, read_key(cfg.key_path), SystemClock())
    nst_logging.configure("json")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()

        async def commands() -> None:
            await ready.wait()
            count = 0
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if line.strip() != "author":
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                count += 1
                t0 = time.time()
                result = await node.author("message", circle, {"text": f"{count} {TEXT}"})
                print(json.dumps({"t0": t0, "t1": time.time(), "id": result.id}), flush=True)

        def on_ready(url: str) -> None:
            print(f"listening on {url}", flush=True)
            ready.set()

        def with_federation(app: Any) -> None:
            install(app, node, HttpTransport(dev_mode=True))

        task = asyncio.create_task(commands())
        await serve(node, cfg.listen_host, cfg.listen_port, on_ready, with_federation)
        task.cancel()

    run_async(main())


def wait_for(check: Any, timeout: float, every: float = 0.001) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


async def one_hop(client: PeerClient, member: NodeDir, raw: bytes, n: int) -> list[float]:
    """Round trips of a signed one-envelope inbox POST (a duplicate) to ``member``."""
    body = b'{"envelopes":[' + raw + b"]}"
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await client.call("POST", member.url, member.node_id, "/fed/v1/inbox", body)
        out.append(time.perf_counter() - t)
    return out


def propagation(members: int, n: int, warmup: int = 3) -> None:
    with scratch() as tmp:
        home = make_node(tmp, "home")
        nodes = [make_node(tmp, f"member{i:02d}") for i in range(members)]

        async def setup() -> str:
            circle = await home.with_node(
                lambda node, _: node.create_circle("Coalition", "Decide together", federated=True)
            )
            for m in nodes:
                await link_pair(home, m)
                await join(home, m, circle.id)
            return circle.id

        circle = asyncio.run(setup())
        procs: list[Proc] = []
        try:
            for m in nodes:
                procs.append(nst_run(m))
            for p in procs:
                p.wait_listening()
            hp = bench_child("--child-home", str(home.path), circle, name="home")
            procs.append(hp)
            hp.wait_listening()
            history = 1 + members  # the charter and one membership per member
            if not wait_for(
                lambda: all(head_seq(m.db, home.node_id, circle) >= history for m in nodes),
                60,
                0.05,
            ):
                raise RuntimeError("members never received the circle's history")
            rss = [rss_mb(p.pid) for p in procs]
            latencies: list[list[float]] = []
            authoring: list[float] = []
            for i in range(warmup + n):
                marks = [len(p.inbox_times) for p in procs[:members]]
                seen = len(hp.lines)
                hp.send("author")
                if not wait_for(lambda seen=seen: len(hp.lines) > seen, 10):
                    raise RuntimeError("home did not author")
                doc = json.loads(hp.lines[seen])
                t0 = doc["t0"]

                def arrived(t0: float = t0, marks: list[int] = marks) -> list[float] | None:
                    out = []
                    for p, mark in zip(procs[:members], marks, strict=True):
                        later = [t for t in p.inbox_times[mark:] if t >= t0]
                        if not later:
                            return None
                        out.append(later[0] - t0)
                    return out

                if not wait_for(lambda: arrived() is not None, 30):
                    raise RuntimeError(f"envelope {i} did not reach every member")
                if i >= warmup:
                    latencies.append(arrived() or [])
                    authoring.append(doc["t1"] - t0)
                time.sleep(0.05)
            held = [head_seq(m.db, home.node_id, circle) for m in nodes]

            async def hop() -> list[float]:
                async with home.with_store() as node:
                    row = await node.store.fetchone(
                        "SELECT header, body FROM envelopes WHERE author = ? AND scope = ?"
                        " ORDER BY seq DESC LIMIT 1",
                        (home.node_id, circle),
                    )
                transport = HttpTransport(dev_mode=True)
                client = PeerClient(home.key, transport)
                raw = envelope_json_from_row(row[0], row[1])
                times: list[float] = []
                try:
                    for m in nodes:
                        await one_hop(client, m, raw, 3)  # warm the connection
                        times += await one_hop(client, m, raw, 20)
                finally:
                    await transport.close()
                return times

            hops = asyncio.run(hop())
        finally:
            for p in procs:
                p.stop()
    to_all = [max(lat) for lat in latencies]
    each = [x for lat in latencies for x in lat]
    hop50 = statistics.median(hops)
    print(
        f"(b) propagation: {n} envelopes authored one at a time on the home node of a"
        f" federated circle; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"    with {members} member nodes: {members} `nst run --dev` processes + the home"
        f" ({len(procs)} processes on {os.cpu_count()} CPUs, RSS {statistics.mean(rss):.0f} MB"
        " each)"
    )
    print(f"    authoring on the home (sign + store):  p50 {fmt_ms(statistics.median(authoring))}")
    print(f"    one hop, signed 1-envelope POST (bound): p50 {fmt_ms(hop50)}", end="")
    print(f"; {members} hops in a row: {fmt_ms(members * hop50)}")
    print(
        f"    to each member:     p50 {fmt_ms(statistics.median(each))}"
        f"  p99 {fmt_ms(percentile(each, 99))}  max {fmt_ms(max(each))}"
    )
    p50, p99 = statistics.median(to_all), percentile(to_all, 99)
    print(f"    to all {members} members: p50 {fmt_ms(p50)}  p99 {fmt_ms(p99)}", end="")
    print(f"  max {fmt_ms(max(to_all))}  ratio p50 to {members} hops {p50 / (members * hop50):.2f}")
    by_rank = [statistics.median(sorted(lat)[k] for lat in latencies) for k in range(members)]
    print("    k-th member reached, p50:", " ".join(f"{x * 1000:.0f}" for x in by_rank), "ms")
    print(
        f"    held by every member afterwards: {min(held) - history - warmup}/{n};"
        f" target p50 < 50 ms: {'met' if p50 < 0.05 else 'NOT MET'},"
        f" p99 < 200 ms: {'met' if p99 < 0.2 else 'NOT MET'}"
    )


# --- (c) catch-up ------------------------------------------------------------------------------


async def build_history(home: NodeDir, member: NodeDir, n: int) -> tuple[str, float]:
    """A federated circle on ``home`` with ``member`` in it, ``n`` messages written through
    the home's store in batches; the member holds the charter and its membership."""
    async with home.with_store() as node:
        circle = (await node.create_circle("Coalition", "Decide together", federated=True)).id
    await join(home, member, circle)
    async with home.with_store() as node:
        start = await node.store.feed_bytes(circle, home.node_id, 0, 10)
        t = time.perf_counter()
        now = node.clock.now()
        for at in range(0, n, 1000):

            def run(conn: sqlite3.Connection, at: int = at) -> None:
                for i in range(at, min(n, at + 1000)):
                    draft = LocalDraft("message", circle, {"text": f"{i:07d} {TEXT}"})
                    append_local(conn, draft, home.key, now)

            await node.store.write(run)
        built = time.perf_counter() - t
        # The member has been away long enough for deliveries to it to back off to the
        # maximum: what brings it up to date is its own pull.
        away = format_ts(node.clock.now() + dt.timedelta(hours=1))
        await node.store.write(
            lambda conn: conn.execute(
                "UPDATE peers SET failures = 12, next_attempt = ? WHERE node_id = ?",
                (away, member.node_id),
            )
        )
    async with member.with_store() as node:
        envs = [parse_envelope(raw) for raw in start]
        await node.store.append_remote(
            [(e, envelope_id(e)) for e in envs],
            node.clock.now(),
            self_id=member.node_id,
            sender=home.node_id,
        )
    return circle, built


async def feed_pages(home: NodeDir, circle: str, n: int) -> list[list[bytes]]:
    async with home.with_store() as node:
        pages = []
        after = 2
        while after < n + 2:
            pages.append(await node.store.feed_bytes(circle, home.node_id, after, PAGE))
            after += len(pages[-1])
        return pages


def catchup(n: int, bound_n: int) -> None:
    with scratch() as tmp:
        home = make_node(tmp, "home")
        member = make_node(tmp, "member")
        asyncio.run(link_pair(home, member))
        circle, built = asyncio.run(build_history(home, member, n))
        twin_db = tmp / "twin.sqlite3"
        shutil.copy(member.db, twin_db)
        pages = asyncio.run(feed_pages(home, circle, bound_n))
        twin = NodeDir(tmp / "twin", "twin", member.key)
        twin.path.mkdir()
        shutil.move(twin_db, twin.db)
        flat = [raw for page in pages for raw in page][:bound_n]
        bound = asyncio.run(inprocess_ingest(twin, {home.node_id: flat}, PAGE))
        bound_rate = bound["n"] / bound["seconds"]
        hp = nst_run(home)
        mp = None
        try:
            hp.wait_listening()
            target = n + 2
            t0 = time.time()
            mp = nst_run(member)
            startup = mp.wait_listening(60)
            cpu_m0, cpu_h0 = cpu_seconds(mp.pid), cpu_seconds(hp.pid)
            progress: list[tuple[float, int]] = []

            def done() -> bool:
                held = head_seq(member.db, home.node_id, circle)
                progress.append((time.time() - t0, held))
                return held >= target

            finished = wait_for(done, 600, 0.1)
            elapsed = time.time() - t0
            member_rss = rss_mb(mp.pid)
            cpu_m = cpu_seconds(mp.pid) - cpu_m0
            cpu_h = cpu_seconds(hp.pid) - cpu_h0
        finally:
            if mp is not None:
                mp.stop()
            hp.stop()
    held = progress[-1][1] - 2
    first = next((t for t, h in progress if h > 2), elapsed)
    print(f"(c) catch-up: a member back after missing {n} envelopes of the home's feed")
    print(f"    load average: {os.getloadavg()[0]:.2f}")
    print(
        f"    history written on the home through its store: {n / built:.0f} envelopes/s;"
        f" pages of {PAGE}"
    )
    print(
        f"    in-process verify+store of the same envelopes (bound): {bound_rate:8.0f}/s"
        f" -> {n / bound_rate:5.1f} s for {n}"
    )
    print(
        f"    member process start to `listening on`: {startup:5.2f} s;"
        f" first envelope stored at {first:5.2f} s"
    )
    if finished:
        rate = n / (elapsed - first)
        print(
            f"    all {n} held after {elapsed:5.1f} s from spawn ({rate:.0f} envelopes/s while"
            f" pulling, ratio to bound {rate / bound_rate:.2f}); member RSS {member_rss:.0f} MB"
        )
        print(
            f"      member CPU {cpu_m / n * 1e6:.0f} µs/envelope ({cpu_m / (elapsed - startup):.2f}"
            f" cores busy), home CPU {cpu_h / n * 1e6:.0f} µs/envelope (serving pages)"
        )
    else:
        print(f"    NOT caught up after {elapsed:.0f} s: {held}/{n} held")
    ok = finished and elapsed < 30
    print(f"    target < 30 s: {'met' if ok else 'NOT MET'}")


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--parts", default="ingest,propagation,catchup")
    ap.add_argument("--ingest-n", type=int, default=40_000)
    ap.add_argument("--streams", default="1,4", help="concurrent client streams per run")
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--envelopes", type=int, default=50, help="propagation samples")
    ap.add_argument("--catchup-n", type=int, default=100_000)
    ap.add_argument("--bound-n", type=int, default=20_000, help="envelopes in each bound run")
    ap.add_argument("--child-client", help=argparse.SUPPRESS)
    ap.add_argument("--child-home", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_client:
        child_client(args.child_client)
        return
    if args.child_home:
        child_home(*args.child_home)
        return
    parts = args.parts.split(",")
    print(
        f"nst federation bench, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} CPUs,"
    )
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version};"
        " nodes are `nst run --dev` processes"
    )
    if "ingest" in parts:
        streams = [int(s) for s in args.streams.split(",")]
        ingest(args.ingest_n, streams, min(args.bound_n, args.ingest_n))
    if "propagation" in parts:
        propagation(args.members, args.envelopes)
    if "catchup" in parts:
        catchup(args.catchup_n, min(args.bound_n, args.catchup_n))


if __name__ == "__main__":
    main()
