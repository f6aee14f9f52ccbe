"""Signed links for strangers: HMAC-SHA256 over (purpose, subject, address, expiry) with
the node's public-forms secret, a random 32-byte key in ``DATA_DIR/public-forms.key``
(mode 0600, made on first use). The address is under the signature but not in the link,
so a link names a row by its id and still cannot be turned to another address."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Final

from node.domain.errors import DomainError
from protocol import ErrorCode

SECRET_NAME: Final = "public-forms.key"  # noqa: S105 - a file name
#: An expiry of 0: a link that does not expire (an unsubscribe link).
NEVER: Final = 0


def load_secret(data_dir: Path) -> bytes:
    """The node's public-forms secret, made (mode 0600) on first use."""
    path = data_dir / SECRET_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        key = secrets.token_bytes(32)
        out.write(key.hex() + "\n")
    return key


def _mac(secret: bytes, purpose: str, subject: str, address: str, expires: int) -> str:
    message = "\n".join((purpose, subject, address.strip().lower(), str(expires))).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: bytes, purpose: str, subject: str, address: str, expires: int) -> str:
    """The signature a link carries beside ``subject`` and ``expires`` (Unix seconds)."""
    return _mac(secret, purpose, subject, address, expires)


def check(
    secret: bytes,
    purpose: str,
    subject: str,
    address: str | None,
    expires: str,
    signature: str,
    now: int,
) -> None:
    """Raise ``public.bad_link`` for a link not signed by this node (or for an unknown
    subject, ``address`` None), ``public.link_expired`` for one past its time."""
    try:
        until = int(expires)
    except ValueError:
        until = -1
    known = address is not None and until >= 0
    expected = _mac(secret, purpose, subject, address or "", until) if known else None
    if expected is None or not hmac.compare_digest(expected, signature):
        raise DomainError(
            ErrorCode.PUBLIC_BAD_LINK,
            "This link is not valid: it may have been cut short or changed. Copy the whole"
            " link from the mail, or sign up again.",
        )
    if until != NEVER and until < now:
        raise DomainError(
            ErrorCode.PUBLIC_LINK_EXPIRED,
            "This link has expired. Sign up again and a new one will be sent.",
        )


__all__ = ["NEVER", "SECRET_NAME", "check", "load_secret", "sign"]
