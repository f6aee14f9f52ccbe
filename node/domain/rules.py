"""Kind rules that depend on the envelope alone (PROTOCOL.md §6 step 7). Pure.

- A ``message`` in a direct scope carries a sealed ``box``, never plain ``text``; in a
  circle, ``text``, never a ``box`` (a circle has no single recipient to seal to).
- A ``key.rotate`` is the node's own act (no actor), sent in a direct scope (one to each
  linked peer, through the ordinary outbox), and its proof verifies (§4.2).
- A node's own removal from a circle (it declines an invitation or leaves, §13.10) names
  its own seq as ``final_seq``: the last of its feed there, so it writes nothing after.
  The circle's current home is no such node, whichever node the circle id names.

An envelope without its body (retracted, §5.4) has nothing left to check here.
"""

from __future__ import annotations

from protocol import Envelope, ErrorCode, RemoteProtocolError, scope_owner
from protocol.ids import is_direct
from protocol.rotation import check_rotation


def check_kind_rules(env: Envelope, home: str | None = None) -> None:
    """Raise RemoteProtocolError (rule.*, sig.bad_rotation_proof) if ``env`` breaks one;
    ``home`` is the circle's current home (§13.15; None: the node its id names)."""
    body = env.body
    if body is None:
        return
    if env.kind == "message":
        if is_direct(env.scope):
            if body.get("text") is not None:
                raise RemoteProtocolError(
                    ErrorCode.PLAINTEXT_DIRECT, "a direct message is sealed: box, not text"
                )
        elif body.get("box") is not None:
            raise RemoteProtocolError(
                ErrorCode.SEALED_IN_CIRCLE, "a circle's message is plain text, not a box"
            )
    elif env.kind == "key.rotate":
        if not is_direct(env.scope) or env.actor is not None:
            raise RemoteProtocolError(
                ErrorCode.ROTATION_SCOPE,
                "a key.rotate is the node's own (actor null), in a direct scope",
            )
        check_rotation(env)
    elif (
        env.kind == "membership"
        and body.get("member") == env.author
        and body.get("status") == "removed"
        and env.author != (home or scope_owner(env.scope))
        and body.get("final_seq") != env.seq
    ):
        raise RemoteProtocolError(
            ErrorCode.BAD_FINAL_SEQ,
            f"a node's own removal names its own seq ({env.seq}) as final_seq",
        )
