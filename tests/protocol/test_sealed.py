"""Sealed boxes (direct messages) and key-rotation proofs: round trips, the exact format
against libsodium's own primitives, and "change one byte, expect rejection"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nacl.bindings import (
    crypto_box_open,
    crypto_sign_ed25519_pk_to_curve25519,
    crypto_sign_ed25519_sk_to_curve25519,
)
from nacl.signing import SigningKey

from protocol import (
    Draft,
    ErrorCode,
    LocalProtocolError,
    RemoteProtocolError,
    b64decode,
    b64encode,
    decode_envelope,
    node_id_of,
    sign,
)
from protocol.rotation import check_rotation, make_rotation, proof_input
from protocol.sealed import (
    MAC_BYTES,
    NONCE_BYTES,
    message_plaintext,
    open_sealed,
    read_message,
    seal,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "envelopes.json"
KEY_C = SigningKey(b"\x03" * 32)
TS = "2026-11-22T10:00:00Z"


def flip(text: str, at: int) -> str:
    """``text`` with the base64url character at ``at`` changed (still canonical at the end)."""
    ch = "B" if text[at] != "B" else "C"
    return text[:at] + ch + text[at + 1 :]


# --- sealed boxes -------------------------------------------------------------------------


def test_round_trip_both_ways(key_a: SigningKey, key_b: SigningKey) -> None:
    a, b = node_id_of(key_a), node_id_of(key_b)
    box = seal(key_a, b, b"hello B")
    assert open_sealed(key_b, a, box) == b"hello B"
    # Both ends share the box key: the sender reads what it sent.
    assert open_sealed(key_a, b, box) == b"hello B"
    assert open_sealed(key_a, b, seal(key_b, a, b"")) == b""


def test_format_is_nonce_then_crypto_box(key_a: SigningKey, key_b: SigningKey) -> None:
    """b64u(nonce(24) || crypto_box ciphertext), with X25519 keys derived from the
    Ed25519 identities: what another implementation reproduces with libsodium."""
    plaintext = b"the exact format"
    box = seal(key_a, node_id_of(key_b), plaintext)
    raw = b64decode(box)
    assert len(raw) == NONCE_BYTES + MAC_BYTES + len(plaintext)
    secret_b = crypto_sign_ed25519_sk_to_curve25519(bytes(key_b) + bytes(key_b.verify_key))
    public_a = crypto_sign_ed25519_pk_to_curve25519(bytes(key_a.verify_key))
    opened = crypto_box_open(raw[NONCE_BYTES:], raw[:NONCE_BYTES], public_a, secret_b)
    assert opened == plaintext


def test_each_box_has_a_fresh_nonce(key_a: SigningKey, node_b: str) -> None:
    boxes = {seal(key_a, node_b, b"same") for _ in range(20)}
    assert len(boxes) == 20
    assert len({b64decode(b)[:NONCE_BYTES] for b in boxes}) == 20


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "mac", "last"])
def test_one_changed_byte_is_undecryptable(
    key_a: SigningKey, key_b: SigningKey, node_a: str, where: str
) -> None:
    box = seal(key_a, node_id_of(key_b), b"do not touch")
    raw = bytearray(b64decode(box))
    at = {"nonce": 3, "mac": NONCE_BYTES + 2, "ciphertext": NONCE_BYTES + MAC_BYTES + 1}
    raw[at.get(where, len(raw) - 1)] ^= 0x01
    with pytest.raises(RemoteProtocolError) as err:
        open_sealed(key_b, node_a, b64encode(bytes(raw)))
    assert err.value.code == ErrorCode.SEALED_UNDECRYPTABLE


@pytest.mark.parametrize(
    "box",
    [
        "",
        "A" * 54,  # 40 bytes: a nonce and a MAC, no room for the MAC to verify
        "A" * 53,  # 39 bytes: too short to be a box at all
        "not base64!",
        "AB=",
        "AR",  # non-canonical: unused bits set
    ],
)
def test_malformed_boxes_are_undecryptable(key_b: SigningKey, node_a: str, box: str) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        open_sealed(key_b, node_a, box)
    assert err.value.code == ErrorCode.SEALED_UNDECRYPTABLE


def test_a_third_node_cannot_open_it(key_a: SigningKey, key_b: SigningKey) -> None:
    a, b = node_id_of(key_a), node_id_of(key_b)
    box = seal(key_a, b, b"for B only")
    for opener, other in ((KEY_C, a), (KEY_C, b)):
        with pytest.raises(RemoteProtocolError) as err:
            open_sealed(opener, other, box)
        assert err.value.code == ErrorCode.SEALED_UNDECRYPTABLE
    # Nor does B, believing it came from C.
    with pytest.raises(RemoteProtocolError):
        open_sealed(key_b, node_id_of(KEY_C), box)


def test_sealing_to_a_malformed_or_weak_node_id_is_refused(key_a: SigningKey) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        seal(key_a, "ed25519:nope", b"x")
    assert err.value.code == ErrorCode.BAD_NODE_ID
    identity_point = "ed25519:" + b64encode(b"\x01" + b"\x00" * 31)
    with pytest.raises(RemoteProtocolError) as err:
        seal(key_a, identity_point, b"x")
    assert err.value.code == ErrorCode.WEAK_KEY


def test_message_plaintext_is_canonical_json() -> None:
    plaintext = message_plaintext("Bienvenue à tous ✊", "question")
    assert plaintext == '{"purpose":"question","text":"Bienvenue à tous ✊"}'.encode()
    content = read_message(plaintext)
    assert (content.text, content.purpose) == ("Bienvenue à tous ✊", "question")
    assert read_message(b'{"text":"hi"}').purpose == "chat"


@pytest.mark.parametrize(
    ("plaintext", "code"),
    [
        (b'{"text":"hi","purpose":"shout"}', ErrorCode.BODY_INVALID),
        (b'{"text":"hi","extra":1}', ErrorCode.BODY_INVALID),
        (b'{"purpose":"chat"}', ErrorCode.BODY_INVALID),
        (b'{"text":"a","text":"b"}', ErrorCode.DUPLICATE_KEY),
        (b"not json", ErrorCode.SYNTAX),
    ],
)
def test_box_contents_are_checked_like_a_body(plaintext: bytes, code: ErrorCode) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        read_message(plaintext)
    assert err.value.code == code


def test_a_text_over_the_limit_is_not_sealed() -> None:
    with pytest.raises(RemoteProtocolError) as err:
        message_plaintext("x" * 20001)
    assert err.value.code == ErrorCode.BODY_INVALID


# --- key rotation proofs ------------------------------------------------------------------


def test_the_vector_rotation_verifies() -> None:
    doc = json.loads(VECTORS.read_text())
    [vec] = [v for v in doc["valid"] if v["name"] == "key.rotate"]
    env = decode_envelope(vec["envelope"])
    assert check_rotation(env) == env.body["new_key"]  # type: ignore[index]
    assert proof_input(env.author, env.body["new_key"]).decode() == vec["proof_input"]  # type: ignore[index]


def test_make_and_check_rotation(key_a: SigningKey, key_b: SigningKey, node_b: str) -> None:
    body = make_rotation(key_a, key_b, "scheduled")
    assert body["new_key"] == node_b
    assert body["reason"] == "scheduled"
    env = sign(Draft("key.rotate", f"direct:{node_id_of(KEY_C)}", 1, None, body, TS), key_a)
    assert check_rotation(env) == node_b


@pytest.mark.parametrize("at", [0, 40, 85])
def test_a_changed_proof_is_refused(key_a: SigningKey, key_b: SigningKey, at: int) -> None:
    body = make_rotation(key_a, key_b)
    proof = body["proof"]
    # The last character carries 2 bits of the signature and 4 zero bits: keep it canonical.
    last = next(c for c in "AQgw" if c != proof[85])
    body["proof"] = flip(proof, at) if at < 85 else proof[:85] + last
    env = sign(Draft("key.rotate", f"direct:{node_id_of(KEY_C)}", 1, None, body, TS), key_a)
    with pytest.raises(RemoteProtocolError) as err:
        check_rotation(env)
    assert err.value.code == ErrorCode.BAD_ROTATION_PROOF


def test_a_proof_for_another_pair_is_refused(key_a: SigningKey, key_b: SigningKey) -> None:
    scope = f"direct:{node_id_of(KEY_C)}"
    # C's rotation to B, replayed as A's: the proof names C as the old key.
    body = make_rotation(KEY_C, key_b)
    with pytest.raises(RemoteProtocolError) as err:
        check_rotation(sign(Draft("key.rotate", scope, 1, None, body, TS), key_a))
    assert err.value.code == ErrorCode.BAD_ROTATION_PROOF
    # A names B, but C signed the proof.
    forged = {
        **body,
        "proof": b64encode(KEY_C.sign(proof_input(node_id_of(key_a), body["new_key"])).signature),
    }
    with pytest.raises(RemoteProtocolError) as err:
        check_rotation(sign(Draft("key.rotate", scope, 1, None, forged, TS), key_a))
    assert err.value.code == ErrorCode.BAD_ROTATION_PROOF


def test_rotating_to_itself_or_to_a_weak_key_is_refused(key_a: SigningKey) -> None:
    scope = f"direct:{node_id_of(KEY_C)}"
    a = node_id_of(key_a)
    selfie = {"new_key": a, "proof": b64encode(key_a.sign(proof_input(a, a)).signature)}
    weak = {"new_key": "ed25519:" + b64encode(b"\x01" + b"\x00" * 31), "proof": "A" * 86}
    for body in (selfie, weak):
        with pytest.raises(RemoteProtocolError) as err:
            check_rotation(sign(Draft("key.rotate", scope, 1, None, body, TS), key_a))
        assert err.value.code == ErrorCode.BAD_ROTATION_PROOF
    with pytest.raises(LocalProtocolError):
        make_rotation(key_a, key_a)
