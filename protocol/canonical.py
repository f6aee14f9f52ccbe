"""Canonical JSON: the closed subset of RFC 8785 (JCS) that NST signs and hashes.

The subset: objects, arrays, strings, true, false, null and integers with
|n| <= 2^53-1. No floats, NaN or Infinity, no duplicate keys, ASCII object keys,
valid UTF-8 without lone surrogates, bounded size and depth. Inside the subset the
canonical bytes are exactly RFC 8785's, which orjson with sorted keys produces.

Parsing has a fast path (orjson plus a tree walk) for acceptance and a strict path
(the standard json module with hooks) that names the exact rule an input breaks.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import orjson

from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError

MAX_OBJECT_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_INT = 2**53 - 1
_MAX_INT_DIGITS = len(str(MAX_INT))

_SORT = orjson.OPT_SORT_KEYS

JSONObject = dict[str, Any]


class _Outside(Exception):
    """The fast check met something it does not accept; the strict parser says why."""


def loads(data: bytes, *, max_bytes: int = MAX_OBJECT_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse bytes that must lie inside the canonical subset (not necessarily canonical).

    Raises RemoteProtocolError with the code of the first rule broken.
    """
    if len(data) > max_bytes:
        raise RemoteProtocolError(
            ErrorCode.TOO_LARGE, f"{len(data)} bytes is over the limit of {max_bytes}"
        )
    try:
        value = orjson.loads(data)
        _walk(value, max_depth)
        # orjson keeps the last of duplicate keys silently. Every ':' outside a string is
        # one object member, and without \u escapes every ':' inside a string is still a
        # ':' in the canonical bytes; so equal counts prove no member was dropped.
        if b"\\u" in data or data.count(b":") != orjson.dumps(value, option=_SORT).count(b":"):
            raise _Outside
    except (orjson.JSONDecodeError, _Outside):
        return _strict_loads(data, max_depth)
    return value


def dumps(value: Any, *, max_depth: int = MAX_DEPTH) -> bytes:
    """Canonical bytes of a value built by our own code; misuse raises LocalProtocolError."""
    try:
        _walk(value, max_depth)
        return orjson.dumps(value, option=_SORT)
    except (_Outside, orjson.JSONEncodeError) as exc:
        raise LocalProtocolError(f"value is outside the canonical JSON subset: {exc!r}") from None


def encode(value: Any) -> bytes:
    """Canonical bytes of a value already known to be inside the subset (hot path)."""
    return orjson.dumps(value, option=_SORT)


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise RemoteProtocolError unless an already-parsed value lies inside the subset."""
    try:
        _walk(value, max_depth)
        encode(value)  # the walk does not look inside strings; orjson refuses lone surrogates
    except (_Outside, TypeError):
        _strict_walk(value, max_depth, 0)
        raise RemoteProtocolError(ErrorCode.SYNTAX, "value is outside the subset") from None


def _walk(container: Any, room: int) -> None:
    t = type(container)
    if t is dict:
        if room <= 0 or not "".join(container).isascii():
            raise _Outside
        items = container.values()
    elif t is list:
        if room <= 0:
            raise _Outside
        items = container
    else:
        items = (container,)
        room += 1
    for x in items:
        t = type(x)
        if t is str or t is bool or x is None:
            continue
        if t is int:
            if -MAX_INT <= x <= MAX_INT:
                continue
            raise _Outside
        if t is dict or t is list:
            _walk(x, room - 1)
            continue
        raise _Outside


def _reject(code: ErrorCode, message: str) -> NoReturn:
    raise RemoteProtocolError(code, message)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                _reject(ErrorCode.DUPLICATE_KEY, f"duplicate object key {key!r}")
            seen.add(key)
    for key in obj:
        if not key.isascii():
            _reject(ErrorCode.NON_ASCII_KEY, f"object key {key!r} is not ASCII")
    return obj


def _quoted(number: str) -> str:
    """A number as a message quotes it: a long one cut short, so that no message (echoed
    to a peer, logged) grows with the input."""
    return number if len(number) <= 24 else f"{number[:20]}… ({len(number)} characters)"


def _float(text: str) -> NoReturn:
    _reject(ErrorCode.FLOAT, f"number {_quoted(text)} is not an integer")


def _constant(text: str) -> NoReturn:
    _reject(ErrorCode.NON_FINITE, f"{text} is not JSON")


def _int(text: str) -> int:
    # JSON has no leading zeros, so an integer of more digits than MAX_INT is beyond it;
    # deciding on the length first spares converting it (Python refuses to convert more
    # than 4300 digits at all, and takes quadratic time below that).
    n = int(text) if len(text) - text.startswith("-") <= _MAX_INT_DIGITS else None
    if n is None or not -MAX_INT <= n <= MAX_INT:
        _reject(ErrorCode.INT_RANGE, f"integer {_quoted(text)} is beyond ±(2^53-1)")
    return n


def _strict_loads(data: bytes, max_depth: int) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _reject(ErrorCode.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_float,
            parse_constant=_constant,
            parse_int=_int,
        )
    except RecursionError:
        _reject(ErrorCode.TOO_DEEP, f"nesting deeper than {max_depth}")
    except json.JSONDecodeError as exc:
        _reject(ErrorCode.SYNTAX, f"{exc.msg} at line {exc.lineno} column {exc.colno}")
    _strict_walk(value, max_depth, 0)
    return value


def _strict_walk(value: Any, max_depth: int, depth: int) -> None:
    t = type(value)
    if t is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _reject(ErrorCode.LONE_SURROGATE, "string holds a lone surrogate")
    elif t is dict or t is list:
        if depth >= max_depth:
            _reject(ErrorCode.TOO_DEEP, f"nesting deeper than {max_depth}")
        if t is dict:
            for key, item in value.items():
                if type(key) is not str:
                    _reject(ErrorCode.SYNTAX, f"object key {key!r} is not a string")
                _strict_walk(key, max_depth, depth)
                if not key.isascii():
                    _reject(ErrorCode.NON_ASCII_KEY, f"object key {key!r} is not ASCII")
                _strict_walk(item, max_depth, depth + 1)
        else:
            for item in value:
                _strict_walk(item, max_depth, depth + 1)
    elif t is int:
        if not -MAX_INT <= value <= MAX_INT:
            _reject(ErrorCode.INT_RANGE, "integer beyond ±(2^53-1)")
    elif t is float:
        _reject(ErrorCode.FLOAT, f"number {value!r} is not an integer")
    elif not (t is bool or value is None):
        _reject(ErrorCode.SYNTAX, f"{t.__name__} is not a JSON value")
