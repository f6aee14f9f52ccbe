"""Parsing: from bytes to a checked envelope (PROTOCOL.md §6 up to the schema).

Bytes already in canonical form, which conforming nodes send, take a fast path whose
native half, ``_split``, is compiled where a C compiler is (protocol/_speedups.c, with
``_split_py`` its Python reference); any other input is ``canonical.loads`` and then
``decoding``.
"""

from __future__ import annotations

import binascii
import re
from typing import Annotated, Any, Literal

import msgspec

import protocol.canonical as canonical
from protocol.decoding import ALL_KINDS, TS_RE, Slow, decode_envelope, valid_time
from protocol.envelope import SIG_MEMBER_BYTES, Envelope
from protocol.errors import RemoteProtocolError
from protocol.fastcheck import body_ok
from protocol.ids import FROM_URLSAFE, HASH_PATTERN, parse_actor, scope_owner, verify_key_of
from protocol.versions import CURRENT, SUPPORTED, ProtocolVersion

# `,"ts":"` `","v":` `}` and the digits of v: what follows the sig member, but the time.
_TAIL_BYTES = {n: 14 + len(str(n)) for n in SUPPORTED}


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
    kind: Literal[tuple(sorted(ALL_KINDS))]  # type: ignore[valid-type]
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
        except (Slow, msgspec.DecodeError, ValueError, RecursionError):
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
        raise Slow
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
        raise Slow
    # A time whose hour was seen valid is valid with any minutes and seconds.
    if not (ts[13:] in _MINUTE_SECOND and ts[:13] in _KNOWN_HOURS):
        if TS_RE.fullmatch(ts) is None or not valid_time(ts):
            raise Slow
        if len(_KNOWN_HOURS) >= 4096:
            _KNOWN_HOURS.clear()
        _KNOWN_HOURS.add(ts[:13])
    # The hashes and the signature's spelling are checked, and the bytes cut apart,
    # only now: the cuts rely on every string checked before them holding no quote.
    parts = _split(data, len(ts) + _TAIL_BYTES[ver.number])
    if parts is None:
        raise Slow
    body_bytes, header_bytes, signed, sig_bytes, body_hash_bytes = parts
    body = wire.body
    if (body is None) != (body_bytes is None) or (body is not None and not body_ok(kind, body)):
        raise Slow
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
    at = len(data) - tail - SIG_MEMBER_BYTES
    if m is None or at < m.end():
        return None
    sig = _SIG_AT.match(data, at)
    if sig is None:
        return None
    try:
        sig_bytes = binascii.a2b_base64(sig[1].translate(FROM_URLSAFE) + b"==")
        body_hash = binascii.a2b_base64(m[1][7:].translate(FROM_URLSAFE) + b"=")
    except binascii.Error:
        return None
    if start < 0:
        return None, data, data[:at] + data[at + SIG_MEMBER_BYTES :], sig_bytes, body_hash
    return (
        data[start + len(_BODY_MEMBER) : end],
        data[:start] + data[end:],
        b"".join((data[:start], data[end:at], data[at + SIG_MEMBER_BYTES :])),
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
        raise Slow
    try:
        verify_key_of(author)
        if actor is not None and parse_actor(actor)[1] != author:
            raise Slow
        scope_owner(scope)
    except RemoteProtocolError:
        raise Slow from None
    if len(_KNOWN_SOURCES) >= 16384:
        _KNOWN_SOURCES.clear()
    source = _KNOWN_SOURCES[v, kind, author, actor, scope] = (ver, kind, author, actor, scope)
    return source
