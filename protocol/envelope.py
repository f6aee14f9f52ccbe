"""Envelopes: the signed unit of everything nodes say to each other.

The signature covers the canonical bytes of the header: the envelope without ``sig``
and without ``body``; the body is bound through ``body_hash``. The id is the SHA-256
of the canonical header *with* ``sig``. So a retracted envelope (body dropped) keeps
its id, its signature and its place in the feed.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from protocol import canonical
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.fastcheck import body_ok
from protocol.ids import (
    B64_64,
    CIRCLE_LOCAL_PATTERN,
    HANDLE_PATTERN,
    HASH_PATTERN,
    NODE_ID_PATTERN,
    b64encode,
    check_hash,
    node_id_of,
    parse_actor,
    scope_owner,
    sha256_id,
    verify_key_of,
)
from protocol.schemas import validate_body
from protocol.versions import CURRENT, SUPPORTED, ProtocolVersion, version

HEADER_FIELDS = ("v", "kind", "author", "actor", "scope", "seq", "prev", "refs", "ts")
SIGNED_FIELDS = (*HEADER_FIELDS, "body_hash")
ALL_FIELDS = frozenset((*SIGNED_FIELDS, "sig", "body"))
REQUIRED_FIELDS = frozenset((*SIGNED_FIELDS, "sig"))

_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z", re.ASCII)
_SIG_RE = re.compile(B64_64)
# `,"sig":"<86 chars>"` and `,"body":` around the signed header in the full envelope.
_SIG_MEMBER_BYTES = 95
_BODY_MEMBER_BYTES = 8


_ALL_KINDS: frozenset[str] = frozenset().union(*(v.kinds for v in SUPPORTED.values()))


def _header_regex() -> re.Pattern[bytes]:
    """One pattern for the canonical bytes of a well-formed signed header (sorted keys,
    without ``sig``), for objects decoded already (``decode_envelope``).

    Matching it proves every header field's type and format in one C call; anything it
    does not match goes through the field-by-field checks, which name the broken rule.
    """
    kinds = "|".join(re.escape(k) for k in sorted(_ALL_KINDS))
    versions = "|".join(str(n) for n in SUPPORTED)
    hash_ = f'"{HASH_PATTERN}"'
    parts = [
        re.escape('{"actor":') + f'(?:null|"{HANDLE_PATTERN}@({NODE_ID_PATTERN})")',
        re.escape(',"author":') + f'"({NODE_ID_PATTERN})"',
        re.escape(',"body_hash":') + hash_,
        re.escape(',"kind":') + f'"({kinds})"',
        re.escape(',"prev":') + f"(null|{hash_})",
        re.escape(',"refs":') + rf"\[(?:{hash_}(?:,{hash_})*)?\]",
        re.escape(',"scope":') + f'"(?:circle:{CIRCLE_LOCAL_PATTERN}@|direct:){NODE_ID_PATTERN}"',
        re.escape(',"seq":') + "([1-9][0-9]{0,15})",
        re.escape(',"ts":') + r'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z"',
        re.escape(',"v":') + f"(?:{versions})" + re.escape("}"),
    ]
    return re.compile("".join(parts).encode())


_HEADER_RE = _header_regex()
_TS_MEMBER = b',"ts":"'
# `,"ts":"` `","v":` `}` and the digits of v: what follows the sig member, but the time.
_TAIL_BYTES = {n: 14 + len(str(n)) for n in SUPPORTED}
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class _Slow(Exception):
    """The fast checks are unsure; the field-by-field checks decide and explain."""


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


def _bad(code: ErrorCode, message: str) -> RemoteProtocolError:
    return RemoteProtocolError(code, message)


_Hash = Annotated[str, msgspec.Meta(min_length=50, max_length=50)]


class _Wire(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True, gc=False):
    """An envelope as it arrives, fields in canonical (sorted) order.

    The types carry the checks msgspec makes natively while decoding: kinds and
    versions by value, seq by range, hashes and sig by length. Never tracked by the
    garbage collector: it holds only JSON values, which cannot refer back to it.
    """

    actor: str | None
    author: str
    body: dict[str, Any] | None = None
    body_hash: _Hash
    kind: Literal[tuple(sorted(_ALL_KINDS))]  # type: ignore[valid-type]
    prev: _Hash | None
    refs: list[_Hash]
    scope: str
    seq: Annotated[int, msgspec.Meta(ge=1, le=canonical.MAX_INT)]
    sig: Annotated[str, msgspec.Meta(min_length=86, max_length=86)]
    ts: str
    v: Literal[tuple(SUPPORTED)]  # type: ignore[valid-type]


_WIRE_DECODER = msgspec.json.Decoder(_Wire)
# Sorted keys and orjson's escaping: RFC 8785 bytes inside the canonical subset.
_WIRE_ENCODER = msgspec.json.Encoder(order="sorted")
_BODY_MEMBER = b',"body":'
_BODY_HASH_KEY = b',"body_hash":'


def parse_envelope(data: bytes) -> Envelope:
    """Parse, check and build an envelope from bytes (PROTOCOL.md §6 up to the schema).

    Bytes already in canonical form, which conforming nodes send, take a fast path:
    re-encoding the decoded fields reproduces them exactly, which proves the top level
    canonical (no duplicate keys, no whitespace, sorted), and the header, signed bytes
    and body are then slices of the input. Any other input takes the general path,
    which also names the rule a bad input breaks.
    """
    if len(data) <= CURRENT.max_envelope_bytes:
        try:
            return _parse_canonical(data)
        except (_Slow, msgspec.DecodeError, ValueError, RecursionError):
            # Also invalid UTF-8 in a key, or a body nested past msgspec's depth limit:
            # the general path names the rule.
            pass
    return decode_envelope(canonical.loads(data))


def _parse_canonical(data: bytes) -> Envelope:
    wire = _WIRE_DECODER.decode(data)
    # Equal bytes prove the whole envelope canonical: no whitespace, keys sorted, no
    # duplicate key (its member would be missing), every string and integer spelled one
    # way. So each decoded value is spelled in the input exactly as it is here, and
    # checking the values checks the bytes. Floats, non-ASCII keys, big integers and
    # depth in the body need no walk: every body schema field is typed and bounded
    # inside the subset (a test pins that), so such a body fails its schema.
    if _WIRE_ENCODER.encode(wire) != data:
        raise _Slow
    source = _KNOWN_SOURCES.get((wire.v, wire.kind, wire.author, wire.actor, wire.scope))
    if source is None:
        source = _check_source(wire.v, wire.kind, wire.author, wire.actor, wire.scope)
    ver, kind, author, actor, scope = source
    seq = wire.seq
    prev = wire.prev
    refs = wire.refs
    ts = wire.ts
    if (
        (seq == 1) != (prev is None)
        or len(refs) > ver.max_refs
        or (refs and len(set(refs)) != len(refs))
    ):
        raise _Slow
    # A time whose hour was seen valid is valid with any minutes and seconds.
    if not (ts[13:] in _MINUTE_SECOND and ts[:13] in _KNOWN_HOURS):
        if _TS_RE.fullmatch(ts) is None or not _valid_time(ts):
            raise _Slow
        if len(_KNOWN_HOURS) >= 4096:
            _KNOWN_HOURS.clear()
        _KNOWN_HOURS.add(ts[:13])
    # The hashes and the signature's spelling are checked, and the bytes cut apart,
    # only now: the cuts rely on every string checked before them holding no quote.
    parts = _split(data, len(ts) + _TAIL_BYTES[ver.number])
    if parts is None:
        raise _Slow
    body_bytes, header_bytes, signed, sig_bytes, body_hash_bytes = parts
    body = wire.body
    if (body is None) != (body_bytes is None) or (body is not None and not body_ok(kind, body)):
        raise _Slow
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
        wire.body_hash,
        wire.sig,
        body_bytes,
        header_bytes,
        sig_bytes,
        signed,
        body_hash_bytes,
    )


_Parts = tuple[bytes | None, bytes, bytes, bytes, bytes]
# From the last ',"body_hash":' of an envelope to its scope's opening quote.
_HASH = rf'"({HASH_PATTERN})"'.encode()
_HASHES_TO_SCOPE = re.compile(
    rb',"body_hash":' + _HASH + rb',"kind":"[^"]*","prev":(?:null|' + _HASH + rb")"
    rb',"refs":\[(?:' + _HASH + rb"(?:," + _HASH + rb")*)?\]"
    rb',"scope":"'
)
_SIG_AT = re.compile(rb',"sig":"([A-Za-z0-9_-]{85}[AQgw])","ts":"')


def _split_py(data: bytes, tail: int) -> _Parts | None:
    """Check the hashes and the signature's spelling in canonical envelope bytes, and
    cut them apart: (body, header, signed bytes, raw signature, raw body hash).

    ``data`` re-encodes from its decoded fields exactly, and its author, actor and scope
    are checked, so no string before the body holds a quote, nor any after it once
    these checks pass: the first ',"body":' and the last ',"body_hash":' are the
    top-level members. ``tail`` is the length of `,"ts":"<ts>","v":<v>}`. None when
    anything is not as expected. protocol/_speedups.c has the same function, compiled.
    """
    start = data.find(_BODY_MEMBER)
    if start >= 0:
        end = data.rfind(_BODY_HASH_KEY, start + len(_BODY_MEMBER))
    else:
        end = data.find(_BODY_HASH_KEY)
    m = _HASHES_TO_SCOPE.match(data, end) if end >= 0 else None
    at = len(data) - tail - _SIG_MEMBER_BYTES
    if m is None or at < m.end():
        return None
    sig = _SIG_AT.match(data, at)
    if sig is None:
        return None
    try:
        sig_bytes = binascii.a2b_base64(sig[1].translate(_FROM_URLSAFE) + b"==")
        body_hash = binascii.a2b_base64(m[1][7:].translate(_FROM_URLSAFE) + b"=")
    except binascii.Error:
        return None
    if start < 0:
        return None, data, data[:at] + data[at + _SIG_MEMBER_BYTES :], sig_bytes, body_hash
    return (
        data[start + len(_BODY_MEMBER) : end],
        data[:start] + data[end:],
        b"".join((data[:start], data[end:at], data[at + _SIG_MEMBER_BYTES :])),
        sig_bytes,
        body_hash,
    )


try:
    from protocol._speedups import split as _split
except ImportError:  # built without a C compiler: the same function in Python
    _split = _split_py


# (v, kind, author, actor, scope) of envelopes already parsed: these repeat from
# envelope to envelope, and proving them well formed once is enough. The values keep
# one copy of each string for every envelope that names it.
_Source = tuple[ProtocolVersion, str, str, str | None, str]
_KNOWN_SOURCES: dict[tuple[int, str, str, str | None, str], _Source] = {}
# "YYYY-MM-DDTHH" of times already proven valid, and every ":MM:SSZ" that completes one.
_KNOWN_HOURS: set[str] = set()
_MINUTE_SECOND = frozenset(f":{m:02}:{s:02}Z" for m in range(60) for s in range(60))


def _check_source(v: int, kind: str, author: str, actor: str | None, scope: str) -> _Source:
    ver = SUPPORTED.get(v)
    if ver is None or kind not in ver.kinds:
        raise _Slow
    try:
        verify_key_of(author)
        if actor is not None and parse_actor(actor)[1] != author:
            raise _Slow
        scope_owner(scope)
    except RemoteProtocolError:
        raise _Slow from None
    if len(_KNOWN_SOURCES) >= 16384:
        _KNOWN_SOURCES.clear()
    source = _KNOWN_SOURCES[v, kind, author, actor, scope] = (ver, kind, author, actor, scope)
    return source


def _cross_check(
    m: re.Match[bytes], v: int, refs: list[str], ts: str, author: str
) -> ProtocolVersion:
    """The header rules a header regex match cannot say by itself (both fast paths)."""
    actor_node, matched_author, kind, prev, seq = m.groups()[:5]
    ver = SUPPORTED[v]
    if (
        (actor_node is not None and actor_node != matched_author)
        or (seq == b"1") != (prev == b"null")
        or kind.decode() not in ver.kinds
        or len(refs) > ver.max_refs
        or len(set(refs)) != len(refs)
        or not _valid_time(ts)
    ):
        raise _Slow
    verify_key_of(author)
    return ver


def decode_envelope(obj: Any) -> Envelope:
    """Check an envelope's structure and body schema (no signature yet) and build it.

    ``obj`` is a parsed JSON value already inside the canonical subset (see
    ``canonical.loads``). Checks run in the order of PROTOCOL.md §6 up to the schema.
    """
    try:
        return _decode_fast(obj)
    except _Slow:
        return _decode_strict(obj)


def _decode_fast(obj: Any) -> Envelope:
    if type(obj) is not dict:
        raise _Slow
    has_body = "body" in obj
    try:
        if len(obj) != 11 + has_body:
            raise _Slow
        signed = obj.copy()
        sig = signed.pop("sig")
        signed.pop("body", None)
        signed_bytes = canonical.encode(signed)
    except (KeyError, TypeError):
        raise _Slow from None
    m = _HEADER_RE.fullmatch(signed_bytes)
    if m is None or type(sig) is not str or _SIG_RE.fullmatch(sig) is None:
        raise _Slow
    ver = _cross_check(m, obj["v"], obj["refs"], obj["ts"], obj["author"])
    refs = obj["refs"]
    body = obj.get("body")
    body_bytes = None
    size = len(signed_bytes) + _SIG_MEMBER_BYTES
    if has_body:
        if type(body) is not dict:
            raise _Slow
        body_bytes = canonical.encode(body)
        size += _BODY_MEMBER_BYTES + len(body_bytes)
    if size > ver.max_envelope_bytes:
        raise _Slow
    if body is not None:
        validate_body(obj["kind"], body)
    return Envelope(
        ver.number,
        obj["kind"],
        obj["author"],
        obj["actor"],
        obj["scope"],
        obj["seq"],
        obj["prev"],
        tuple(refs),
        obj["ts"],
        body,
        obj["body_hash"],
        sig,
        body_bytes,
        _with_sig(signed_bytes, sig),
        b"",
        signed_bytes,
    )


def _decode_strict(obj: Any) -> Envelope:
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
        body_bytes,
        _with_sig(signed_bytes, sig),
        b"",
        signed_bytes,
    )


def _with_sig(signed: bytes, sig: str) -> bytes:
    """The header: the signed bytes with the sig member in its sorted place."""
    # "sig" sorts just before "ts"; no field before ts can hold a quote (they are
    # checked), so the first ',"ts":"' is the member boundary.
    at = signed.index(_TS_MEMBER)
    return b"".join((signed[:at], b',"sig":"', sig.encode(), b'"', signed[at:]))


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
        if (
            hashlib.sha256(body_bytes).digest() != env.body_hash_bytes
            if env.body_hash_bytes
            else sha256_id(body_bytes) != env.body_hash
        ):
            raise _bad(ErrorCode.BODY_HASH_MISMATCH, "body does not match body_hash")
    signed = env.signed_bytes()
    try:
        # The sig's spelling was checked canonical when the envelope was decoded.
        raw_sig = env.sig_bytes or binascii.a2b_base64(
            env.sig.encode().translate(_FROM_URLSAFE) + b"=="
        )
        verify_key_of(env.author).verify(signed, raw_sig)
    except (BadSignatureError, ValueError):
        raise _bad(ErrorCode.BAD_SIGNATURE, f"signature does not verify for {env.author}") from None


def envelope_id(env: Envelope) -> str:
    """``sha256:`` + base64url SHA-256 of the canonical header (``sig`` in, ``body`` out)."""
    return sha256_id(env.header_bytes or canonical.encode(env.header()))


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
    # Every structural and schema rule, before signing. The sig is not among the signed
    # bytes, so the checked envelope only needs its placeholder replaced.
    env = decode_envelope(unsigned)
    signed_bytes = env.signed_bytes()
    raw_sig = key.sign(signed_bytes).signature
    sig = b64encode(raw_sig)
    return msgspec.structs.replace(
        env, sig=sig, sig_bytes=raw_sig, header_bytes=_with_sig(signed_bytes, sig)
    )


def format_ts(when: dt.datetime) -> str:
    """RFC 3339 UTC text as envelopes carry it (second precision)."""
    if when.tzinfo is None:
        raise LocalProtocolError("timestamps must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
