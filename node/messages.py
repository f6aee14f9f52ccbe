"""Circle conversations: plain-text messages in a circle, threaded, on behalf of members.
(Direct messages between organizations are sealed: see ``node.direct``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.domain.errors import DomainError
from node.store.codec import envelope_from_row
from protocol import RemoteProtocolError

if TYPE_CHECKING:
    from node.service import Node


async def post(
    node: Node, circle_id: str, handle: str, text: str, *, thread: str | None = None
) -> str:
    """``handle`` writes to the circle (members only)."""
    if not text.strip():
        raise DomainError("message.empty", "say something")
    circle = await node.circle(circle_id)
    actor = node.actor_of(handle)
    if circle is None or not circle.is_active(actor):
        raise DomainError("message.not_member", "only the circle's members write in it")
    body: dict[str, Any] = {"text": text}
    if thread:
        body["thread"] = thread
    try:
        result = await node.author("message", circle_id, body, actor=actor)
    except RemoteProtocolError as exc:
        raise DomainError(str(exc.code), exc.message) from None
    assert result.id is not None
    return result.id


async def thread(node: Node, circle_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The circle's chat (not the questions on proposals), newest last."""
    rows = await node.store.fetchall(
        "SELECT id, header, body FROM (SELECT rowid, id, header, body FROM envelopes"
        " WHERE scope = ? AND kind = 'message' ORDER BY rowid DESC LIMIT ?) ORDER BY rowid",
        (circle_id, limit),
    )
    out = []
    for env_id, header, body in rows:
        env = envelope_from_row(header, body)
        b = env.body or {}
        if b.get("purpose", "chat") != "chat":
            continue
        out.append(
            {
                "id": env_id,
                "actor": env.actor or env.author,
                "text": b.get("text"),
                "ts": env.ts,
                "thread": b.get("thread"),
            }
        )
    return out
