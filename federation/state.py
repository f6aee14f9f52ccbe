"""What the parts of the federation service share: the node, its peers, the signed
client, the verifier, the wake-up events of the workers and the recent failures.

``Federation`` (federation/service.py) is this state with the parts' methods mixed in;
each part (authentication, links, inbox, sync, delivery) is a subclass of
``FederationState`` in a module of its own.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from typing import Any

import structlog

from federation.client import PeerClient
from federation.limits import RateLimiter
from federation.transport import Transport, TransportError
from federation.verifier import Verifier
from node.peers import Peers
from node.service import Node
from protocol import SUPPORTED, ErrorCode

log = structlog.get_logger("nst.federation")


def failure_text(error: object) -> str:
    """A failed exchange with a peer as an admin reads it, its code first: no answer is
    peer.unreachable, another node answering is peer.wrong_node (WrongNodeError)."""
    if isinstance(error, TransportError):
        return f"{ErrorCode.PEER_UNREACHABLE}: {error}"
    return str(error)


class FederationState:
    def __init__(
        self,
        node: Node,
        transport: Transport,
        *,
        rng: random.Random | None = None,
        rate: float = 200.0,
        burst: float = 400.0,
        verifier: Verifier | None = None,
    ) -> None:
        self.node = node
        self.transport = transport
        self.peers = Peers(node.store, node.clock, node.node_id)
        self.client = PeerClient(node.key, transport)
        self.verifier = verifier or Verifier(workers=0)
        self.started = int(time.time())
        self.wake = asyncio.Event()
        self.sync_wake = asyncio.Event()
        self.last_errors: deque[dict[str, Any]] = deque(maxlen=50)
        self._seen: dict[str, int] = {}
        self._seen_order: deque[tuple[int, str]] = deque()
        self._contacted: dict[str, float] = {}
        self._limiter = RateLimiter(rate, burst)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        node.listeners.append(self.wake.set)

    def identity(self) -> dict[str, Any]:
        return {
            "node_id": self.node.node_id,
            "name": self.node.config.name,
            "url": self.node.config.url,
            "protocol": sorted(SUPPORTED),
        }

    def _error(self, what: str, peer: str, error: object, **extra: Any) -> None:
        text = failure_text(error)
        entry = {"what": what, "peer": peer, "error": text, **extra}
        entry["at"] = self.node.clock.now().isoformat()
        self.last_errors.append(entry)
        log.warning(what, peer=peer, error=text, **extra)
