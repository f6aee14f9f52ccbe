"""Key rotation (PROTOCOL.md §4.2): the old key signs a ``key.rotate`` envelope naming
its successor, and the successor proves it agrees by signing the canonical bytes of
``{"new": <new node id>, "old": <old node id>}``, so no one can rotate a node onto a
key it does not hold, nor onto someone else's. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

import protocol.canonical as canonical
from protocol.envelope import Envelope
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.ids import b64decode, b64encode, node_id_of, verify_key_of


def proof_input(old_node_id: str, new_node_id: str) -> bytes:
    """The bytes the new key signs."""
    return canonical.dumps({"new": new_node_id, "old": old_node_id})


def make_rotation(old_key: SigningKey, new_key: SigningKey, reason: str = "") -> dict[str, Any]:
    """The body of a ``key.rotate`` envelope that ``old_key`` signs."""
    old, new = node_id_of(old_key), node_id_of(new_key)
    if old == new:
        raise LocalProtocolError("a key rotates to another key")
    proof = new_key.sign(proof_input(old, new)).signature
    return {"new_key": new, "proof": b64encode(proof), "reason": reason}


def check_rotation(env: Envelope) -> str:
    """The successor named by a ``key.rotate`` envelope whose proof verifies; else
    sig.bad_rotation_proof. The envelope's own signature is checked already (§6 step 4).
    """
    if env.kind != "key.rotate" or env.body is None:
        raise LocalProtocolError("check_rotation takes a key.rotate envelope with its body")
    new = env.body["new_key"]
    if new == env.author:
        raise _bad(f"{new} cannot succeed itself")
    try:
        verify_key_of(new).verify(proof_input(env.author, new), b64decode(env.body["proof"]))
    except RemoteProtocolError as exc:
        raise _bad(f"new_key is not a usable key: {exc.message}") from None
    except (BadSignatureError, ValueError):
        raise _bad(f"proof is not {new}'s signature over the rotation") from None
    return str(new)


def _bad(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.BAD_ROTATION_PROOF, message)
