"""Identifiers: unpadded base64url, node ids, envelope and body hashes, actors, scopes.

A node id is ``ed25519:`` + the unpadded base64url of its 32-byte public key; a hash is
``sha256:`` + the unpadded base64url of a SHA-256 digest. Encodings must be canonical
(no padding, zero trailing bits), so every id has exactly one spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from functools import lru_cache

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.signing import SigningKey, VerifyKey

from protocol.errors import ErrorCode, RemoteProtocolError

NODE_PREFIX = "ed25519:"
HASH_PREFIX = "sha256:"
DIRECT_PREFIX = "direct:"
CIRCLE_PREFIX = "circle:"

_B64 = "[A-Za-z0-9_-]"
# 32 bytes take 43 characters whose last one carries 2 unused bits, which must be zero;
# 64 bytes take 86 characters with 4 unused bits. So each spelling is the only one.
B64_32 = f"{_B64}{{42}}[AEIMQUYcgkosw048]"
B64_64 = f"{_B64}{{85}}[AQgw]"
NODE_ID_PATTERN = f"ed25519:{B64_32}"
HASH_PATTERN = f"sha256:{B64_32}"
HANDLE_PATTERN = r"[a-z0-9][a-z0-9_.-]{0,31}"
ACTOR_PATTERN = rf"{HANDLE_PATTERN}@{NODE_ID_PATTERN}"
CIRCLE_LOCAL_PATTERN = rf"{_B64}{{1,64}}"
CIRCLE_ID_PATTERN = rf"circle:{CIRCLE_LOCAL_PATTERN}@{NODE_ID_PATTERN}"
SCOPE_PATTERN = rf"(?:{CIRCLE_ID_PATTERN}|direct:{NODE_ID_PATTERN})"

_HASH_RE = re.compile(HASH_PATTERN)
_ACTOR_RE = re.compile(rf"({HANDLE_PATTERN})@({NODE_ID_PATTERN})")
_SCOPE_RE = re.compile(rf"(?:circle:{CIRCLE_LOCAL_PATTERN}@|direct:)({NODE_ID_PATTERN})")


_URLSAFE = bytes.maketrans(b"+/", b"-_")
# Back to standard base64, for binascii to decode a spelling already checked canonical.
FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64encode(raw: bytes) -> str:
    """Unpadded base64url."""
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing any non-canonical spelling (ValueError)."""
    if not text.isascii() or "=" in text or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None
    if b64encode(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def _sha256_id(data: bytes) -> str:
    """``sha256:`` + base64url digest: the form of envelope ids and body hashes."""
    return HASH_PREFIX + b64encode(hashlib.sha256(data).digest())


try:
    from protocol._speedups import sha256_id as sha256_id
except ImportError:  # built without a C compiler
    sha256_id = _sha256_id


def node_id_of(key: VerifyKey | SigningKey) -> str:
    """The node id of a public key (or of a signing key's public half)."""
    verify_key = key.verify_key if isinstance(key, SigningKey) else key
    return NODE_PREFIX + b64encode(bytes(verify_key))


def verify_key_of(node_id: str) -> VerifyKey:
    """The public key named by a node id; malformed ids and weak keys are refused."""
    if type(node_id) is not str:
        # Checked before the cache, which would raise TypeError on an unhashable value.
        raise RemoteProtocolError(ErrorCode.BAD_NODE_ID, f"{node_id!r} is not an ed25519: id")
    return _verify_key_of(node_id)


@lru_cache(maxsize=16384)
def _verify_key_of(node_id: str) -> VerifyKey:
    # Cached: peers are few, and the small-order check is a scalar multiplication.
    if not node_id.startswith(NODE_PREFIX):
        raise RemoteProtocolError(ErrorCode.BAD_NODE_ID, f"{node_id!r} is not an ed25519: id")
    try:
        raw = b64decode(node_id[len(NODE_PREFIX) :])
    except ValueError as exc:
        raise RemoteProtocolError(ErrorCode.BAD_NODE_ID, f"{node_id!r}: {exc}") from None
    if len(raw) != 32:
        raise RemoteProtocolError(ErrorCode.BAD_NODE_ID, f"{node_id!r} is not 32 bytes")
    if not crypto_core_ed25519_is_valid_point(raw):
        raise RemoteProtocolError(
            ErrorCode.WEAK_KEY, f"{node_id!r} is not a valid prime-order curve point"
        )
    return VerifyKey(raw)


def check_hash(value: object, code: ErrorCode = ErrorCode.BAD_HASH) -> str:
    """Return ``value`` if it is a well-formed ``sha256:`` id, else reject with ``code``."""
    if type(value) is str and _HASH_RE.fullmatch(value):
        return value
    raise RemoteProtocolError(code, f"{value!r} is not a sha256: id")


def parse_actor(actor: str) -> tuple[str, str]:
    """Split ``handle@<node id>`` into (handle, node id); reject anything else."""
    m = _ACTOR_RE.fullmatch(actor) if type(actor) is str else None
    if m is None:
        raise RemoteProtocolError(ErrorCode.BAD_ACTOR, f"{actor!r} is not handle@<node id>")
    return m.group(1), m.group(2)


def scope_owner(scope: str) -> str:
    """The node id inside a scope: a circle's home node, or a direct scope's recipient."""
    m = _SCOPE_RE.fullmatch(scope) if type(scope) is str else None
    if m is None:
        raise RemoteProtocolError(
            ErrorCode.BAD_SCOPE, f"{scope!r} is not circle:<name>@<node id> or direct:<node id>"
        )
    return m.group(1)


def is_direct(scope: str) -> bool:
    return scope.startswith(DIRECT_PREFIX)


def circle_id(local: str, home: str) -> str:
    """Build a circle scope id; ``local`` is 1–64 base64url characters."""
    return f"{CIRCLE_PREFIX}{local}@{home}"


def new_circle_id(home: str) -> str:
    """A fresh random circle id homed on ``home`` (128 random bits)."""
    return circle_id(b64encode(secrets.token_bytes(16)), home)
