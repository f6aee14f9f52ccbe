"""The NST protocol core: canonical JSON, ids, signed envelopes, body schemas, feed rules.

Pure: no I/O, no aiohttp, no storage; imports nothing else of NST. Everything here is a
function of its inputs, so other layers and other implementations can rely on it.
"""

from protocol.canonical import MAX_DEPTH, MAX_INT, MAX_OBJECT_BYTES, dumps, loads
from protocol.decoding import decode_envelope
from protocol.envelope import Draft, Envelope, body_hash_of, envelope_id, format_ts
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.feeds import FeedHead, Placement, check_chain, equivocation, place
from protocol.ids import (
    b64decode,
    b64encode,
    circle_id,
    new_circle_id,
    node_id_of,
    parse_actor,
    scope_owner,
    sha256_id,
    verify_key_of,
)
from protocol.parsing import parse_envelope
from protocol.schemas import SCHEMAS, validate_body
from protocol.signing import open_envelope, sign, verify
from protocol.versions import CURRENT, SUPPORTED, V1, ProtocolVersion

__all__ = [
    "CURRENT",
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_OBJECT_BYTES",
    "SCHEMAS",
    "SUPPORTED",
    "V1",
    "Draft",
    "Envelope",
    "ErrorCode",
    "FeedHead",
    "LocalProtocolError",
    "Placement",
    "ProtocolVersion",
    "RemoteProtocolError",
    "b64decode",
    "b64encode",
    "body_hash_of",
    "check_chain",
    "circle_id",
    "decode_envelope",
    "dumps",
    "envelope_id",
    "equivocation",
    "format_ts",
    "loads",
    "new_circle_id",
    "node_id_of",
    "open_envelope",
    "parse_actor",
    "parse_envelope",
    "place",
    "scope_owner",
    "sha256_id",
    "sign",
    "validate_body",
    "verify",
    "verify_key_of",
]
