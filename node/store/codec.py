"""Rows of the envelopes table back into Envelope values (trusted: we stored them)."""

from __future__ import annotations

import orjson

from protocol import Envelope, decode_envelope


def envelope_from_row(header: bytes, body: bytes | None) -> Envelope:
    obj = orjson.loads(header)
    if body is not None:
        obj["body"] = orjson.loads(body)
    return decode_envelope(obj)


def envelope_json_from_row(header: bytes, body: bytes | None) -> bytes:
    """The canonical bytes of the whole envelope without building an Envelope."""
    if body is None:
        return header
    # Canonical key order puts "body" right after "author"; splice it in there.
    at = header.index(b',"body_hash":')
    return header[:at] + b',"body":' + body + header[at:]
