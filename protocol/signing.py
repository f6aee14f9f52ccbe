"""Signing: an author's drafts made into signed envelopes, and received envelopes
checked against their body hash and their author's signature.
"""

from __future__ import annotations

import binascii
import hashlib
from typing import Any

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

import protocol.canonical as canonical
from protocol.decoding import decode_envelope
from protocol.envelope import ALL_FIELDS, HEADER_FIELDS, Draft, Envelope, envelope_id, with_sig
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.ids import FROM_URLSAFE, b64encode, node_id_of, sha256_id, verify_key_of


def _bad(code: ErrorCode, message: str) -> RemoteProtocolError:
    return RemoteProtocolError(code, message)


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
            env.sig.encode().translate(FROM_URLSAFE) + b"=="
        )
        verify_key_of(env.author).verify(signed, raw_sig)
    except (BadSignatureError, ValueError):
        raise _bad(ErrorCode.BAD_SIGNATURE, f"signature does not verify for {env.author}") from None


def open_envelope(obj: Any) -> tuple[Envelope, str]:
    """Decode, verify and identify one received envelope (PROTOCOL.md §6, steps 1–4)."""
    env = decode_envelope(obj)
    verify(env)
    return env, envelope_id(env)


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
        env, sig=sig, sig_bytes=raw_sig, header_bytes=with_sig(signed_bytes, sig)
    )
