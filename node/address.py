"""The address a node gives others, and where it really listens.

``nst run`` records the address it really listens on (``--listen``, ``NST_LISTEN`` or a
port the system picked) in ``listen.url`` in the data directory, so that every other
command on the same directory (``nst status``, ``nst admin invite create``, ``nst admin
link``) gives the same address as the running node; ``Config.url`` reads it from there.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

LISTEN_NAME = "listen.url"


def format_url(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def record_listen_url(data_dir: Path, url: str) -> None:
    """Note where ``nst run`` listens, replacing the file whole (a reader never sees half)."""
    path = data_dir / LISTEN_NAME
    tmp = path.with_name(f".{LISTEN_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(url + "\n")
    os.replace(tmp, path)


def recorded_listen_url(data_dir: Path) -> str:
    """Where ``nst run`` last listened on this data directory, or "" if it never did (or
    the file holds no ``http://`` URL)."""
    try:
        url = (data_dir / LISTEN_NAME).read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return ""
    parts = urlsplit(url)
    return url if parts.scheme == "http" and parts.hostname and parts.port else ""


PUBLIC_URL_FIX = (
    "set server.public_url (NST_PUBLIC_URL) to the https:// address other nodes reach this node at"
)


def address_problem(url: str) -> str | None:
    """Why nodes outside development mode cannot reach ``url``, or None if they can."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and ip.is_loopback):
        return f"{host} is a loopback address, which only this machine reaches"
    if ip is not None and ip.is_unspecified:
        return f"{host} is not an address others can reach (it means every interface)"
    if ip is not None and not ip.is_global:
        return f"{host} is a private address, which other networks do not reach"
    if parts.scheme != "https":
        return "it is plain HTTP, which nodes take in development mode only"
    return None
