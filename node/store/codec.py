"""Rows of the envelopes table back into Envelope values (trusted: we stored them)."""

from __future__ import annotations

from protocol import Envelope, parse_envelope


def envelope_from_row(header: bytes, body: bytes | None) -> Envelope:
    return parse_envelope(envelope_json_from_row(header, body))


def envelope_json_from_row(header: bytes, body: bytes | None) -> bytes:
    """The canonical bytes of the whole envelope without building an Envelope."""
    if body is None:
        return header
    # Canonical key order puts "body" right after "author"; splice it in there.
    at = header.index(b',"body_hash":')
    return header[:at] + b',"body":' + body + header[at:]
