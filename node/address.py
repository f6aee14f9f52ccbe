"""The address a node gives others, and where it really listens.

``nst run`` records the address it really listens on (``--listen``, ``NST_LISTEN`` or a
port the system picked), and whether it runs in development mode (``--dev``,
``NST_DEV_MODE``), in ``listen.json`` in the data directory, so that every other command
on the same directory (``nst status``, ``nst admin invite create``, ``nst admin link``)
gives the same address and follows the same mode as the running node; ``load_config``
reads it from there.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LISTEN_NAME = "listen.json"


@dataclass(frozen=True, slots=True)
class Listening:
    """What the last ``nst run`` on a data directory said of itself."""

    url: str = ""
    dev_mode: bool = False


def format_url(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def record_listening(data_dir: Path, url: str, dev_mode: bool) -> None:
    """Note where ``nst run`` listens and in which mode, replacing the file whole (a reader
    never sees half)."""
    path = data_dir / LISTEN_NAME
    tmp = path.with_name(f".{LISTEN_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url, "dev_mode": dev_mode}, f)
        f.write("\n")
    os.replace(tmp, path)


def recorded_listening(data_dir: Path) -> Listening:
    """What ``nst run`` last recorded on this data directory; nothing if it never ran (or
    the file is damaged: it holds no ``http://`` URL)."""
    try:
        doc = json.loads((data_dir / LISTEN_NAME).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return Listening()
    url = doc.get("url") if isinstance(doc, dict) else None
    if not isinstance(url, str):
        return Listening()
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or not port:
        return Listening()
    return Listening(url, doc.get("dev_mode") is True)


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
