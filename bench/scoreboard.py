"""The campaign page with its scoreboard under load: logged-in GETs of ``/campaigns/ID``
for a campaign of 50 targets (25 mayors, 25 district attorneys), 9 demands (3 of
mayors, 6 of prosecutors: 225 cells), 450 statuses and 20,000 actions, served by the
real aiohttp app on 127.0.0.1, the load from a second process (``bench.web``'s). Beside
it, a trivial handler in the same server under the same load: the bound this machine
sets. Then the read alone, in this process: ``node.campaigns.scoreboard`` per second.
Target: ~100 page renders/s.

    .venv/bin/python -m bench.scoreboard [--seconds 8] [--concurrency 16] [--dir DIR]

The data is built once per directory (``--dir`` keeps it between runs).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.web import PASSWORD, measure, open_node, trivial
from node.service import Node
from node.store import LocalDraft
from node.store import governance as gov
from node.store.log import append_local
from web_ui import install

TARGETS = 50
ACTIONS = 20_000
TODAY = dt.date(2026, 11, 22)
MAYOR_DEMANDS = ("Body cameras", "Good-officer certification", "Chokehold ban")
DA_DEMANDS = (
    "End money bail",
    "Kids out of adult jails",
    "No petty prosecutions",
    "Prosecute bad officers",
    "Publish metrics",
    "No anti-immigrant prosecutions",
)
CHANNELS = ("call", "email", "letter", "meeting", "public_comment")


async def _record(node: Node, scope: str, handle: str, bodies: list[dict[str, Any]]) -> list[str]:
    """Sign and order ``bodies`` on the circle's home in one transaction, as an import
    does (a command apiece would spend minutes on 20,000 actions)."""
    actor = node.actor_of(handle)
    when = node.clock.now().replace(microsecond=0)

    def run(conn: sqlite3.Connection) -> list[str]:
        ids = []
        for body in bodies:
            result = append_local(conn, LocalDraft("campaign", scope, body, actor), node.key, when)
            assert result.id is not None
            gov.require_applied(conn, result.id)
            ids.append(result.id)
        return ids

    return await node.store.write(run)


async def seed(node: Node) -> str:
    """A circle of four members with the campaign; returns the campaign's id."""
    handles = ["m00", "m01", "m02", "m03"]
    for h in handles:
        await node.add_member(h, h.upper(), "admin" if h == "m00" else "member", PASSWORD)
    circle = await node.create_circle("Coalition", "Accountable policing", federated=True)
    for i, h in enumerate(handles):
        await node.set_membership(circle.id, h, ["facilitator"] if i == 0 else [])
    c = node.campaigns
    campaign = await c.create_campaign(circle.id, "m00", name="Accountable", goal="Nine demands")
    bodies = [
        {
            "object": "target",
            "campaign": campaign,
            "name": f"Official {i:02d}",
            "office_type": "mayor" if i % 2 else "district_attorney",
            "jurisdiction": f"Place {i:02d}",
        }
        for i in range(TARGETS)
    ]
    targets = await _record(node, circle.id, "m00", bodies)
    demands = {}
    for office, titles in (("mayor", MAYOR_DEMANDS), ("district_attorney", DA_DEMANDS)):
        for title in titles:
            demands[title] = (
                office,
                await c.put_demand(campaign, "m00", title=title, text=title, office_type=office),
            )
    statuses = []
    for i, target in enumerate(targets):
        office = "mayor" if i % 2 else "district_attorney"
        for office_of, demand in demands.values():
            if office_of != office:
                continue
            for days, status in ((40, "asked"), (10, ("in_talks", "committed", "refused")[i % 3])):
                statuses.append(
                    {
                        "object": "status",
                        "campaign": campaign,
                        "demand": demand,
                        "target": target,
                        "status": status,
                        "date": (TODAY - dt.timedelta(days=days)).isoformat(),
                        "evidence": {"note": "recorded after the call"},
                    }
                )
    await _record(node, circle.id, "m01", statuses)
    for start in range(0, ACTIONS, 1000):
        batch = [
            {
                "object": "action",
                "campaign": campaign,
                "target": targets[n % TARGETS],
                "channel": CHANNELS[n % len(CHANNELS)],
                "date": (TODAY - dt.timedelta(days=n % 90)).isoformat(),
                "outcome": "left a message",
            }
            for n in range(start, min(start + 1000, ACTIONS))
        ]
        await _record(node, circle.id, handles[start // 1000 % 4], batch)
    return campaign


async def read_rate(node: Node, campaign: str, seconds: float) -> float:
    """``node.campaigns.scoreboard`` calls per second, one after another."""
    n = 0
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        board = await node.campaigns.scoreboard(campaign, TODAY)
        assert board is not None
        n += 1
    return n / (time.perf_counter() - t0)


async def main_async(args: argparse.Namespace) -> None:
    data_dir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="nst-bench-board-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "campaign"
    node = open_node(data_dir)
    app = make_app_with_trivial(node)
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
        campaign = marker.read_text()
        count = await node.store.fetchone(
            "SELECT (SELECT count(*) FROM campaign_targets), (SELECT count(*) FROM"
            " campaign_demands), (SELECT count(*) FROM campaign_statuses),"
            " (SELECT count(*) FROM campaign_actions)"
        )
        print(
            f"data: {count[0]} targets, {count[1]} demands, {count[2]} statuses, {count[3]} actions"
        )
        loop = asyncio.get_running_loop()
        results = {}
        for name, path in (
            ("trivial handler (bound)", "/bench/trivial"),
            ("campaign page (board)", f"/campaigns/{campaign}"),
        ):
            results[name] = await loop.run_in_executor(
                None, measure, base, path, args.seconds, args.concurrency
            )
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
        rate = await read_rate(node, campaign, args.seconds / 2)
        print(f"{'scoreboard read alone':24s} {rate:7.0f} reads/s (one at a time, in process)")
        print("target: ~100 campaign page renders/s")
    finally:
        await runner.cleanup()


def make_app_with_trivial(node: Node) -> web.Application:
    """The node's app with its web UI, and the trivial handler beside it."""
    from node.server import make_app

    app = make_app(node)
    install(app, node)
    app.router.add_get("/bench/trivial", trivial)
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--dir", help="keep the seeded data here between runs")
    args = ap.parse_args()
    from node.cli.node import run_async

    run_async(main_async(args))


if __name__ == "__main__":
    main()
