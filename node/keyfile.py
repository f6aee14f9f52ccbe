"""Secret key files: an Ed25519 seed in a small JSON document, mode 0600.

``{"type": "nst.ed25519.seed", "node_id": "...", "seed": "<base64url 32 bytes>"}``.
Writing refuses to replace an existing file, so a node's identity is never lost by
accident.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from nacl.signing import SigningKey

from protocol import b64decode, b64encode, node_id_of

KEY_TYPE = "nst.ed25519.seed"


class KeyFileError(Exception):
    """The key file is missing, unreadable or not a key file."""


def write_key(path: Path, key: SigningKey) -> None:
    """Create ``path`` (mode 0600, never replacing a file) holding ``key``."""
    doc = {"type": KEY_TYPE, "node_id": node_id_of(key), "seed": b64encode(bytes(key))}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        f.flush()
        os.fsync(f.fileno())


def read_key(path: Path) -> SigningKey:
    """Load a key written by ``write_key``; the stored node id must match the seed."""
    try:
        doc = orjson.loads(path.read_bytes())
        if doc.get("type") != KEY_TYPE:
            raise KeyFileError(f"{path} is not an NST key file")
        key = SigningKey(b64decode(doc["seed"]))
    except (OSError, orjson.JSONDecodeError, ValueError, KeyError, AttributeError) as exc:
        raise KeyFileError(f"cannot read key {path}: {exc}") from None
    if doc.get("node_id") != node_id_of(key):
        raise KeyFileError(f"{path}: node_id does not match the seed")
    return key
