"""parse_envelope, the receive path from bytes, decides exactly as the general path.

Canonical bytes take a fast path (decode, re-encode, check the decoded values, slice the
header and body out of the input), its native half compiled or in Python; anything else
is parsed into a JSON value and checked field by field. For any input both must give the
same answer: the same error code, or the same envelope with the same header, body and
signed bytes, id and verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from protocol import (
    Draft,
    RemoteProtocolError,
    b64decode,
    b64encode,
    circle_id,
    decode_envelope,
    envelope_id,
    loads,
    node_id_of,
    parse_envelope,
    parsing,
    sha256_id,
    sign,
    verify,
)
from protocol.canonical import encode
from protocol.ids import B64_64

KEY = SigningKey(b"\x07" * 32)
NODE = node_id_of(KEY)
OTHER = node_id_of(SigningKey(b"\x08" * 32))
CIRCLE = circle_id("general", OTHER)
PROPOSAL = sha256_id(b"proposal")


def _signed(**fields: Any) -> dict[str, Any]:
    draft = {
        "kind": "stance",
        "scope": CIRCLE,
        "seq": 5,
        "prev": sha256_id(b"prev"),
        "actor": f"chris@{NODE}",
        "refs": (PROPOSAL,),
        "ts": "2026-11-22T10:00:00Z",
        "body": {"proposal": PROPOSAL, "stance": "concern", "reason": "Who keeps it?"},
    } | fields
    return sign(Draft(**draft), KEY).to_json()


BASES = [
    _signed(),
    _signed(seq=1, prev=None, refs=(), actor=None),
    _signed(kind="message", scope=f"direct:{OTHER}", body={"text": "ça va ? \u2028 \x01"}),
    _signed(ts="2026-02-28T23:59:59.123456Z", refs=(PROPOSAL, sha256_id(b"other"))),
]
RETRACTED = {k: v for k, v in BASES[0].items() if k != "body"}
BASES.append(RETRACTED)


def outcome(data: bytes, *, fast: bool) -> tuple[Any, ...]:
    try:
        env = parse_envelope(data) if fast else decode_envelope(loads(data))
    except RemoteProtocolError as exc:
        return ("refused", exc.code)
    try:
        verify(env)
        verdict = None
    except RemoteProtocolError as exc:
        verdict = exc.code
    return (
        "parsed",
        env.to_json(),
        env.header_bytes,
        env.body_bytes,
        env.signed_bytes(),
        envelope_id(env),
        verdict,
    )


# The fast path with each implementation of its native half: compiled, and Python.
SPLITS = [parsing._split, parsing._split_py]


def same(data: bytes) -> tuple[Any, ...]:
    general = outcome(data, fast=False)
    built = parsing._split
    try:
        for split in SPLITS:
            parsing._split = split
            assert outcome(data, fast=True) == general
    finally:
        parsing._split = built
    return general


@pytest.mark.parametrize("base", BASES, ids=["stance", "first", "direct", "fraction", "retracted"])
def test_a_valid_envelope_parses_from_bytes_as_from_its_value(base: dict[str, Any]) -> None:
    data = encode(base)
    result = same(data)
    assert result[0] == "parsed"
    assert result[-1] is None  # and it verifies
    env = parse_envelope(data)
    assert env.sig_bytes == b64decode(env.sig)
    assert env.header_bytes == encode({k: v for k, v in base.items() if k != "body"})


HASHLIKE = st.text(alphabet="AQgwBz09-_+/=:é", min_size=41, max_size=45).map("sha256:".__add__)
TIMES = st.sampled_from(
    [
        "2026-02-29T10:00:00Z",
        "2028-02-29T10:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:60Z",
        "0000-01-01T00:00:00Z",
        "2026-11-22T10:00:00.Z",
        "2026-11-22T10:00:00.1234567Z",
        "2026-11-22T10:00:00+00:00",
        "2026-W47-1T10:00:0Z",
        "2026-11-22 10:00:00Z",
        "٢٠٢٦-11-22T10:00:00Z",
        "2026-11-22T10:00:00Z\n",
        "2026-11-22T10:00:00z",
        "2026-11-22T10:00:61Z",
    ]
)
VALUES = st.one_of(
    HASHLIKE,
    TIMES,
    st.from_regex(B64_64, fullmatch=True),
    st.sampled_from(
        [
            None,
            True,
            0,
            1,
            -1,
            2**53,
            1.5,
            "",
            [],
            {},
            [PROPOSAL, PROPOSAL],
            NODE,
            f"chris@{OTHER}",
            f"Chris@{NODE}",
            f"direct:{NODE}",
            "circle:x@" + NODE,
            "proposal",
            "Proposal",
            "key.rotate",
            2,
        ]
    ),
    st.text(max_size=8),
    st.integers(),
)
HEADER = ["v", "kind", "author", "actor", "scope", "seq", "prev", "refs", "ts", "body_hash", "sig"]
BODY = ["body.stance", "body.reason", "body.extra", "body.proposal", "body.text", "body.thread"]
FIELDS = st.sampled_from([*HEADER, "body", "extra", *BODY, "refs.0"])


def _mutated(base: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    obj = {**base, "body": dict(base["body"])} if "body" in base else dict(base)
    if field.startswith("body."):
        obj.setdefault("body", {})[field[5:]] = value
    elif field == "refs.0":
        obj["refs"] = [value, *obj["refs"][1:]]
    else:
        obj[field] = value
    return obj


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(BASES), FIELDS, VALUES)
def test_a_changed_field_is_judged_alike_on_both_paths(
    base: dict[str, Any], field: str, value: Any
) -> None:
    try:
        data = encode(_mutated(base, field, value))
    except TypeError:  # not JSON at all (orjson refuses it)
        return
    same(data)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(BASES), st.data())
def test_changed_bytes_are_judged_alike_on_both_paths(
    change_bytes: Callable[..., bytes], base: dict[str, Any], data: Any
) -> None:
    inserts = [b" ", b'"', b"\\", b",", b"\xc3\xa9", b"0"]
    changed = change_bytes(data, encode(base), inserts, 60)
    if changed:
        same(changed)


def test_a_body_nested_too_deep_is_refused_not_a_crash() -> None:
    data = encode(BASES[0])
    deep = data.replace(b'"body":{', b'"body":{"x":' + b"[" * 5000 + b"]" * 5000 + b",", 1)
    assert same(deep) == ("refused", "json.too_deep")


def _signed_over_raw_body(raw_body: bytes) -> bytes:
    """Canonical envelope bytes around ``raw_body``, with its body_hash and a valid
    signature over the header: only the subset's check can refuse it."""
    header = {k: v for k, v in BASES[2].items() if k not in ("body", "sig", "body_hash")}
    header["body_hash"] = sha256_id(raw_body)
    header["sig"] = b64encode(KEY.sign(encode(header)).signature)
    placeholder = {**header, "body": {"text": "PLACE"}}
    return encode(placeholder).replace(b'{"text":"PLACE"}', raw_body)


@pytest.mark.parametrize("digits", [17, 4300, 4301, 60_000])
@pytest.mark.parametrize("minus", ["", "-"])
def test_an_integer_of_any_length_is_int_range_on_both_paths(digits: int, minus: str) -> None:
    number = (minus + "9" * digits).encode()
    in_body = _signed_over_raw_body(b'{"text":' + number + b"}")
    in_list = _signed_over_raw_body(b'{"text":"x","thread":[' + number + b"]}")
    in_header = encode(BASES[0]).replace(b'"seq":5,', b'"seq":' + number + b",")
    assert b'"seq":5,' in encode(BASES[0])
    for data in (in_body, in_list, in_header):
        assert same(data) == ("refused", "json.int_range")
