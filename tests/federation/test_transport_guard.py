"""SSRF protection: outside development mode a node contacts public HTTPS addresses only.

No test here sends traffic anywhere: literals are judged before any connection, and the
name used for the resolver guard (localhost) resolves on this machine.
"""

from __future__ import annotations

import pytest

from federation.transport import HttpTransport, UnsafeAddressError, check_url


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
