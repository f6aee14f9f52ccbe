"""A multi-node harness: real nodes in this process, each on 127.0.0.1 with its own data
directory, SQLite file and Ed25519 key (fixed seeds), linked through real invites.

    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link_all()
        gen = await c.federated_circle(a, [b, d])
        await c.settle()

Workers are off by default: tests step ``deliver_once``/``sync_once`` (``settle`` runs
them until nothing moves) and advance the shared ``FixedClock`` instead of sleeping.
Every node's outgoing requests go through a ``RecordingTransport`` the test can read.
``HostilePeer`` is a node the test holds the key of and makes misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from nacl.signing import SigningKey

from federation.client import PeerClient
from federation.routes import FEDERATION, install
from federation.service import Federation
from federation.transport import HttpTransport, Response, Transport
from node.clock import FixedClock
from node.config import Config
from node.domain.circles import CircleState
from node.peers import Peers
from node.server import make_app
from node.service import Node
from node.store import SQLiteStore
from protocol import Draft, Envelope, envelope_id, node_id_of, sign
from protocol.requests import NONCE, sign_request, sign_response
from web_ui import install as install_web_ui

START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
NAMES = "ABCDEFGHIJ"


def node_key(index: int) -> SigningKey:
    """The fixed key of the cluster's node ``index`` (reproducible node ids)."""
    return SigningKey(bytes([0xA0 + index]) * 32)


# --- recording transport ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None  # None: no answer (refused, timed out)


class RecordingTransport:
    """A Transport around another one that records every request sent through it."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.sent: list[SentRequest] = []

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> Response:
        status: int | None = None
        try:
            resp = await self.inner.request(method, url, headers, body)
            status = resp.status
            return resp
        finally:
            self.sent.append(SentRequest(method, url, dict(headers), body, status))

    async def close(self) -> None:
        await self.inner.close()

    def clear(self) -> None:
        self.sent.clear()


# --- nodes ------------------------------------------------------------------------------------


@dataclass(eq=False)
class ClusterNode:
    """One node of a cluster; ``node`` and ``fed`` are replaced when it restarts."""

    index: int
    name: str
    key: SigningKey
    data_dir: Path
    clock: FixedClock
    transport: RecordingTransport
    fed_options: dict[str, Any]
    workers: bool
    port: int = 0
    node: Node = field(init=False)
    fed: Federation = field(init=False)
    runner: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return node_id_of(self.key)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def online(self) -> bool:
        return self.runner is not None

    @property
    def store(self) -> SQLiteStore:
        store = self.node.store
        assert isinstance(store, SQLiteStore)
        return store

    @property
    def peers(self) -> Peers:
        return self.fed.peers

    async def start(self) -> None:
        """Open the same data directory with the same key and listen (on the same port
        once it has one, so the URL peers hold stays right)."""
        assert self.runner is None, f"{self.name} is running already"
        cfg = Config(data_dir=self.data_dir, name=f"Node {self.name}", dev_mode=True)
        store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir)
        node = Node(cfg, store, self.key, self.clock)
        app = make_app(node)
        install(app, node, self.transport, workers=False)
        install_web_ui(app, node)
        # Our own Federation, seeded for reproducible jitter and with the test's limits.
        fed = Federation(
            node, self.transport, **{"rng": random.Random(self.index), **self.fed_options}
        )
        app[FEDERATION] = fed
        node.links = fed
        # A handler still waiting on a peer that is stopping too must not hold the
        # test: shutdown waits this long for requests in flight (the daemon, 10 s).
        runner = web.AppRunner(app, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        node.config = dataclasses.replace(cfg, listen_port=self.port)
        self.node, self.fed, self.runner = node, fed, runner
        if self.workers:
            self.tasks = [
                asyncio.create_task(fed.run_delivery(idle=0.05)),
                asyncio.create_task(fed.run_sync(every=0.5)),
            ]

    async def stop(self) -> None:
        """Stop listening and close the store (writes drained); the data stays."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await runner.cleanup()

    async def export(self) -> list[bytes]:
        """Every envelope the node holds, as exported."""
        return [line async for line in self.store.export_lines()]

    def __repr__(self) -> str:
        return f"<node {self.name} {self.url}>"


class Cluster:
    def __init__(self, nodes: list[ClusterNode], clock: FixedClock) -> None:
        self.nodes = nodes
        self.clock = clock

    def __getitem__(self, index: int) -> ClusterNode:
        return self.nodes[index]

    def __iter__(self) -> Any:
        return iter(self.nodes)

    @property
    def online(self) -> list[ClusterNode]:
        return [n for n in self.nodes if n.online]

    async def start(self, node: ClusterNode) -> None:
        await node.start()

    async def stop(self, node: ClusterNode) -> None:
        await node.stop()

    async def link(self, a: ClusterNode, b: ClusterNode) -> None:
        """``a`` invites ``b``; ``b`` performs the handshake with the invite."""
        invite = await a.fed.create_invite(note=f"for {b.name}")
        await b.fed.link(str(invite))

    async def link_all(self, nodes: Sequence[ClusterNode] | None = None) -> None:
        nodes = list(self.nodes if nodes is None else nodes)
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                await self.link(a, b)

    async def federated_circle(
        self,
        home: ClusterNode,
        members: Iterable[ClusterNode],
        name: str = "General",
        people: Mapping[str, Sequence[str]] | None = None,
        invite: Sequence[str] = (),
    ) -> CircleState:
        """A federated circle homed on ``home`` that ``members`` joined: the home names
        ``people`` (a handle or ``handle@node`` and their roles) while it founds the
        circle, invites each node, the invitations are delivered, and each member's admin
        accepts, as an admin would (PROTOCOL.md §13.10); the acceptances are delivered,
        and the home queues the circle's history for each member (not yet delivered:
        ``settle`` does that). Nodes in ``invite`` are invited too and left to answer.
        Later changes of its members need a decision (§13.14)."""
        circle = await home.node.create_circle(name, f"Coordinate the {name}", federated=True)
        for person, roles in (people or {}).items():
            circle = await home.node.set_membership(circle.id, person, roles)
        for node_id in invite:
            circle = await home.node.set_membership(circle.id, node_id)
        joining = list(members)
        for member in joining:
            circle = await home.node.set_membership(circle.id, member.node_id)
        await home.fed.deliver_once()
        for member in joining:
            await member.node.circle_invitations.accept(circle.id, "admin")
            await member.fed.deliver_once()
        joined = await home.node.circle(circle.id)
        assert joined is not None
        return joined

    async def coalition(self) -> tuple[str, ClusterNode, ClusterNode, ClusterNode]:
        """The first three nodes linked, the first homing a federated circle the other two
        joined: ana (its node) facilitates, ben and cleo (the others') take part; settled.
        The circle's id and the three nodes."""
        a, b, d = self.nodes[:3]
        await self.link_all()
        await a.node.add_member("ana", "Ana")
        await b.node.add_member("ben", "Ben")
        await d.node.add_member("cleo", "Cleo")
        people = {"ana": ["facilitator"], b.node.actor_of("ben"): [], d.node.actor_of("cleo"): []}
        circle = await self.federated_circle(a, [b, d], people=people)
        await self.settle()
        return circle.id, a, b, d

    async def decide_structure(
        self,
        home: ClusterNode,
        circle_id: str,
        structure: list[dict[str, Any]],
        facilitator: str = "ana",
    ) -> str:
        """A structural proposal (§13.14) of the home's ``facilitator`` taken through a
        consent round to adoption (the other members silent past the deadline, which the
        default charter lets pass); the home carries the changes out. The decision's id."""
        gov = home.node.gov
        root = await gov.propose(
            circle_id, facilitator, "Change the circle", "As listed.", structure=structure
        )
        for phase in ("presented", "questions", "reactions", "consent"):
            await gov.move(root, facilitator, phase)
        view = await gov.proposal(root)
        assert view is not None
        await gov.stance(view.state.version_id, facilitator, "consent")
        self.clock.advance(dt.timedelta(hours=73))
        return await gov.decide(root, facilitator)

    async def settle(
        self, nodes: Sequence[ClusterNode] | None = None, *, max_rounds: int = 200
    ) -> int:
        """Run delivery and sync on every online node until a round moves nothing;
        how many envelopes were delivered or stored in all."""
        total = 0
        for _ in range(max_rounds):
            moved = 0
            for node in nodes if nodes is not None else self.nodes:
                if node.online:
                    moved += await node.fed.deliver_once()
                    moved += await node.fed.sync_once()
            if not moved:
                return total
            total += moved
        raise AssertionError(f"still moving after {max_rounds} rounds")


@contextlib.asynccontextmanager
async def cluster(n: int, *, workers: bool = False, **fed_options: Any) -> AsyncIterator[Cluster]:
    """``n`` running nodes A, B, C… sharing one FixedClock (``fed_options`` go to every
    node's Federation, e.g. ``rate=`` and ``burst=``)."""
    clock = FixedClock(START)
    with tempfile.TemporaryDirectory(prefix="nst-cluster-") as tmp:
        nodes = []
        for i in range(n):
            data_dir = Path(tmp) / NAMES[i]
            data_dir.mkdir()
            nodes.append(
                ClusterNode(
                    i,
                    NAMES[i],
                    node_key(i),
                    data_dir,
                    clock,
                    RecordingTransport(HttpTransport(dev_mode=True)),
                    fed_options,
                    workers,
                )
            )
        try:
            for node in nodes:
                await node.start()
            yield Cluster(nodes, clock)
        finally:
            for node in nodes:
                await node.stop()
            for node in nodes:
                await node.transport.close()


# --- a hostile peer ---------------------------------------------------------------------------


HOSTILE_URL = "http://127.0.0.1:9"  # nothing listens there: the hostile peer only sends


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any

    @property
    def code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"]["code"])
        return None

    @property
    def results(self) -> list[dict[str, Any]]:
        assert self.status == 200, self
        return list(self.body["results"])


Answerer = Callable[[web.Request], Awaitable[tuple[int, bytes]]]


class HostilePeer:
    """A peer whose key the test holds: it signs requests and envelopes by hand, bad ones
    on purpose, and sends them raw (no client-side checks in the way). With ``serve`` it
    also answers requests, signing whatever answer the test makes up."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.node_id = node_id_of(key)
        self.transport = HttpTransport(dev_mode=True)
        self.client = PeerClient(key, self.transport)
        self.url = HOSTILE_URL
        self.received: list[str] = []
        self._runner: web.AppRunner | None = None

    async def close(self) -> None:
        await self.transport.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def serve(self, answer: Answerer) -> None:
        """Listen on 127.0.0.1 (before ``link``, so peers learn this URL); every request
        is answered with ``answer(request)`` -> (status, body), signed like a node's,
        but for the identity document, which it gives as a node does."""

        async def handle(request: web.Request) -> web.Response:
            self.received.append(request.path_qs)
            if request.path == "/fed/v1/node":
                status, body = 200, orjson.dumps({"node_id": self.node_id, "url": self.url})
            else:
                status, body = await answer(request)
            headers = {"Content-Type": "application/json"}
            nonce = request.headers.get(NONCE)
            if nonce:
                headers.update(sign_response(self.key, nonce, status, body))
            return web.Response(status=status, body=body, headers=headers)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def link(self, target: ClusterNode) -> None:
        """Link with ``target`` through a real invite of its. Unless it serves already,
        it answers at its URL for the handshake only (the target checks that URL), and
        nothing listens there afterwards."""
        invite = await target.fed.create_invite(note="hostile")
        if self._runner is not None:
            await self.client.link(target.url, target.node_id, invite.token, self.url, "Hostile")
            return

        async def nothing(request: web.Request) -> tuple[int, bytes]:
            return 404, b'{"error":{"code":"http","message":"nothing here"}}'

        await self.serve(nothing)
        try:
            await self.client.link(target.url, target.node_id, invite.token, self.url, "Hostile")
        finally:
            runner, self._runner = self._runner, None
            assert runner is not None
            await runner.cleanup()

    def envelope(
        self,
        scope: str,
        seq: int,
        prev: str | None,
        *,
        kind: str = "message",
        body: dict[str, Any] | None = None,
        key: SigningKey | None = None,
        refs: tuple[str, ...] = (),
    ) -> tuple[Envelope, str]:
        env = sign(
            Draft(
                kind=kind,
                scope=scope,
                seq=seq,
                prev=prev,
                body={"text": f"hostile {seq}"} if body is None else body,
                ts="2026-11-22T10:00:00Z",
                refs=refs,
            ),
            key or self.key,
        )
        return env, envelope_id(env)

    async def join(self, target: ClusterNode, circle_id: str) -> str:
        """Accept the invitation of ``target`` (the circle's home) to its circle, as the
        first envelope of this peer's feed there; its id."""
        circle = await target.node.circle(circle_id)
        assert circle is not None
        invitation = circle.members[self.node_id].invitation
        assert invitation is not None
        body = {"member": self.node_id, "status": "active", "roles": []}
        env, env_id = self.envelope(
            circle_id, 1, None, kind="membership", body=body, refs=(invitation,)
        )
        answer = await self.inbox(target, [env.to_bytes()])
        assert [r["status"] for r in answer.results] == ["accepted"], answer
        return env_id

    def signed(
        self,
        target: ClusterNode,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        destination: str | None = None,
        timestamp: int | None = None,
        key: SigningKey | None = None,
    ) -> dict[str, str]:
        """Authentication headers for a request, with any field overridden."""
        return sign_request(
            key or self.key,
            method,
            path,
            destination or target.node_id,
            body,
            int(time.time()) if timestamp is None else timestamp,
        )

    async def send(
        self,
        target: ClusterNode,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send a request as is (signed for ``body`` unless ``headers`` are given)."""
        if headers is None:
            headers = self.signed(target, method, path, body)
        if body:
            headers = {**headers, "Content-Type": "application/json"}
        resp = await self.transport.request(method, target.url + path, headers, body)
        try:
            doc = orjson.loads(resp.body) if resp.body else None
        except orjson.JSONDecodeError:
            doc = resp.body
        return Answer(resp.status, doc)

    async def inbox(self, target: ClusterNode, raws: Sequence[bytes]) -> Answer:
        body = b'{"envelopes":[' + b",".join(raws) + b"]}"
        return await self.send(target, "POST", "/fed/v1/inbox", body)
