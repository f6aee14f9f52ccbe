"""Web UI page renders under load: logged-in GETs of the home page and of a proposal page,
on a node holding 50 circles, 1,000 proposals and 20,000 stances, served by the real
aiohttp app on 127.0.0.1; the load comes from a second process (keep-alive connections,
a fixed number in flight). Beside them, a trivial aiohttp handler in the same server,
under the same load, is the bound this machine sets. Target: >= 500 requests/s with a
p99 under 100 ms for both pages.

    .venv/bin/python -m bench.web [--seconds 8] [--concurrency 16] [--dir DIR]

The data is built once per directory (``--dir`` keeps it between runs).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from nacl.signing import SigningKey

from node.clock import SystemClock
from node.config import Config
from node.server import make_app
from node.service import Node
from node.store import SQLiteStore
from web_ui import install

SEED = b"\x07" * 32
CIRCLES = 50
PROPOSALS = 1000
MEMBERS = 20  # every member in every circle: 20 stances per proposal
PASSWORD = "benchmark password"
TEXT = (
    "The coalition pools its flyer printing: each union orders through the general "
    "circle's secretary, who reports costs monthly.\nReview after the spring campaign."
)


def open_node(data_dir: Path) -> Node:
    store = SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")
    return Node(Config(data_dir=data_dir, name="Bench"), store, SigningKey(SEED), SystemClock())


async def seed(node: Node) -> str:
    """Circles, members, proposals and stances; returns one proposal's root."""
    handles = [f"m{i:02d}" for i in range(MEMBERS)]
    for h in handles:
        await node.add_member(h, h.upper(), "admin" if h == "m00" else "member", PASSWORD)
    circles = []
    for c in range(CIRCLES):
        circle = await node.create_circle(f"Circle {c:02d}", "Coordinate one campaign")
        await node.set_membership(circle.id, "m00", ["facilitator"])
        for h in handles[1:]:
            await node.set_membership(circle.id, h)
        circles.append(circle.id)
    gov = node.gov
    sample = ""
    for p in range(PROPOSALS):
        root = await gov.propose(circles[p % CIRCLES], handles[p % MEMBERS], f"Proposal {p}", TEXT)
        for phase in ("presented", "questions", "reactions", "consent"):
            await gov.move(root, "m00", phase)
        voters = handles if p % 10 < 7 else handles[1:]  # m00 still owes 30 % of them
        await asyncio.gather(*(gov.stance(root, h, "consent") for h in voters))
        if p % 10 < 7:
            await gov.decide(root, "m00")
        if p == PROPOSALS // 2:
            sample = root
    return sample


def load(base: str, path: str, seconds: float, concurrency: int, queue: Any) -> None:
    """The second process: log in, then GET ``path`` as fast as the server answers."""

    async def run() -> tuple[int, list[float]]:
        jar = aiohttp.CookieJar(unsafe=True)
        conn = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=conn) as http:
            async with http.get(base + "/login") as r:
                html = await r.text()
            csrf = html.split('name="_csrf" value="')[1].split('"')[0]
            form = {"_csrf": csrf, "handle": "m00", "password": PASSWORD}
            async with http.post(base + "/login", data=form) as r:
                assert r.status == 200, r.status
            latencies: list[float] = []
            errors = 0
            end = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < end:
                    t0 = time.perf_counter()
                    async with http.get(base + path, allow_redirects=False) as r:
                        await r.read()
                        if r.status != 200:
                            errors += 1
                    latencies.append(time.perf_counter() - t0)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return errors, latencies

    errors, latencies = asyncio.run(run())
    queue.put((errors, latencies))


def measure(base: str, path: str, seconds: float, concurrency: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=load, args=(base, path, seconds, concurrency, queue))
    proc.start()
    errors, latencies = queue.get()
    proc.join()
    latencies.sort()
    return {
        "rate": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors,
        "n": len(latencies),
    }


async def trivial(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def main_async(args: argparse.Namespace) -> None:
    data_dir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="nst-bench-web-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "sample-proposal"
    node = open_node(data_dir)
    app = make_app(node)
    install(app, node)
    app.router.add_get("/bench/trivial", trivial)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        if not marker.exists():
            t0 = time.perf_counter()
            marker.write_text(await seed(node))
            print(f"seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        sample = marker.read_text()
        counts = await node.store.counts()
        stances = (
            await node.store.fetchone(
                "SELECT count(*) FROM gov_effects g JOIN envelopes e"
                " ON e.id = g.envelope_id WHERE e.kind = 'stance'"
            )
        )[0]
        print(
            f"data: {len(await node.circles())} circles, {counts.get('proposal', 0)} proposals,"
            f" {stances} stances, {sum(counts.values())} envelopes"
        )
        loop = asyncio.get_running_loop()
        results = {}
        for name, path, ttl in (
            ("trivial handler (bound)", "/bench/trivial", None),
            ("home page", "/", None),
            ("home, agenda not cached", "/", 0.0),
            ("proposal page", f"/proposals/{sample}", None),
        ):
            default = node.gov.agenda_ttl
            if ttl is not None:
                node.gov.agenda_ttl = ttl  # every request computes the agenda afresh
            try:
                results[name] = await loop.run_in_executor(
                    None, measure, base, path, args.seconds, args.concurrency
                )
            finally:
                node.gov.agenda_ttl = default
        bound = results["trivial handler (bound)"]["rate"]
        print(
            f"{args.concurrency} requests in flight from a second process,"
            f" {args.seconds:.0f} s each"
        )
        for name, r in results.items():
            print(
                f"{name:24s} {r['rate']:7.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
                f"  errors {r['errors']}  ratio to bound {r['rate'] / bound:.2f}"
            )
        print(
            "target: >= 500 req/s and p99 < 100 ms for the home and proposal pages"
            " (the home page keeps a member's agenda until the governance state changes)"
        )
    finally:
        await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--dir", help="keep the seeded data here between runs")
    args = ap.parse_args()
    # The server runs on the loop `nst run` uses (uvloop when installed).
    from node.cli.node import run_async

    run_async(main_async(args))


if __name__ == "__main__":
    main()
