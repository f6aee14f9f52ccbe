"""Federation request authentication: what a sender signs and a receiver checks.

Every request between nodes carries these headers:

- ``NST-Sender``: the sending node's id;
- ``NST-Destination``: the receiving node's id;
- ``NST-Timestamp``: seconds since the Unix epoch, as decimal digits;
- ``NST-Nonce``: 16 random bytes, unpadded base64url (22 characters);
- ``Content-Digest``: ``sha-256=:<standard base64 of SHA-256 of the body>:`` (RFC 9530);
- ``NST-Signature``: the sender's Ed25519 signature, unpadded base64url, over the
  signing string below.

The signing string is UTF-8 text, lines joined by LF with no trailing LF::

    nst-request-v1
    <METHOD>
    <path and query, exactly as sent>
    <destination node id>
    <sender node id>
    <timestamp>
    <nonce>
    <Content-Digest value>

Header values are taken as HTTP defines them, without leading or trailing spaces and
tabs. The body travels uncompressed (no ``Content-Encoding``), and the signature covers
its digest, so a receiver knows who sent a request before it reads the body.

Responses to signed requests are signed too (``NST-Signature`` over
``nst-response-v1``, the request's nonce, the status code and the response's
Content-Digest), so a client knows the answer came from the node it meant.

Pure functions: the caller keeps the replay cache and the list of linked nodes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.ids import b64decode, b64encode, node_id_of, verify_key_of

SENDER = "NST-Sender"
DESTINATION = "NST-Destination"
TIMESTAMP = "NST-Timestamp"
NONCE = "NST-Nonce"
DIGEST = "Content-Digest"
SIGNATURE = "NST-Signature"
ENCODING = "Content-Encoding"
TRANSFER = "Transfer-Encoding"

#: How far a request's timestamp may be from the receiver's clock, in seconds.
MAX_SKEW = 120

_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{21}[AQgw]")
_TS_RE = re.compile(r"[0-9]{1,12}")
_OWS = " \t"


def content_digest(body: bytes) -> str:
    """The RFC 9530 Content-Digest value of ``body`` with SHA-256."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def signing_string(
    method: str, path: str, destination: str, sender: str, timestamp: int, nonce: str, digest: str
) -> bytes:
    return "\n".join(
        ("nst-request-v1", method.upper(), path, destination, sender, str(timestamp), nonce, digest)
    ).encode()


def sign_request(
    key: SigningKey, method: str, path: str, destination: str, body: bytes, now: int
) -> dict[str, str]:
    """The authentication headers for a request of ours."""
    sender = node_id_of(key)
    nonce = b64encode(secrets.token_bytes(16))
    digest = content_digest(body)
    sig = key.sign(signing_string(method, path, destination, sender, now, nonce, digest))
    return {
        SENDER: sender,
        DESTINATION: destination,
        TIMESTAMP: str(now),
        NONCE: nonce,
        DIGEST: digest,
        SIGNATURE: b64encode(sig.signature),
    }


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request whose signature checked: who sent it and its replay key."""

    sender: str
    nonce: str
    timestamp: int


def check_encoding(headers: Mapping[str, str]) -> None:
    """Refuse a request whose body is sent compressed (a content coding, or a transfer
    coding besides chunked): the digest covers the body as sent, and inflating it before
    the sender is known would let anyone spend the receiver's time and memory (a few
    megabytes of deflate make gigabytes)."""
    content = headers.get(ENCODING, "").strip(_OWS).lower()
    transfer = headers.get(TRANSFER, "").lower().replace(" ", "").replace("\t", "")
    if content not in ("", "identity") or transfer not in ("", "chunked"):
        coding = content if content not in ("", "identity") else transfer
        raise RemoteProtocolError(
            ErrorCode.REQUEST_ENCODING_UNSUPPORTED,
            f"coding {coding[:40]!r}: send the body uncompressed",
        )


def verify_headers(
    headers: Mapping[str, str],
    method: str,
    path: str,
    *,
    self_id: str,
    now: int,
    not_before: int = 0,
) -> SignedRequest:
    """Check a request's authentication headers without its body (not yet whether the
    sender is linked, nor the replay cache: the caller does both with its own state).

    The signature covers the ``Content-Digest`` header as given, so a receiver knows who
    sent the request before it reads the body (``check_digest`` then holds the body to
    it). ``not_before`` refuses requests signed before it (the receiver's start time), so
    a request captured before a restart cannot be replayed after it.
    """
    values = {}
    for name in (SENDER, DESTINATION, TIMESTAMP, NONCE, DIGEST, SIGNATURE):
        # HTTP takes a field value without its leading and trailing spaces and tabs.
        value = headers.get(name, "").strip(_OWS)
        if not value:
            raise RemoteProtocolError(ErrorCode.AUTH_MISSING, f"header {name} is missing")
        values[name] = value
    sender = values[SENDER]
    verify_key = verify_key_of(sender)
    if values[DESTINATION] != self_id:
        raise RemoteProtocolError(
            ErrorCode.AUTH_WRONG_DESTINATION, f"this is {self_id}, not {values[DESTINATION]}"
        )
    if not _TS_RE.fullmatch(values[TIMESTAMP]) or not _NONCE_RE.fullmatch(values[NONCE]):
        raise RemoteProtocolError(ErrorCode.AUTH_MISSING, "malformed timestamp or nonce")
    ts = int(values[TIMESTAMP])
    if abs(now - ts) > MAX_SKEW or ts < not_before:
        raise RemoteProtocolError(
            ErrorCode.AUTH_STALE, f"timestamp {ts} is outside the window around {now}"
        )
    text = signing_string(method, path, self_id, sender, ts, values[NONCE], values[DIGEST])
    try:
        verify_key.verify(text, b64decode(values[SIGNATURE]))
    except (BadSignatureError, ValueError, binascii.Error):
        raise RemoteProtocolError(
            ErrorCode.AUTH_BAD_SIGNATURE, f"request signature does not verify for {sender}"
        ) from None
    return SignedRequest(sender, values[NONCE], ts)


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    """Hold the body received to the ``Content-Digest`` the sender signed."""
    if headers.get(DIGEST, "").strip(_OWS) != content_digest(body):
        raise RemoteProtocolError(ErrorCode.AUTH_DIGEST_MISMATCH, "body does not match digest")


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    *,
    self_id: str,
    now: int,
    not_before: int = 0,
) -> SignedRequest:
    """Check a whole request: its encoding, its headers (``verify_headers``), then its
    body against the signed digest; the order of PROTOCOL.md §12.2."""
    check_encoding(headers)
    signed = verify_headers(headers, method, path, self_id=self_id, now=now, not_before=not_before)
    check_digest(headers, body)
    return signed


def response_string(nonce: str, status: int, digest: str) -> bytes:
    return "\n".join(("nst-response-v1", nonce, str(status), digest)).encode()


def sign_response(key: SigningKey, nonce: str, status: int, body: bytes) -> dict[str, str]:
    digest = content_digest(body)
    sig = key.sign(response_string(nonce, status, digest)).signature
    return {DIGEST: digest, SIGNATURE: b64encode(sig), SENDER: node_id_of(key)}


def response_signer(headers: Mapping[str, str], nonce: str, status: int, body: bytes) -> str | None:
    """The node whose signature a response carries: its ``NST-Sender`` once the signature
    checks for that node, else None. Tells who answered when it was not the node asked."""
    sender = headers.get(SENDER, "")
    try:
        verify_response(headers, nonce, status, body, sender)
    except RemoteProtocolError:
        return None
    return sender


def verify_response(
    headers: Mapping[str, str], nonce: str, status: int, body: bytes, expected: str
) -> None:
    """Check that a response to our request (with ``nonce``) was signed by ``expected``."""
    digest = headers.get(DIGEST, "")
    if digest != content_digest(body):
        raise RemoteProtocolError(ErrorCode.AUTH_DIGEST_MISMATCH, "response digest mismatch")
    try:
        verify_key_of(expected).verify(
            response_string(nonce, status, digest), b64decode(headers.get(SIGNATURE, ""))
        )
    except (BadSignatureError, ValueError, binascii.Error):
        raise RemoteProtocolError(
            ErrorCode.AUTH_BAD_SIGNATURE, f"response not signed by {expected}"
        ) from None
