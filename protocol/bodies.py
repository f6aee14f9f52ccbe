"""JSON documents that are not envelopes: federation request bodies and answers, and the
lines of exports, each decoded as the shape its endpoint or file defines.

msgspec checks the shape; this module adds what PROTOCOL.md §12.4 says beyond it. The
bytes are UTF-8 and JSON text (RFC 8259) throughout, else ``request.malformed``; an
integer beyond ±(2^53−1) is ``json.int_range`` wherever it stands (declare every integer
of a shape as ``Int``); and a body that carries envelopes keeps each as the exact bytes
it spans, to be judged on its own (§2.1 and §6): the grammar is the body's, the rules of
the canonical subset beyond it are each envelope's.
"""

from __future__ import annotations

import re
from typing import Annotated, Protocol, TypeVar

import msgspec

from protocol.canonical import MAX_INT
from protocol.errors import ErrorCode, RemoteProtocolError

#: An integer of the canonical subset, as a msgspec type.
Int = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT)]

T = TypeVar("T")

# msgspec's words for an integer beyond an ``Int``'s bounds, and for one past what Python
# converts at all (over 4300 digits).
_BEYOND = re.compile(r"(?:Integer value out of range|Expected `int` [<>]= -?9007199254740991) ")
# A \u escape of a UTF-16 surrogate: msgspec refuses an unpaired one even in a value it
# keeps raw, though RFC 8259's grammar allows it.
_SURROGATE = re.compile(rb"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


def decode(decoder: msgspec.json.Decoder[T], data: bytes) -> T:
    """``data`` as ``decoder``'s type, or RemoteProtocolError: ``json.int_range`` for an
    integer beyond the subset's range, ``json.too_deep`` for nesting past what the
    decoder follows, ``request.malformed`` for anything else (not UTF-8, not JSON text,
    not of the shape)."""
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RemoteProtocolError(
                ErrorCode.REQUEST_MALFORMED, f"not UTF-8 (byte {exc.start})"
            ) from None
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        code = ErrorCode.INT_RANGE if _BEYOND.match(str(exc)) else ErrorCode.REQUEST_MALFORMED
        raise RemoteProtocolError(code, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, str(exc)) from None
    except RecursionError:
        # msgspec follows nested arrays even to keep them raw.
        raise RemoteProtocolError(ErrorCode.TOO_DEEP, "nested too deep") from None


class Batch(Protocol):
    """A shape that carries envelopes as raw JSON values under ``envelopes``."""

    @property
    def envelopes(self) -> list[msgspec.Raw]: ...


B = TypeVar("B", bound=Batch)


class _Array(msgspec.Struct):
    envelopes: msgspec.Raw


_ARRAY = msgspec.json.Decoder(_Array)


def decode_batch(decoder: msgspec.json.Decoder[B], data: bytes) -> tuple[B, list[bytes]]:
    """A body that carries envelopes, decoded as ``decode`` does, and each envelope as the
    exact bytes it spans in ``data``.

    Where msgspec refuses a body holding surrogate escapes, it is decoded once more with
    each of them read as ``\\u0000``: the same length, so the envelopes span the same
    bytes, which are then cut from the body as received; an unpaired one is then only
    its envelope's ``json.lone_surrogate``.
    """
    try:
        value = decode(decoder, data)
    except RemoteProtocolError as exc:
        if exc.code is not ErrorCode.REQUEST_MALFORMED or not _SURROGATE.search(data):
            raise
        blanked = _SURROGATE.sub(rb"\\u0000", data)
        value = decode(decoder, blanked)  # the body's own fault, if it has one
        return value, _cut(data, blanked, value.envelopes)
    return value, [bytes(raw) for raw in value.envelopes]


def _cut(data: bytes, blanked: bytes, raws: list[msgspec.Raw]) -> list[bytes]:
    """The spans of ``raws`` (decoded from ``blanked``) in ``data``. Between two elements
    of an array stand only commas and whitespace, so each element is the first match
    after the one before; the array itself must occur once (a duplicate member could
    repeat it)."""
    if not raws:
        return []
    array = bytes(_ARRAY.decode(blanked).envelopes)
    if blanked.count(array) != 1:
        raise RemoteProtocolError(ErrorCode.REQUEST_MALFORMED, "envelopes given twice")
    at = blanked.index(array) + 1
    out = []
    for raw in raws:
        piece = bytes(raw)
        start = blanked.index(piece, at)
        at = start + len(piece)
        out.append(data[start:at])
    return out
