"""Direct messages between two nodes, sealed to the recipient (PROTOCOL.md §8.10).

``send_direct`` seals the text and purpose to the recipient's key and authors a
``message`` whose body carries only the box, in ``direct:<recipient>``; the outbox
delivers it to that node alone. ``read_direct`` lists both directions of a conversation
with one peer, opened: the sender opens its own boxes too (both ends share the box key).

Ids before a key rotation are part of the conversation: a peer's former ids (what it
wrote before it rotated) and ours. A box sealed to or by one of our retired keys opens
only if that key is passed in ``retired``; otherwise it is listed as undecryptable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from nacl.public import Box
from nacl.signing import SigningKey

from node.domain.errors import DomainError
from node.service import Node
from node.store import AppendResult
from node.store.rotations import CHAIN_SQL
from protocol import ErrorCode, RemoteProtocolError, node_id_of, scope_owner, verify_key_of
from protocol.ids import DIRECT_PREFIX
from protocol.sealed import channel, message_plaintext, open_with, read_message, seal_with


@dataclass(frozen=True, slots=True)
class DirectMessage:
    id: str
    author: str
    actor: str | None
    ts: str
    sent: bool  # written by us (under any of our ids)
    text: str | None  # None: retracted, or a box that does not open (see ``error``)
    purpose: str | None
    thread: str | None
    error: str | None = None


async def send_direct(
    node: Node,
    recipient_node_id: str,
    text: str,
    actor: str | None = None,
    *,
    purpose: str = "chat",
    thread: str | None = None,
) -> AppendResult:
    """Seal ``text`` to a linked peer and queue it for that peer alone."""
    verify_key_of(recipient_node_id)
    linked = await node.store.fetchone(
        "SELECT 1 FROM peers WHERE node_id = ? AND state = 'linked'", (recipient_node_id,)
    )
    if linked is None:
        raise DomainError("direct.not_linked", f"{recipient_node_id} is not a linked peer")
    box = seal_with(channel(node.key, recipient_node_id), message_plaintext(text, purpose))
    body: dict[str, str] = {"box": box}
    if thread is not None:
        body["thread"] = thread
    return await node.author("message", DIRECT_PREFIX + recipient_node_id, body, actor=actor)


async def read_direct(
    node: Node, peer_node_id: str, *, retired: Iterable[SigningKey] = ()
) -> list[DirectMessage]:
    """Every message of the conversation with ``peer_node_id``, both ways, by ts."""
    ours = await _chain(node, node.node_id)
    theirs = await _chain(node, peer_node_id)
    keys = {node_id_of(k): k for k in retired}
    keys[node.node_id] = node.key
    to_them = [DIRECT_PREFIX + n for n in theirs]
    to_us = [DIRECT_PREFIX + n for n in ours]
    rows = await node.store.fetchall(
        "SELECT id, author, actor, ts, scope, body FROM envelopes WHERE kind = 'message'"
        " AND ((author IN (SELECT value FROM json_each(:ours))"
        " AND scope IN (SELECT value FROM json_each(:to_them)))"
        " OR (author IN (SELECT value FROM json_each(:theirs))"
        " AND scope IN (SELECT value FROM json_each(:to_us))))"
        " ORDER BY ts, rowid",
        {
            name: orjson.dumps(ids).decode()
            for name, ids in (
                ("ours", ours),
                ("to_them", to_them),
                ("theirs", theirs),
                ("to_us", to_us),
            )
        },
    )
    opener = _Opener(keys)
    out = []
    for env_id, author, actor, ts, scope, raw in rows:
        sent = author in ours
        mine, other = (author, scope_owner(scope)) if sent else (scope_owner(scope), author)
        body = orjson.loads(raw) if raw is not None else None
        text, purpose, error = opener.open(mine, other, body)
        thread = body.get("thread") if body is not None else None
        out.append(DirectMessage(env_id, author, actor, ts, sent, text, purpose, thread, error))
    return out


class _Opener:
    """Opens boxes with the keys we hold, building each pair's box once."""

    def __init__(self, keys: dict[str, SigningKey]) -> None:
        self.keys = keys
        self.boxes: dict[tuple[str, str], Box] = {}

    def open(
        self, mine: str, other: str, body: dict[str, Any] | None
    ) -> tuple[str | None, str | None, str | None]:
        """(text, purpose, error code) of a message body; all None once retracted."""
        if body is None:
            return None, None, None
        try:
            if mine not in self.keys or body.get("box") is None:
                raise RemoteProtocolError(
                    ErrorCode.SEALED_UNDECRYPTABLE, f"no key of {mine} here, or no box"
                )
            box = self.boxes.get((mine, other))
            if box is None:
                box = self.boxes[mine, other] = channel(self.keys[mine], other)
            content = read_message(open_with(box, body["box"]))
        except RemoteProtocolError as exc:
            return None, None, str(exc.code)
        return content.text, content.purpose, None


async def _chain(node: Node, node_id: str) -> list[str]:
    """``node_id`` and every id that rotated into it."""
    return [r[0] for r in await node.store.fetchall(CHAIN_SQL, (node_id,))]
