"""Links between nodes (PROTOCOL.md §12.6, §12.7): invites, the handshake either way (the
linking node's URL proven first), and unlinking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

import msgspec
import structlog

from federation.client import PeerError, WrongNodeError
from federation.invites import Invite, new_token, parse_invite, token_hash
from federation.state import FederationState, failure_text
from federation.transport import TransportError, check_url
from node.peers import Peer
from protocol import ErrorCode, RemoteProtocolError
from protocol.bodies import decode

log = structlog.get_logger("nst.federation")

URL_CHECK_SECONDS = 5.0  # how long a linking node's URL has to answer (§12.6)


class _LinkBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(max_length=100)]
    url: Annotated[str, msgspec.Meta(max_length=2000)]
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""


_LINK = msgspec.json.Decoder(_LinkBody)


class Links(FederationState):
    # --- inbound ------------------------------------------------------------------------

    async def on_link(self, sender: str, body: bytes) -> dict[str, Any]:
        req = decode(_LINK, body)
        try:
            check_url(req.url, self.node.config.dev_mode)
        except TransportError as exc:
            raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, str(exc)) from None
        digest = token_hash(req.token)
        # The invite first (no request goes out for a node without one), then the URL, so
        # that no link is stored pointing at an address where the node is not.
        if await self.peers.check_invite(digest, sender):
            await self.prove_url(sender, req.url)
        peer = await self.peers.accept_invite(digest, sender, req.url, req.name)
        log.info("linked", peer=peer.node_id, url=peer.url, by="invite")
        self.wake.set()
        return self.identity()

    async def prove_url(self, node_id: str, url: str) -> None:
        """Check that ``node_id`` answers at ``url`` (a signed identity document), or
        refuse with link.url_wrong_node or link.url_unreachable."""
        try:
            async with asyncio.timeout(URL_CHECK_SECONDS):
                await self.client.identity(url, node_id)
        except WrongNodeError as exc:
            raise RemoteProtocolError(
                ErrorCode.LINK_URL_WRONG_NODE,
                f"{exc.message}, the linking node: another node listens at the address it gave",
            ) from None
        except (TimeoutError, TransportError, PeerError, RemoteProtocolError) as exc:
            reason = (
                f"no answer within {URL_CHECK_SECONDS:g} s"
                if isinstance(exc, TimeoutError)
                else failure_text(exc)
            )
            raise RemoteProtocolError(
                ErrorCode.LINK_URL_UNREACHABLE,
                f"the linking node {node_id} does not answer at {url} ({reason}): it must be"
                " running, and reachable at that address (its public_url)",
            ) from None

    async def on_unlink(self, sender: str) -> dict[str, Any]:
        await self.peers.unlink(sender)
        log.info("unlinked", peer=sender, by="peer")
        return {}

    # --- outbound -----------------------------------------------------------------------

    async def create_invite(
        self, expires: dt.timedelta = dt.timedelta(days=7), note: str = ""
    ) -> Invite:
        token = new_token()
        await self.peers.add_invite(token_hash(token), self.node.clock.now() + expires, note)
        return Invite(self.node.node_id, self.node.config.url, token)

    async def link(self, invite_text: str) -> Peer:
        """Perform the handshake with the node that made the invite; both sides end up
        linked with each other's id, URL and key."""
        invite = parse_invite(invite_text)
        if invite.node == self.node.node_id:
            raise RemoteProtocolError(ErrorCode.LINK_WRONG_NODE, "this is this node's own invite")
        cfg = self.node.config
        try:
            doc = await self.client.link(invite.url, invite.node, invite.token, cfg.url, cfg.name)
        except WrongNodeError as exc:
            raise RemoteProtocolError(
                ErrorCode.LINK_WRONG_NODE, f"{exc.message}, the node the invite names"
            ) from None
        if doc.get("node_id") != invite.node:
            raise RemoteProtocolError(
                ErrorCode.LINK_WRONG_NODE, f"{invite.url} is not {invite.node}"
            )
        peer = await self.peers.link(invite.node, invite.url, str(doc.get("name", "")))
        log.info("linked", peer=peer.node_id, url=peer.url, by="us")
        self.wake.set()
        return peer

    async def unlink(self, node_id: str) -> Peer | None:
        """Tell the peer (if it answers) and stop exchanging with it either way."""
        peer = await self.peers.get(node_id)
        if peer is None:
            return None
        try:
            await self.client.unlink(peer.url, node_id)
        except (TransportError, PeerError, RemoteProtocolError) as exc:
            self._error("unlink", node_id, exc)
        log.info("unlinked", peer=node_id, by="us")
        return await self.peers.unlink(node_id)
