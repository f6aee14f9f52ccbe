"""Sealed boxes: direct messages encrypted to the recipient node (PROTOCOL.md §8.10).

Each node's X25519 key pair is derived from its Ed25519 identity (libsodium's
``crypto_sign_ed25519_sk_to_curve25519`` and ``…_pk_to_curve25519``), so a node id is
all a sender needs. A box is NaCl's ``crypto_box`` (X25519, XSalsa20-Poly1305) with a
random 24-byte nonce, written ``b64u(nonce || ciphertext)``. Its plaintext is the
canonical JSON of ``{"purpose": …, "text": …}``.

``crypto_box`` keys both directions with the same shared secret, so the sender opens what
it sealed just as the recipient does: each passes its own key and the other's node id.
Pure: no I/O.
"""

from __future__ import annotations

from typing import Final

import msgspec
from nacl.exceptions import CryptoError
from nacl.public import Box
from nacl.signing import SigningKey

import protocol.canonical as canonical
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.fields import Purpose, Text
from protocol.ids import b64decode, b64encode, verify_key_of

NONCE_BYTES: Final = Box.NONCE_SIZE
MAC_BYTES: Final = 16


class SealedMessage(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """What a direct message's box holds."""

    text: Text
    purpose: Purpose = "chat"


def channel(own: SigningKey, other_node_id: str) -> Box:
    """The box two nodes share: built from one's key and the other's node id (the same
    box from either side). Building it costs a scalar multiplication: reuse it."""
    public = verify_key_of(other_node_id).to_curve25519_public_key()
    return Box(own.to_curve25519_private_key(), public)


def seal_with(box: Box, plaintext: bytes) -> str:
    return b64encode(bytes(box.encrypt(plaintext)))


def open_with(box: Box, sealed: str) -> bytes:
    """The plaintext of ``sealed``, or sealed.undecryptable (malformed, altered, or
    not sealed between these two nodes)."""
    try:
        raw = b64decode(sealed)
    except ValueError:
        raise _undecryptable("the box is not canonical base64url") from None
    if len(raw) < NONCE_BYTES + MAC_BYTES:
        raise _undecryptable(f"a box is at least {NONCE_BYTES + MAC_BYTES} bytes")
    try:
        return box.decrypt(raw[NONCE_BYTES:], raw[:NONCE_BYTES])
    except CryptoError:
        raise _undecryptable("the box does not open with this pair of keys") from None


def seal(sender: SigningKey, recipient_node_id: str, plaintext: bytes) -> str:
    """Encrypt ``plaintext`` from ``sender`` to the node ``recipient_node_id``."""
    return seal_with(channel(sender, recipient_node_id), plaintext)


def open_sealed(recipient: SigningKey, sender_node_id: str, box: str) -> bytes:
    """Decrypt a box sealed between ``recipient``'s node and ``sender_node_id`` (the
    sender reads its own box by passing its key and the recipient's id)."""
    return open_with(channel(recipient, sender_node_id), box)


def message_plaintext(text: str, purpose: str = "chat") -> bytes:
    """The canonical bytes a direct message seals; a text or purpose that breaks the
    message schema is refused (schema.invalid)."""
    content = {"text": text, "purpose": purpose}
    _decode(content)
    return canonical.dumps(content)


def read_message(plaintext: bytes) -> SealedMessage:
    """An opened box's content, checked like a body (json.*, schema.*)."""
    return _decode(canonical.loads(plaintext))


def _decode(content: object) -> SealedMessage:
    try:
        return msgspec.convert(content, SealedMessage)
    except msgspec.ValidationError as exc:
        raise RemoteProtocolError(ErrorCode.BODY_INVALID, f"sealed message: {exc}") from None


def _undecryptable(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.SEALED_UNDECRYPTABLE, message)
