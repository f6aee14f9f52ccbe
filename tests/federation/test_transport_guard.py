"""SSRF protection: outside development mode a node contacts public HTTPS addresses only.

No test here sends traffic anywhere: literals are judged before any connection, and the
name used for the resolver guard (localhost) resolves on this machine.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from nacl.signing import SigningKey

from federation.client import PeerClient
from federation.transport import HttpTransport, UnsafeAddressError, check_url
from protocol import node_id_of
from protocol.requests import NONCE, sign_response


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/fed/v1/node",  # plain HTTP
        "https://127.0.0.1/fed/v1/node",
        "https://[::1]/fed/v1/node",
        "https://10.1.2.3/fed/v1/node",
        "https://172.16.0.9/fed/v1/node",
        "https://192.168.1.1/fed/v1/node",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://0.0.0.0/",
        "ftp://example.org/",
        "https:///no-host",
    ],
)
def test_outside_development_mode_private_and_plain_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeAddressError):
        check_url(url, dev_mode=False)


def test_public_https_passes_the_check() -> None:
    check_url("https://nst.example.org/fed/v1/node", dev_mode=False)
    check_url("https://93.184.216.34/fed/v1/node", dev_mode=False)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8470/fed/v1/node", "http://[::1]:8470/", "http://10.0.0.2/"]
)
def test_development_mode_allows_loopback_and_plain_http(url: str) -> None:
    check_url(url, dev_mode=True)


async def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time() -> None:
    transport = HttpTransport(dev_mode=False)
    try:
        with pytest.raises(UnsafeAddressError):
            await transport.request("GET", "https://localhost:9/fed/v1/node", {}, b"")
    finally:
        await transport.close()


async def test_signed_answers_are_read_whatever_case_a_proxy_gives_header_names() -> None:
    # HTTP header names are case-insensitive; a reverse proxy in front of the peer may
    # send NST-Signature as Nst-Signature or nst-signature.
    peer = SigningKey.generate()
    me = SigningKey.generate()

    async def node(request: web.Request) -> web.Response:
        body = b'{"node_id":"' + node_id_of(peer).encode() + b'"}'
        signed = sign_response(peer, request.headers[NONCE], 200, body)
        return web.Response(body=body, headers={k.lower(): v for k, v in signed.items()})

    app = web.Application()
    app.router.add_get("/fed/v1/node", node)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    transport = HttpTransport(dev_mode=True)
    try:
        client = PeerClient(me, transport)
        url = f"http://127.0.0.1:{port}"
        doc = await client.call("GET", url, node_id_of(peer), "/fed/v1/node")
        assert doc == {"node_id": node_id_of(peer)}
    finally:
        await transport.close()
        await runner.cleanup()
