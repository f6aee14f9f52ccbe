"""Secret key files: an Ed25519 seed in a small JSON document, mode 0600.

Plain: ``{"type": "nst.ed25519.seed", "node_id": "...", "seed": "<base64url 32 bytes>"}``.
Encrypted at rest (a passphrase given): ``{"type": "nst.ed25519.seed.encrypted",
"node_id", "kdf": {"name": "scrypt", "n", "r", "p", "salt"}, "cipher": "aes-256-gcm",
"nonce", "ciphertext"}``, the seed sealed with AES-256-GCM under a scrypt-derived key and
the node id as associated data, so a swapped node id fails like a wrong passphrase.
Writing refuses to replace an existing file, so a node's identity is never lost by
accident.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from nacl.signing import SigningKey

from protocol import RemoteProtocolError, b64decode, b64encode, node_id_of, verify_key_of

KEY_TYPE = "nst.ed25519.seed"
ENCRYPTED_KEY_TYPE = "nst.ed25519.seed.encrypted"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# Bounds on what a key file may ask of us, so a doctored file cannot exhaust memory.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16


_UNREADABLE = (OSError, orjson.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError)


class KeyFileError(Exception):
    """The key file is missing, unreadable, not a key file, or the passphrase is wrong.

    ``code`` is ``key.unreadable``, ``key.passphrase_required`` or ``key.bad_passphrase``.
    """

    def __init__(self, message: str, code: str = "key.unreadable") -> None:
        super().__init__(message)
        self.code = code


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _seal(key: SigningKey, passphrase: str) -> dict[str, Any]:
    node_id = node_id_of(key)
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(secret).encrypt(nonce, bytes(key), node_id.encode())
    return {
        "type": ENCRYPTED_KEY_TYPE,
        "node_id": node_id,
        "kdf": {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": b64encode(salt),
        },
        "cipher": "aes-256-gcm",
        "nonce": b64encode(nonce),
        "ciphertext": b64encode(sealed),
    }


def write_key(path: Path, key: SigningKey, passphrase: str | None = None) -> None:
    """Create ``path`` (mode 0600, never replacing a file) holding ``key``, encrypted
    under ``passphrase`` when one is given."""
    if passphrase is not None and not passphrase:
        raise KeyFileError("an empty passphrase protects nothing", "key.bad_passphrase")
    if passphrase is None:
        doc: dict[str, Any] = {
            "type": KEY_TYPE,
            "node_id": node_id_of(key),
            "seed": b64encode(bytes(key)),
        }
    else:
        doc = _seal(key, passphrase)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        f.flush()
        os.fsync(f.fileno())


def _open_sealed(path: Path, doc: dict[str, Any], passphrase: str) -> bytes:
    kdf = doc["kdf"]
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if kdf.get("name") != "scrypt" or doc.get("cipher") != "aes-256-gcm":
        raise ValueError("unknown kdf or cipher")
    if not (1 < n <= _MAX_N and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        raise ValueError("scrypt parameters out of range")
    secret = _derive(passphrase, b64decode(kdf["salt"]), n, r, p)
    try:
        return AESGCM(secret).decrypt(
            b64decode(doc["nonce"]), b64decode(doc["ciphertext"]), str(doc["node_id"]).encode()
        )
    except InvalidTag:
        raise KeyFileError(
            f"wrong passphrase for {path} (or the file was altered)", "key.bad_passphrase"
        ) from None


def stated_node_id(path: Path) -> str:
    """The node id a key file says it holds, without its passphrase: a plain file's seed
    must match it; an encrypted file binds it to the sealed seed (see ``_seal``)."""
    try:
        doc = orjson.loads(path.read_bytes())
        kind = doc.get("type")
        node_id = doc["node_id"]
        verify_key_of(node_id)
    except (*_UNREADABLE, RemoteProtocolError) as exc:
        raise KeyFileError(f"cannot read key {path}: {exc}") from None
    if kind == KEY_TYPE:
        read_key(path)
    elif kind != ENCRYPTED_KEY_TYPE:
        raise KeyFileError(f"{path} is not an NST key file")
    return str(node_id)


def read_key(path: Path, passphrase: str | None = None) -> SigningKey:
    """Load a key written by ``write_key``; the stored node id must match the seed.
    A passphrase is needed for an encrypted file and ignored for a plain one."""
    try:
        doc = orjson.loads(path.read_bytes())
        kind = doc.get("type")
        if kind == KEY_TYPE:
            seed = b64decode(doc["seed"])
        elif kind == ENCRYPTED_KEY_TYPE:
            if not passphrase:
                raise KeyFileError(
                    f"{path} is encrypted: set NST_KEY_PASSPHRASE or pass --passphrase-stdin",
                    "key.passphrase_required",
                )
            seed = _open_sealed(path, doc, passphrase)
        else:
            raise KeyFileError(f"{path} is not an NST key file")
        key = SigningKey(seed)
    except _UNREADABLE as exc:
        raise KeyFileError(f"cannot read key {path}: {exc}") from None
    if doc.get("node_id") != node_id_of(key):
        raise KeyFileError(f"{path}: node_id does not match the seed")
    return key
