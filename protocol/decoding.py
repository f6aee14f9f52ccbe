"""Decoding: from a JSON value to a checked envelope, every rule of PROTOCOL.md §6 up
to the body's schema (the signature is ``signing``'s).

A fast path proves a well-formed header with one regex match over its canonical bytes;
whatever it is unsure of goes through the field-by-field checks, which name the broken
rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import protocol.canonical as canonical
from protocol.envelope import (
    ALL_FIELDS,
    BODY_MEMBER_BYTES,
    REQUIRED_FIELDS,
    SIG_MEMBER_BYTES,
    SIGNED_FIELDS,
    Envelope,
    with_sig,
)
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.ids import (
    B64_64,
    CIRCLE_LOCAL_PATTERN,
    HANDLE_PATTERN,
    HASH_PATTERN,
    NODE_ID_PATTERN,
    check_hash,
    parse_actor,
    scope_owner,
    verify_key_of,
)
from protocol.schemas import validate_body
from protocol.versions import SUPPORTED, ProtocolVersion, version

TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z", re.ASCII)
_SIG_RE = re.compile(B64_64)


ALL_KINDS: frozenset[str] = frozenset().union(*(v.kinds for v in SUPPORTED.values()))


def _header_regex() -> re.Pattern[bytes]:
    """One pattern for the canonical bytes of a well-formed signed header (sorted keys,
    without ``sig``), for objects decoded already (``decode_envelope``).

    Matching it proves every header field's type and format in one C call; anything it
    does not match goes through the field-by-field checks, which name the broken rule.
    """
    kinds = "|".join(re.escape(k) for k in sorted(ALL_KINDS))
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


class Slow(Exception):
    """The fast checks are unsure; the field-by-field checks decide and explain."""


def _bad(code: ErrorCode, message: str) -> RemoteProtocolError:
    return RemoteProtocolError(code, message)


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
        or not valid_time(ts)
    ):
        raise Slow
    verify_key_of(author)
    return ver


def decode_envelope(obj: Any) -> Envelope:
    """Check an envelope's structure and body schema (no signature yet) and build it.

    ``obj`` is a parsed JSON value already inside the canonical subset (see
    ``canonical.loads``). Checks run in the order of PROTOCOL.md §6 up to the schema.
    """
    try:
        return _decode_fast(obj)
    except Slow:
        return _decode_strict(obj)


def _decode_fast(obj: Any) -> Envelope:
    if type(obj) is not dict:
        raise Slow
    has_body = "body" in obj
    try:
        if len(obj) != 11 + has_body:
            raise Slow
        signed = obj.copy()
        sig = signed.pop("sig")
        signed.pop("body", None)
        signed_bytes = canonical.encode(signed)
    except (KeyError, TypeError):
        raise Slow from None
    m = _HEADER_RE.fullmatch(signed_bytes)
    if m is None or type(sig) is not str or _SIG_RE.fullmatch(sig) is None:
        raise Slow
    ver = _cross_check(m, obj["v"], obj["refs"], obj["ts"], obj["author"])
    refs = obj["refs"]
    body = obj.get("body")
    body_bytes = None
    size = len(signed_bytes) + SIG_MEMBER_BYTES
    if has_body:
        if type(body) is not dict:
            raise Slow
        body_bytes = canonical.encode(body)
        size += BODY_MEMBER_BYTES + len(body_bytes)
    if size > ver.max_envelope_bytes:
        raise Slow
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
        with_sig(signed_bytes, sig),
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
    if type(ts) is not str or not TS_RE.fullmatch(ts) or not valid_time(ts):
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
    size = len(signed_bytes) + SIG_MEMBER_BYTES
    if body_bytes is not None:
        size += BODY_MEMBER_BYTES + len(body_bytes)
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
        with_sig(signed_bytes, sig),
        b"",
        signed_bytes,
    )


def valid_time(ts: str) -> bool:
    try:
        dt.datetime.fromisoformat(ts)
    except ValueError:
        return False
    return True
