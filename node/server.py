"""The node's HTTP server: an aiohttp app factory and the loop ``nst run`` drives.

``make_app(node)`` opens the node's store on startup and closes it (draining writes) on
cleanup, and serves the operational endpoints: ``/livez``, ``/readyz`` and ``/metrics``.
Each app has its own Prometheus registry, so several nodes can run in one process.
Federation and web UI routes plug into the same app later.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace

import structlog
from aiohttp import hdrs, web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from node.address import PUBLIC_URL_FIX, address_problem, format_url, record_listening
from node.service import Node

log = structlog.get_logger("nst.server")


@dataclass
class Health:
    """Whether the node takes traffic: ready between store open and shutdown."""

    state: str = "starting"

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@dataclass
class Snapshot:
    """Figures read from the store just before a scrape (collectors cannot await)."""

    envelopes: dict[str, int]
    members: int = 0
    circles: int = 0
    batches: int = 0
    writes: int = 0


class NodeCollector(Collector):
    def __init__(self) -> None:
        self.snapshot = Snapshot({})

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        s = self.snapshot
        envelopes = CounterMetricFamily(
            "nst_envelopes", "Envelopes held in the log, by kind.", labels=["kind"]
        )
        for kind, n in sorted(s.envelopes.items()):
            envelopes.add_metric([kind], n)
        yield envelopes
        yield GaugeMetricFamily("nst_members", "Member accounts of this node.", value=s.members)
        yield GaugeMetricFamily("nst_circles", "Circles known to this node.", value=s.circles)
        yield CounterMetricFamily(
            "nst_commit_batches", "Write transactions committed since start.", value=s.batches
        )
        yield CounterMetricFamily(
            "nst_commit_writes", "Writes committed since start (many per batch).", value=s.writes
        )


NODE = web.AppKey("node", Node)
HEALTH = web.AppKey("health", Health)
REGISTRY = web.AppKey("registry", CollectorRegistry)
COLLECTOR = web.AppKey("collector", NodeCollector)


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    node, health = app[NODE], app[HEALTH]
    body = {
        "status": health.state,
        "node_id": node.node_id,
        "schema_version": node.store.schema_version,
    }
    return web.json_response(body, status=200 if health.ready else 503)


def is_local(request: web.Request) -> bool:
    """A loopback client that did not come through a proxy (which would be loopback
    too, and forward the whole world)."""
    if hdrs.FORWARDED in request.headers or hdrs.X_FORWARDED_FOR in request.headers:
        return False
    try:
        return request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:  # a Unix socket peer has no address; it is on this machine
        return request.remote == ""


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    node = app[NODE]
    if not (node.config.metrics_public or is_local(request)):
        raise web.HTTPForbidden(text="metrics are served to loopback clients only\n")
    batches, writes = node.store.commit_stats
    app[COLLECTOR].snapshot = Snapshot(
        envelopes=await node.store.counts(),
        members=len(await node.members()),
        circles=len(await node.circles()),
        batches=batches,
        writes=writes,
    )
    return web.Response(
        body=generate_latest(app[REGISTRY]), headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_LATEST}
    )


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    node, health = app[NODE], app[HEALTH]
    await node.store.open()
    health.state = "ready"
    try:
        yield
    finally:
        health.state = "stopped"
        await node.store.close()


async def _governance_ctx(app: web.Application) -> AsyncIterator[None]:
    """The clock's part of governance: reviews falling due, and role holders' terms
    ending, come back to their circles."""
    node = app[NODE]

    async def tick() -> None:
        while True:
            try:
                started = await node.gov.start_due_reviews()
                if started:
                    log.info("reviews.started", proposals=started)
                opened = await node.gov.open_due_elections()
                if opened:
                    log.info("elections.opened", elections=opened)
                await node.gov.raise_referrals()
                await node.gov.carry_out_structure()
                await node.gov.record_due_choices()
                await node.gov.carry_out_leaders()
                await node.gov.complete_home_moves()
            except Exception as exc:  # a bad tick must not end the loop
                log.warning("reviews.failed", error=str(exc))
            await asyncio.sleep(GOVERNANCE_TICK)

    task = asyncio.create_task(tick(), name="nst-governance")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _mail_ctx(app: web.Application) -> AsyncIterator[None]:
    """The mail worker, while the node serves (mail off: the node says so once)."""
    node = app[NODE]
    node.mail.start()
    try:
        yield
    finally:
        await node.mail.stop()


async def _on_shutdown(app: web.Application) -> None:
    app[HEALTH].state = "stopping"


GOVERNANCE_TICK = 300.0  # seconds between looks for reviews falling due


def make_app(node: Node) -> web.Application:
    """The node's web application; starting it opens the store, cleanup closes it."""
    # aiohttp would inflate a compressed request body as it arrives, in the event loop
    # and before any view runs: a few megabytes of deflate make gigabytes. Bodies are
    # taken as sent, and the views refuse compressed ones (PROTOCOL.md §12.2).
    app = web.Application(handler_args={"auto_decompress": False})
    registry = CollectorRegistry(auto_describe=True)
    collector = NodeCollector()
    registry.register(collector)
    app[NODE] = node
    app[HEALTH] = Health()
    app[REGISTRY] = registry
    app[COLLECTOR] = collector
    app.cleanup_ctx.append(_store_ctx)
    app.on_shutdown.append(_on_shutdown)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(
    node: Node,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    extend: Callable[[web.Application], object] | None = None,
) -> None:
    """Run the node until SIGTERM or SIGINT, then stop accepting, finish in-flight
    requests, close the store (draining writes) and return."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        app = make_app(node)
        app.cleanup_ctx.append(_governance_ctx)
        app.cleanup_ctx.append(_mail_ctx)
        if extend is not None:
            extend(app)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=10.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            # With port 0 the system picked one; say the real address from now on, here
            # and to the node's other commands (they read it back: Config.url).
            port = runner.addresses[0][1]
            url = format_url(host, port)
            node.config = replace(node.config, listen_host=host, listen_port=port, listen_url=url)
            record_listening(node.config.data_dir, url, node.config.dev_mode)
            log.info(
                "node.started",
                node_id=node.node_id,
                name=node.config.name,
                listen=url,
                url=node.config.url,
                dev_mode=node.config.dev_mode,
                schema_version=node.store.schema_version,
            )
            problem = None if node.config.dev_mode else address_problem(node.config.url)
            if problem:
                log.warning(
                    "node.url_not_public",
                    url=node.config.url,
                    problem=f"other nodes cannot reach this node there: {problem}",
                    fix=PUBLIC_URL_FIX,
                )
            on_ready(url)
            await stop.wait()
            log.info("node.stopping", node_id=node.node_id)
        finally:
            await runner.cleanup()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("node.stopped", node_id=node.node_id)
