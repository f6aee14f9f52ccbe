"""Envelopes: the signed unit of everything nodes say to each other.

The signature covers the canonical bytes of the header: the envelope without ``sig``
and without ``body``; the body is bound through ``body_hash``. The id is the SHA-256
of the canonical header *with* ``sig``. So a retracted envelope (body dropped) keeps
its id, its signature and its place in the feed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from protocol import canonical
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.ids import (
    b64decode,
    b64encode,
    check_hash,
    node_id_of,
    parse_actor,
    scope_owner,
    sha256_id,
    verify_key_of,
)
from protocol.schemas import validate_body
from protocol.versions import CURRENT, version

HEADER_FIELDS = ("v", "kind", "author", "actor", "scope", "seq", "prev", "refs", "ts")
SIGNED_FIELDS = (*HEADER_FIELDS, "body_hash")
ALL_FIELDS = frozenset((*SIGNED_FIELDS, "sig", "body"))
REQUIRED_FIELDS = frozenset((*SIGNED_FIELDS, "sig"))

_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")
_SIG_RE = re.compile(r"[A-Za-z0-9_-]{86}")
# `,"sig":"<86 chars>"` and `,"body":` around the signed header in the full envelope.
_SIG_MEMBER_BYTES = 95
_BODY_MEMBER_BYTES = 8


@dataclass(frozen=True, slots=True)
class Envelope:
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
    # Canonical bytes computed once when the envelope is decoded or signed.
    signed_bytes: bytes = field(default=b"", compare=False, repr=False)
    body_bytes: bytes | None = field(default=None, compare=False, repr=False)

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

    def without_body(self) -> Envelope:
        """The same envelope with its content dropped (after a retraction)."""
        return Envelope(**{**self._fields(), "body": None, "body_bytes": None})

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

    def _fields(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


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


def _bad(code: ErrorCode, message: str) -> RemoteProtocolError:
    return RemoteProtocolError(code, message)


def decode_envelope(obj: Any) -> Envelope:
    """Check an envelope's structure and body schema (no signature yet) and build it.

    ``obj`` is a parsed JSON value already inside the canonical subset (see
    ``canonical.loads``). Checks run in the order of PROTOCOL.md §6 up to the schema.
    """
    if type(obj) is not dict:
        raise _bad(ErrorCode.NOT_OBJECT, "an envelope is a JSON object")
    keys = obj.keys()
    if keys != REQUIRED_FIELDS and keys != ALL_FIELDS:
        missing = REQUIRED_FIELDS - keys
        if missing:
            raise _bad(ErrorCode.MISSING_FIELD, f"missing field(s) {sorted(missing)}")
        raise _bad(ErrorCode.UNKNOWN_FIELD, f"unknown field(s) {sorted(keys - ALL_FIELDS)}")
    ver = version(obj["v"])
    kind = obj["kind"]
    if type(kind) is not str:
        raise _bad(ErrorCode.BAD_FIELD, "kind must be a string")
    if kind not in ver.kinds:
        raise _bad(ErrorCode.UNKNOWN_KIND, f"unknown kind {kind!r} in protocol v{ver.number}")
    author = obj["author"]
    verify_key_of(author)
    actor = obj["actor"]
    if actor is not None and parse_actor(actor)[1] != author:
        raise _bad(ErrorCode.BAD_ACTOR, f"actor {actor!r} is not a member of the author's node")
    scope = obj["scope"]
    scope_owner(scope)
    seq = obj["seq"]
    if type(seq) is not int or not 1 <= seq <= canonical.MAX_INT:
        raise _bad(ErrorCode.BAD_SEQ, f"seq must be an integer >= 1, not {seq!r}")
    prev = obj["prev"]
    if seq == 1:
        if prev is not None:
            raise _bad(ErrorCode.BAD_SEQ, "prev must be null at seq 1")
    else:
        check_hash(prev, ErrorCode.BAD_SEQ)
    refs = obj["refs"]
    if type(refs) is not list or len(refs) > ver.max_refs:
        raise _bad(ErrorCode.BAD_REFS, f"refs must be a list of at most {ver.max_refs} ids")
    for ref in refs:
        check_hash(ref, ErrorCode.BAD_REFS)
    if len(set(refs)) != len(refs):
        raise _bad(ErrorCode.BAD_REFS, "refs must not repeat")
    ts = obj["ts"]
    if type(ts) is not str or not _TS_RE.fullmatch(ts) or not _valid_time(ts):
        raise _bad(ErrorCode.BAD_TIMESTAMP, "ts must be RFC 3339 UTC like 2026-01-02T03:04:05Z")
    body_hash = check_hash(obj["body_hash"])
    sig = obj["sig"]
    if type(sig) is not str or not _SIG_RE.fullmatch(sig):
        raise _bad(ErrorCode.BAD_FIELD, "sig must be 86 characters of base64url")
    body = obj.get("body")
    body_bytes = None
    if "body" in obj:
        if type(body) is not dict:
            raise _bad(ErrorCode.BAD_FIELD, "body must be a JSON object")
        body_bytes = canonical.encode(body)
    signed = {k: obj[k] for k in SIGNED_FIELDS}
    signed_bytes = canonical.encode(signed)
    size = len(signed_bytes) + _SIG_MEMBER_BYTES
    if body_bytes is not None:
        size += _BODY_MEMBER_BYTES + len(body_bytes)
    if size > ver.max_envelope_bytes:
        raise _bad(
            ErrorCode.TOO_LARGE, f"envelope of {size} bytes is over {ver.max_envelope_bytes}"
        )
    if body is not None:
        validate_body(kind, body)
    return Envelope(
        ver.number,
        kind,
        author,
        actor,
        scope,
        seq,
        prev,
        tuple(refs),
        ts,
        body,
        body_hash,
        sig,
        signed_bytes,
        body_bytes,
    )


def _valid_time(ts: str) -> bool:
    try:
        dt.datetime.fromisoformat(ts)
    except ValueError:
        return False
    return True


def verify(env: Envelope) -> None:
    """Check the body against body_hash and the signature against the author's key."""
    body_bytes = env.body_bytes
    if env.body is not None:
        if body_bytes is None:
            body_bytes = canonical.encode(env.body)
        if sha256_id(body_bytes) != env.body_hash:
            raise _bad(ErrorCode.BODY_HASH_MISMATCH, "body does not match body_hash")
    signed = env.signed_bytes or canonical.encode(env._signed_fields())
    try:
        verify_key_of(env.author).verify(signed, b64decode(env.sig))
    except (BadSignatureError, ValueError):
        raise _bad(ErrorCode.BAD_SIGNATURE, f"signature does not verify for {env.author}") from None


def envelope_id(env: Envelope) -> str:
    """``sha256:`` + base64url SHA-256 of the canonical header (``sig`` in, ``body`` out)."""
    return sha256_id(canonical.encode(env.header()))


def open_envelope(obj: Any) -> tuple[Envelope, str]:
    """Decode, verify and identify one received envelope (PROTOCOL.md §6, steps 1–4)."""
    env = decode_envelope(obj)
    verify(env)
    return env, envelope_id(env)


def body_hash_of(body: dict[str, Any]) -> str:
    return sha256_id(canonical.dumps(body))


def sign(draft: Draft, key: SigningKey) -> Envelope:
    """Sign a draft as the node of ``key``; a draft that breaks a rule is our own bug."""
    try:
        return sign_json(
            {
                "v": draft.v,
                "kind": draft.kind,
                "actor": draft.actor,
                "scope": draft.scope,
                "seq": draft.seq,
                "prev": draft.prev,
                "refs": list(draft.refs),
                "ts": draft.ts,
                "body": draft.body,
            },
            key,
        )
    except RemoteProtocolError as exc:
        raise LocalProtocolError(f"draft breaks a protocol rule: {exc}") from None


def sign_json(draft: dict[str, Any], key: SigningKey) -> Envelope:
    """Sign an untrusted draft object (from a file or a form): fills author, body_hash
    and sig, replacing any given. A draft that breaks a rule raises RemoteProtocolError.
    """
    body = draft.get("body")
    if type(body) is not dict:
        raise _bad(ErrorCode.BAD_FIELD, "a draft needs a body object")
    canonical.check(draft)
    missing = (set(HEADER_FIELDS) - {"author"}) - draft.keys()
    if missing:
        raise _bad(ErrorCode.MISSING_FIELD, f"draft is missing field(s) {sorted(missing)}")
    signed = {k: draft.get(k) for k in HEADER_FIELDS}
    signed["author"] = node_id_of(key)
    signed["body_hash"] = sha256_id(canonical.encode(body))
    unsigned = {**signed, "sig": "A" * 86, "body": body}
    unknown = draft.keys() - ALL_FIELDS
    if unknown:
        raise _bad(ErrorCode.UNKNOWN_FIELD, f"unknown field(s) {sorted(unknown)}")
    decode_envelope(unsigned)  # every structural and schema rule, before signing
    sig = b64encode(key.sign(canonical.encode(signed)).signature)
    return decode_envelope({**signed, "sig": sig, "body": body})


def format_ts(when: dt.datetime) -> str:
    """RFC 3339 UTC text as envelopes carry it (second precision)."""
    if when.tzinfo is None:
        raise LocalProtocolError("timestamps must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
