"""Identifiers: canonical base64url, node ids and weak keys, actors, scopes, hashes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.bindings import crypto_core_ed25519_add
from nacl.signing import SigningKey

from protocol import (
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
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.ids import check_hash


def code_of(fn: object, arg: object) -> ErrorCode:
    with pytest.raises(RemoteProtocolError) as info:
        fn(arg)  # type: ignore[operator]
    return info.value.code


def _last_char_variants(text: str) -> list[str]:
    """``text`` with its last character replaced by every other base64url character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return [text[:-1] + c for c in alphabet if c != text[-1]]


# --- base64url ----------------------------------------------------------------------------


@given(st.binary(max_size=80))
def test_b64_round_trip_is_unpadded_urlsafe(raw: bytes) -> None:
    text = b64encode(raw)
    assert text == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert b64decode(text) == raw


@pytest.mark.parametrize(
    "text",
    [
        "AA==",
        "AAA=",
        "AA=",
        "A",  # length 1 mod 4 encodes no whole byte
        "AAAAA",
        "AB",  # one byte whose 4 unused bits are not zero
        "AAB",  # two bytes, 2 unused bits not zero
        "+/8",  # standard alphabet, not urlsafe
        "AA AA",
        "AA\nAA",
        "AAAA\n",
        "ÀAAA",
        "AA.A",
    ],
)
def test_b64decode_refuses_non_canonical_spellings(text: str) -> None:
    with pytest.raises(ValueError):
        b64decode(text)


def test_b64decode_has_one_spelling_per_32_bytes() -> None:
    text = b64encode(bytes(range(1, 33)))
    assert len(text) == 43
    # 43 characters carry 258 bits: of the 64 possible last characters, 16 leave the two
    # unused bits zero, and only the original one decodes to the same 32 bytes.
    accepted = [t for t in _last_char_variants(text) if _decodes(t)]
    assert len(accepted) == 15
    assert all(b64decode(t) != b64decode(text) for t in accepted)


def _decodes(text: str) -> bool:
    try:
        b64decode(text)
    except ValueError:
        return False
    return True


# --- node ids and keys --------------------------------------------------------------------


def test_node_id_names_the_public_key(key_a: SigningKey) -> None:
    node = node_id_of(key_a)
    assert node == "ed25519:" + b64encode(bytes(key_a.verify_key))
    assert node_id_of(key_a.verify_key) == node
    assert bytes(verify_key_of(node)) == bytes(key_a.verify_key)


def _bad_node_ids(good: str) -> list[object]:
    body = good[len("ed25519:") :]
    return [
        "",
        "ed25519:",
        body,
        "Ed25519:" + body,
        "ed25519" + body,
        "ed25519;" + body,
        "x25519:" + body,
        " ed25519:" + body,
        good + " ",
        good + "=",
        good[:-1],
        good + "A",
        "ed25519:" + b64encode(bytes(31)),
        "ed25519:" + b64encode(bytes(33)),
        "ed25519:" + b64encode(bytes(64)),
        "ed25519:" + body.replace(body[5], "+", 1),
        "ed25519:" + body.replace(body[5], "/", 1),
        "ed25519:" + body[:10] + "." + body[11:],
        "ed25519:" + body[:10] + "é" + body[11:],
        *[v for v in _last_char_variants(good) if not _decodes(v[len("ed25519:") :])][:3],
        None,
        7,
        b"ed25519:" + body.encode(),
        ["x"],
        {"x": 1},
    ]


def test_malformed_node_ids_are_bad_node_id(node_a: str) -> None:
    for bad in _bad_node_ids(node_a):
        assert code_of(verify_key_of, bad) == ErrorCode.BAD_NODE_ID, bad


# Curve25519's eight small-order points (libsodium's blocklist), two non-canonical
# encodings of them, and points that are off the curve.
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1
    "0200000000000000000000000000000000000000000000000000000000000000",  # y = 2, off curve
]


@pytest.mark.parametrize("point", SMALL_ORDER)
def test_small_order_and_invalid_points_are_weak_keys(point: str) -> None:
    node = "ed25519:" + b64encode(bytes.fromhex(point))
    assert code_of(verify_key_of, node) == ErrorCode.WEAK_KEY


def test_point_with_a_small_order_component_is_a_weak_key(key_a: SigningKey) -> None:
    # A valid key plus a point of order 8 is on the curve but outside the prime-order group.
    mixed = crypto_core_ed25519_add(bytes(key_a.verify_key), bytes.fromhex(SMALL_ORDER[4]))
    assert code_of(verify_key_of, "ed25519:" + b64encode(mixed)) == ErrorCode.WEAK_KEY


# --- hashes, actors, scopes -----------------------------------------------------------------


def test_sha256_id() -> None:
    assert sha256_id(b"") == "sha256:" + b64encode(hashlib.sha256(b"").digest())
    assert sha256_id(b"") == "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    assert check_hash(sha256_id(b"x")) == sha256_id(b"x")


@pytest.mark.parametrize(
    "bad",
    [
        "sha256:" + b64encode(bytes(31)),
        "sha256:" + b64encode(bytes(33)),
        "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFV",  # unused bits set
        "sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
        "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
        "SHA256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "sha512:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        None,
        1,
        ["sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"],
    ],
)
def test_malformed_hashes_are_refused(bad: object) -> None:
    assert code_of(check_hash, bad) == ErrorCode.BAD_HASH


def test_parse_actor_accepts_handle_at_node(node_a: str) -> None:
    assert parse_actor(f"alice@{node_a}") == ("alice", node_a)
    assert parse_actor(f"0.a_b-c@{node_a}") == ("0.a_b-c", node_a)
    assert parse_actor(f"{'a' * 32}@{node_a}") == ("a" * 32, node_a)


def test_parse_actor_rejects_everything_else(node_a: str) -> None:
    non_canonical = next(v for v in _last_char_variants(node_a) if not _decodes(v[8:]))
    for bad in [
        "",
        node_a,
        f"@{node_a}",
        f"Alice@{node_a}",
        f"_alice@{node_a}",
        f".alice@{node_a}",
        f"{'a' * 33}@{node_a}",
        f"al ice@{node_a}",
        f"alice@@{node_a}",
        f"alice@{node_a}x",
        f"alice@{node_a[:-1]}",
        f"alice@{node_a}\n",
        f"alice@{non_canonical}",
        f"alice@direct:{node_a}",
        "alice@example.org",
        None,
        ["alice", node_a],
    ]:
        assert code_of(parse_actor, bad) == ErrorCode.BAD_ACTOR, bad


def test_scope_owner_names_the_home_or_recipient_node(node_a: str) -> None:
    assert scope_owner(circle_id("general", node_a)) == node_a
    assert scope_owner(f"circle:{'x' * 64}@{node_a}") == node_a
    assert scope_owner(f"direct:{node_a}") == node_a
    fresh = new_circle_id(node_a)
    assert scope_owner(fresh) == node_a
    assert fresh != new_circle_id(node_a)


def test_scope_owner_rejects_everything_else(node_a: str) -> None:
    non_canonical = next(v for v in _last_char_variants(node_a) if not _decodes(v[8:]))
    for bad in [
        "",
        node_a,
        "direct:",
        f"direct:{node_a}x",
        f"direct:{node_a[:-1]}",
        f"direct:{non_canonical}",
        f"Direct:{node_a}",
        f"circle:@{node_a}",
        f"circle:{'x' * 65}@{node_a}",
        f"circle:a.b@{node_a}",
        f"circle:general{node_a}",
        f"circle:general@{non_canonical}",
        f"circle:general@alice@{node_a}",
        f"room:general@{node_a}",
        f"direct:{node_a}\n",
        None,
        42,
    ]:
        assert code_of(scope_owner, bad) == ErrorCode.BAD_SCOPE, bad
