"""Envelopes: the signed unit of everything nodes say to each other.

The signature covers the canonical bytes of the header: the envelope without ``sig``
and without ``body``; the body is bound through ``body_hash``. The id is the SHA-256
of the canonical header *with* ``sig``. So a retracted envelope (body dropped) keeps
its id, its signature and its place in the feed.

This module is the envelope as a value and its id. Receiving one is ``parsing`` (from
bytes) and ``decoding`` (from a JSON value); making and checking its signature is
``signing``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

import protocol.canonical as canonical
from protocol.errors import LocalProtocolError
from protocol.ids import sha256_id
from protocol.versions import CURRENT

HEADER_FIELDS = ("v", "kind", "author", "actor", "scope", "seq", "prev", "refs", "ts")
SIGNED_FIELDS = (*HEADER_FIELDS, "body_hash")
ALL_FIELDS = frozenset((*SIGNED_FIELDS, "sig", "body"))
REQUIRED_FIELDS = frozenset((*SIGNED_FIELDS, "sig"))
# `,"sig":"<86 chars>"` and `,"body":` around the signed header in the full envelope.
SIG_MEMBER_BYTES = 95
BODY_MEMBER_BYTES = 8
_TS_MEMBER = b',"ts":"'


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """A signed envelope. Build one with ``sign`` or ``decode_envelope``; treat as read-only."""

    v: int
    kind: str
    author: str
    actor: str | None
    scope: str
    seq: int
    prev: str | None
    refs: tuple[str, ...]
    ts: str
    body: dict[str, Any] | None
    body_hash: str
    sig: str
    # Canonical bytes computed once when the envelope is decoded or signed; not part of
    # the envelope's value. The header is what the id is computed over and what the
    # store keeps; sig_bytes and body_hash_bytes are the decoded signature and body
    # hash (b"" when not decoded), signed what the signature signs (read it through
    # signed_bytes()).
    body_bytes: bytes | None = None
    header_bytes: bytes = b""
    sig_bytes: bytes = b""
    signed: bytes = b""
    body_hash_bytes: bytes = b""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.header() == other.header() and self.body == other.body

    def __hash__(self) -> int:
        return hash((self.author, self.scope, self.seq, self.sig))

    def header(self) -> dict[str, Any]:
        """The envelope without its body (what the id is computed over)."""
        h = self._signed_fields()
        h["sig"] = self.sig
        return h

    def to_json(self) -> dict[str, Any]:
        """The envelope as a JSON object (body omitted once retracted)."""
        h = self.header()
        if self.body is not None:
            h["body"] = self.body
        return h

    def to_bytes(self) -> bytes:
        """Canonical bytes of the whole envelope."""
        return canonical.encode(self.to_json())

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers: the header without ``sig``."""
        return self.signed or canonical.encode(self._signed_fields())

    def without_body(self) -> Envelope:
        """The same envelope with its content dropped (after a retraction)."""
        return msgspec.structs.replace(self, body=None, body_bytes=None)

    def _signed_fields(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "kind": self.kind,
            "author": self.author,
            "actor": self.actor,
            "scope": self.scope,
            "seq": self.seq,
            "prev": self.prev,
            "refs": list(self.refs),
            "ts": self.ts,
            "body_hash": self.body_hash,
        }


@dataclass(frozen=True, slots=True)
class Draft:
    """What an author decides; ``sign`` adds author, body_hash and sig."""

    kind: str
    scope: str
    seq: int
    prev: str | None
    body: dict[str, Any]
    ts: str
    actor: str | None = None
    refs: tuple[str, ...] = ()
    v: int = CURRENT.number


def with_sig(signed: bytes, sig: str) -> bytes:
    """The header: the signed bytes with the sig member in its sorted place."""
    # "sig" sorts just before "ts"; no field before ts can hold a quote (they are
    # checked), so the first ',"ts":"' is the member boundary.
    at = signed.index(_TS_MEMBER)
    return b"".join((signed[:at], b',"sig":"', sig.encode(), b'"', signed[at:]))


def envelope_id(env: Envelope) -> str:
    """``sha256:`` + base64url SHA-256 of the canonical header (``sig`` in, ``body`` out)."""
    return sha256_id(env.header_bytes or canonical.encode(env.header()))


def body_hash_of(body: dict[str, Any]) -> str:
    return sha256_id(canonical.dumps(body))


def format_ts(when: dt.datetime) -> str:
    """RFC 3339 UTC text as envelopes carry it (second precision)."""
    if when.tzinfo is None:
        raise LocalProtocolError("timestamps must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
