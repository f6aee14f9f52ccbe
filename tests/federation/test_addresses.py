"""A node's address, proven when it links and named when it fails: the invited node
checks that the linking node answers at the URL it gives (link.url_wrong_node,
link.url_unreachable, nothing stored), and a delivery that fails says whether nobody
answers (peer.unreachable) or another node does (peer.wrong_node, naming it)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from harness import ClusterNode

from federation import links
from federation.client import PeerError
from protocol import ErrorCode

pytestmark = pytest.mark.timeout(60)


def give_url(node: ClusterNode, url: str) -> None:
    """The URL ``node`` gives others from now on (its public_url)."""
    node.node.config = dataclasses.replace(node.node.config, public_url=url)


@asynccontextmanager
async def web_server(handler: web.Handler) -> AsyncIterator[str]:
    """A plain web server on 127.0.0.1 (no node): its URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def not_found(request: web.Request) -> web.Response:
    return web.json_response({"error": "not here"}, status=404)


async def assert_nothing_linked(a: ClusterNode, b: ClusterNode) -> None:
    assert await a.peers.all() == []
    assert await b.peers.all() == []
    assert [i["used_by"] for i in await a.peers.invites()] == [None]


# --- the link handshake ----------------------------------------------------------------------


async def test_a_link_giving_another_nodes_url_is_refused_and_the_invite_stays_usable(
    cluster,
) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        invite = str(await a.fed.create_invite())
        give_url(b, d.url)  # D listens where B says it is
        with pytest.raises(PeerError) as err:
            await b.fed.link(invite)
        assert (err.value.status, err.value.code) == (400, ErrorCode.LINK_URL_WRONG_NODE)
        assert f"{d.url} answers as {d.node_id}, not as {b.node_id}" in err.value.message
        await assert_nothing_linked(a, b)

        # A asked D's URL for B's identity, signed, and D answered as itself.
        [check] = [r for r in a.transport.sent if r.url == f"{d.url}/fed/v1/node"]
        assert (check.method, check.headers["NST-Destination"], check.status) == (
            "GET",
            b.node_id,
            401,
        )

        give_url(b, b.url)
        peer = await b.fed.link(invite)
        assert peer.node_id == a.node_id
        on_a = await a.peers.get(b.node_id)
        assert on_a is not None
        assert (on_a.url, on_a.state) == (b.url, "linked")

        # A repeat of the handshake (its answer was lost, say) stores nothing new: it is
        # answered as before, without a new check.
        a.transport.clear()
        assert (await b.fed.link(invite)).state == "linked"
        assert a.transport.sent == []


async def test_a_link_whose_url_does_not_answer_is_refused(cluster, monkeypatch) -> None:
    monkeypatch.setattr(links, "URL_CHECK_SECONDS", 0.5)
    async with cluster(2) as c:
        a, b = c.nodes
        invite = str(await a.fed.create_invite())

        async def refused_with(url: str, said: str) -> None:
            give_url(b, url)
            with pytest.raises(PeerError) as err:
                await b.fed.link(invite)
            assert (err.value.status, err.value.code) == (400, ErrorCode.LINK_URL_UNREACHABLE)
            assert said in err.value.message
            assert url in err.value.message
            await assert_nothing_linked(a, b)

        await refused_with("http://127.0.0.1:9", "Connection refused")
        async with web_server(not_found) as url:  # a web server, but no node
            await refused_with(url, "HTTP 404 without a signature")

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(30)  # takes the connection, never answers

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        try:
            port = server.sockets[0].getsockname()[1]
            started = time.monotonic()
            await refused_with(f"http://127.0.0.1:{port}", "no answer within 0.5 s")
            assert time.monotonic() - started < 5
        finally:
            server.close()

        give_url(b, b.url)
        assert (await b.fed.link(invite)).state == "linked"


async def test_the_identity_document_is_signed_to_a_signed_request(cluster) -> None:
    async with cluster(2) as c:
        a, b = c.nodes
        doc = await b.fed.client.identity(a.url, a.node_id)  # checks A's signature
        assert (doc["node_id"], doc["url"], doc["name"]) == (a.node_id, a.url, "Node A")
        # Unsigned requests get the same document, unsigned.
        assert await b.fed.client.node_info(a.url) == doc
        [_, plain] = b.transport.sent
        assert "NST-Nonce" not in plain.headers


# --- deliveries ------------------------------------------------------------------------------


async def test_a_delivery_failure_says_who_answered_or_that_nobody_did(cluster) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        await c.link(a, b)
        gen = await c.federated_circle(a, [b])
        await c.settle()
        await a.node.author("message", gen.id, {"text": "to B"})

        async def fails_with(prefix: str, *said: str) -> None:
            c.clock.advance(dt.timedelta(hours=2))  # past any backoff
            assert await a.fed.deliver_once() == 0
            peer = await a.peers.get(b.node_id)
            assert peer is not None
            assert peer.queued == 1  # nothing dropped
            assert (peer.last_error or "").startswith(f"{prefix}: "), peer.last_error
            for words in said:
                assert words in (peer.last_error or "")
            [listed] = [p for p in (await a.node.status())["peers"] if p["node_id"] == b.node_id]
            assert listed["last_error"] == peer.last_error
            assert a.fed.last_errors[-1]["error"] == peer.last_error

        # B's address now reaches D (B moved; D took its old port).
        await a.peers.link(b.node_id, d.url, "Node B")
        await fails_with(ErrorCode.PEER_WRONG_NODE, f"{d.url} answers as {d.node_id}")
        await a.peers.link(b.node_id, "http://127.0.0.1:9", "Node B")
        await fails_with(ErrorCode.PEER_UNREACHABLE, "Connection refused")
        async with web_server(not_found) as url:
            await a.peers.link(b.node_id, url, "Node B")
            await fails_with(ErrorCode.PEER_UNREACHABLE, "HTTP 404 without a signature")

        # The remedy docs/admin.md gives: B links again with a fresh invite of A's, and
        # its address is checked and recorded anew.
        await c.link(a, b)
        on_a = await a.peers.get(b.node_id)
        assert on_a is not None
        assert on_a.url == b.url
        c.clock.advance(dt.timedelta(hours=2))
        assert await a.fed.deliver_once() == 1
        peer = await a.peers.get(b.node_id)
        assert peer is not None
        assert (peer.failures, peer.last_error) == (0, None)
