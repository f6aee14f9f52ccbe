"""The address of the client behind a request, for login throttling: the connection's
own address, or, when that is a reverse proxy the node trusts (``[server]
trusted_proxies``), the right-most address of the proxy's header that is not itself a
trusted proxy. Addresses further left were written by the client and prove nothing.
"""

from __future__ import annotations

import ipaddress

import structlog
from aiohttp import web

from node.service import Node

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
log = structlog.get_logger("nst.web")


class ClientAddresses:
    """Finds a request's client address, as the node's configuration says which proxies
    to trust (``trusted_proxies``) and which header they set (``proxy_header``)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._parsed: tuple[tuple[str, ...], tuple[Network, ...]] = ((), ())
        self._warned = False

    @property
    def trusted(self) -> tuple[Network, ...]:
        listed = self.node.config.trusted_proxies
        if listed != self._parsed[0]:
            self._parsed = (listed, tuple(ipaddress.ip_network(t, strict=False) for t in listed))
        return self._parsed[1]

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.trusted)

    def _chain(self, request: web.Request) -> list[str]:
        """The addresses the proxies' header lists, first (the original client) to last."""
        if self.node.config.proxy_header == "forwarded":
            return [_bare(str(element.get("for", ""))) for element in request.forwarded]
        found: list[str] = []
        for line in request.headers.getall("X-Forwarded-For", []):
            found.extend(_bare(part) for part in line.split(","))
        return found

    def of(self, request: web.Request) -> str:
        """The client's address (a string used as a key, never trusted for more)."""
        remote = request.remote or "?"
        if not self._is_trusted(remote):
            if not self._warned and not self.trusted and _forwarded(request):
                # Behind a proxy the node does not trust, every member is one client.
                log.warning("web.untrusted_proxy", remote=remote)
                self._warned = True
            return remote
        chain = self._chain(request)
        for address in reversed(chain):
            if address and not self._is_trusted(address):
                return address
        return chain[0] if chain and chain[0] else remote


def _forwarded(request: web.Request) -> bool:
    return "X-Forwarded-For" in request.headers or "Forwarded" in request.headers


def _bare(value: str) -> str:
    """An address without brackets or port: ``[2001:db8::1]:4711`` -> ``2001:db8::1``."""
    value = value.strip().strip('"')
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:  # IPv4 with a port
        return value.partition(":")[0]
    return value


__all__ = ["ClientAddresses"]
