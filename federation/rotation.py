"""Rotating this node's key while it runs (PROTOCOL.md §4.2).

``rotate_key`` stages the new key file, has the old key sign a ``key.rotate`` for every
linked peer (queued in the ordinary outbox), puts the new key file in place (the old one
kept as ``node.key.old-<UTC stamp>``) and switches the running Node and Federation.

A peer accepts requests only from the id it has linked, so until it has taken in our
rotation it must still hear from the old id: ``RotatingClient`` signs each request to a
peer whose key.rotate is still queued with the retired key the peer knows, and with the
current key once it went out. After a restart, ``install_rotating_client`` with the kept
keys (``node.rotation.load_retired_keys``) resumes that for peers that were unreachable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from nacl.signing import SigningKey

from federation.client import PeerClient
from federation.service import Federation
from federation.transport import Response, Transport
from node.rotation import KeySwap, author_rotations, pending_rotation, switch_key
from node.service import Node
from protocol import node_id_of


class RotatingClient(PeerClient):
    """A PeerClient that signs with the retired key a peer still knows us by."""

    def __init__(self, node: Node, transport: Transport, retired: Iterable[SigningKey]) -> None:
        super().__init__(node.key, transport)
        self.node = node
        self.retired = {node_id_of(k): k for k in retired}
        # Peers that took our rotation in: no rotation of ours is queued for them again
        # (a later rotation installs a new client), so their queue is not looked at again.
        self._told: set[str] = set()

    async def call_raw(
        self, method: str, url: str, peer: str, path: str, body: bytes = b""
    ) -> Response:
        key = self.node.key
        if self.retired and peer not in self._told:
            old = await pending_rotation(self.node, peer)
            if old is None:
                self._told.add(peer)
            elif old in self.retired:
                key = self.retired[old]
        return await PeerClient(key, self.transport).call_raw(method, url, peer, path, body)


def install_rotating_client(federation: Federation, retired: Iterable[SigningKey]) -> None:
    """Sign requests with the node's current key, or with a retired one (of ``retired``)
    to peers whose key.rotate has not gone out yet."""
    node = federation.node
    federation.client = RotatingClient(node, federation.transport, retired)
    federation.peers.self_id = node.node_id


async def rotate_key(
    node: Node, federation: Federation, *, reason: str = "", passphrase: str | None = None
) -> SigningKey:
    """Rotate to a fresh key; returns it. ``passphrase`` opens the current key file and
    encrypts the new one (as ``nst init`` would). Nothing changes if the key file does
    not hold the running key or the passphrase is wrong.

    The envelopes are committed before the new key file is put in place: if the process
    dies in between, ``node.key.new`` holds the successor; move it over ``node.key``.
    """
    old_key = node.key
    new_key = SigningKey.generate()
    stamp = node.clock.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    swap = KeySwap.prepare(node.config, old_key, new_key, stamp, passphrase)
    try:
        await author_rotations(node, new_key, reason)
    except BaseException:
        swap.abort()
        raise
    swap.commit()
    retired = [old_key]
    if isinstance(federation.client, RotatingClient):
        retired.extend(federation.client.retired.values())
    switch_key(node, new_key)
    install_rotating_client(federation, retired)
    return new_key
