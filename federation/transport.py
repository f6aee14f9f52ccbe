"""The transport seam: how a node sends HTTP requests to another node.

``HttpTransport`` is the real one (aiohttp). It refuses plain HTTP and private,
loopback and link-local addresses unless the node runs in development mode (SSRF
protection), and checks every address the name resolves to, at connect time, so a
DNS answer cannot swap in an internal address later.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class TransportError(Exception):
    """The request did not get an answer (refused, timed out, unsafe address)."""


class UnsafeAddressError(TransportError):
    """The URL points at an address this node may not contact."""


class ConnectionLostError(TransportError):
    """The server closed the connection before answering: typically a kept-alive
    connection to a peer that has restarted since. Sending again may well work."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    # Header names are case-insensitive (a reverse proxy may send Nst-Signature).
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


class Transport(Protocol):
    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> Response: ...

    async def close(self) -> None: ...


def _address_allowed(address: str, dev_mode: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.is_global:
        return True
    return dev_mode and (ip.is_loopback or ip.is_private)


def check_url(url: str, dev_mode: bool) -> None:
    """Refuse URLs this node may not contact, before any connection."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeAddressError(f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not dev_mode:
        raise UnsafeAddressError(f"{url}: plain HTTP is allowed in development mode only")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not _address_allowed(str(literal), dev_mode):
        raise UnsafeAddressError(f"{url}: {literal} is not a public address")


class _GuardedResolver(AbstractResolver):
    def __init__(self, dev_mode: bool) -> None:
        self._inner = DefaultResolver()
        self._dev_mode = dev_mode

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if _address_allowed(r["host"], self._dev_mode)]
        if not allowed:
            raise UnsafeAddressError(f"{host} resolves to no public address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


async def read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """The whole body, or its first ``limit + 1`` bytes when it is longer.

    ``StreamReader.read(n)`` returns what is buffered so far, not ``n`` bytes, so one
    call can cut a body short (and its digest then fails to match).
    """
    data = bytearray()
    while len(data) <= limit:
        chunk = await stream.read(limit + 1 - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


class HttpTransport:
    def __init__(self, *, dev_mode: bool = False) -> None:
        self.dev_mode = dev_mode
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=_GuardedResolver(self.dev_mode), limit=64)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=TIMEOUT, auto_decompress=False
            )
        return self._session

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> Response:
        check_url(url, self.dev_mode)
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
        if body:
            kwargs["data"] = body
        try:
            # encoded=True: send the path and query exactly as given (and signed).
            target = yarl.URL(url, encoded=True)
            async with self._client().request(method, target, **kwargs) as resp:
                data = await read_at_most(resp.content, MAX_RESPONSE_BYTES)
                if len(data) > MAX_RESPONSE_BYTES:
                    raise TransportError(f"{url}: response over {MAX_RESPONSE_BYTES} bytes")
                return Response(resp.status, resp.headers, data)
        except aiohttp.ServerDisconnectedError as exc:
            raise ConnectionLostError(f"{method} {url}: {exc!r}") from None
        except aiohttp.ClientConnectorError as exc:  # refused, unreachable, no such name
            errno, err = exc.os_error.errno, exc.os_error
            # asyncio's strerror is "Connect call failed (…)"; the errno says why (DNS
            # failures have negative ones, and a strerror of their own).
            reason = os.strerror(errno) if errno and errno > 0 else err.strerror or repr(err)
            raise TransportError(f"{method} {url}: cannot connect: {reason}") from None
        except TimeoutError:
            raise TransportError(f"{method} {url}: no answer in time") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} {url}: {exc!r}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
