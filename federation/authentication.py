"""Authenticating requests from peers (PROTOCOL.md §12.2): signature, destination,
freshness, replay, whether the sender is linked or refused, and its request rate (§12.11).
"""

from __future__ import annotations

import time
from typing import Any

from federation.state import FederationState
from protocol import ErrorCode, RemoteProtocolError
from protocol.requests import MAX_SKEW, verify_headers, verify_request


class Authentication(FederationState):
    def check_signed(self, headers: Any, method: str, path: str) -> str:
        """The sender of a signed request without a body that only reads public data
        (the identity document): its signature, destination and freshness are checked,
        not whether it is linked, nor replays (a replay reads the same document)."""
        now = int(time.time())
        req = verify_request(
            headers, method, path, b"", self_id=self.node.node_id, now=now, not_before=self.started
        )
        return req.sender

    async def authenticate(
        self, headers: Any, method: str, path: str, *, linking: bool = False
    ) -> str:
        """The sender of a request whose headers are valid (§12.2 steps 3–12), or
        RemoteProtocolError (auth.*): what is checked before its body is read."""
        now = int(time.time())
        req = verify_headers(
            headers, method, path, self_id=self.node.node_id, now=now, not_before=self.started
        )
        if req.nonce in self._seen:
            raise RemoteProtocolError(ErrorCode.AUTH_REPLAY, "this request was seen already")
        self._remember(req.nonce, req.timestamp, now)
        if not await self.peers.allowed(req.sender):
            raise RemoteProtocolError(ErrorCode.AUTH_DENIED, f"{req.sender} is refused here")
        if not linking and await self.peers.linked(req.sender) is None:
            raise RemoteProtocolError(
                ErrorCode.AUTH_NOT_LINKED, f"{req.sender} is not linked with this node"
            )
        if not self._limiter.allow(req.sender, time.monotonic()):
            raise RemoteProtocolError(ErrorCode.AUTH_RATE_LIMITED, "too many requests; slow down")
        return req.sender

    def _remember(self, nonce: str, timestamp: int, now: int) -> None:
        # Nonces older than the freshness window cannot be replayed (they would be stale),
        # so they are forgotten in arrival order: constant work per request.
        self._seen[nonce] = timestamp
        self._seen_order.append((now, nonce))
        horizon = now - 2 * MAX_SKEW
        while self._seen_order and self._seen_order[0][0] < horizon:
            _, old = self._seen_order.popleft()
            self._seen.pop(old, None)
