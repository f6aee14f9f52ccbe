"""Canonical JSON: RFC 8785 vectors, every rejection rule, and properties of the subset."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocol import MAX_DEPTH, MAX_INT, MAX_OBJECT_BYTES, dumps, loads
from protocol.canonical import _strict_loads, check, encode
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError


def _jcs_dir() -> Path:
    shared = os.environ.get("NST_SHARED_DIR")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3] / "shared"
    return root / "vectors" / "jcs"


JCS = _jcs_dir()
needs_jcs = pytest.mark.skipif(
    not JCS.is_dir(), reason=f"RFC 8785 vectors not found at {JCS} (set NST_SHARED_DIR)"
)


def code_of(data: bytes, **limits: int) -> ErrorCode:
    with pytest.raises(RemoteProtocolError) as info:
        loads(data, **limits)
    return info.value.code


# --- RFC 8785 vectors --------------------------------------------------------------------


@needs_jcs
@pytest.mark.parametrize("name", ["arrays", "unicode"])
def test_jcs_vector_inside_subset_canonicalizes_byte_for_byte(name: str) -> None:
    source = (JCS / "input" / f"{name}.json").read_bytes()
    expected = (JCS / "output" / f"{name}.json").read_bytes()
    assert encode(loads(source)) == expected
    assert dumps(loads(source)) == expected


@needs_jcs
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("french", ErrorCode.NON_ASCII_KEY),
        ("weird", ErrorCode.NON_ASCII_KEY),
        ("structures", ErrorCode.FLOAT),
        ("values", ErrorCode.FLOAT),
    ],
)
def test_jcs_vector_outside_subset_is_rejected(name: str, code: ErrorCode) -> None:
    assert code_of((JCS / "input" / f"{name}.json").read_bytes()) == code


def test_canonical_escaping_matches_rfc_8785() -> None:
    value = {"z": '\x00\x08\t\n\x0c\r\x1f\x7f"\\/</script>\u2028é😂', "a": [True, False, None]}
    expected = (
        '{"a":[true,false,null],"z":"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f\\"\\\\/</script>\u2028é😂"}'
    ).encode()
    assert dumps(value) == expected
    assert rfc8785.dumps(value) == expected


# --- rejections, each with its exact code -------------------------------------------------

REJECTED = [
    # duplicate keys, also nested, also hidden behind escapes or colons in strings
    (b'{"a":1,"a":1}', ErrorCode.DUPLICATE_KEY),
    (b'{"a":1,"b":2,"a":3}', ErrorCode.DUPLICATE_KEY),
    (b'{"x":{"a":1,"a":2}}', ErrorCode.DUPLICATE_KEY),
    (b'[0,{"x":[{"b":true,"b":false}]}]', ErrorCode.DUPLICATE_KEY),
    (b'{"a":"x","a":"\\u003a"}', ErrorCode.DUPLICATE_KEY),
    (b'{"a":"b:c","a":"d"}', ErrorCode.DUPLICATE_KEY),
    (b'{"a":"d","a":"b:c"}', ErrorCode.DUPLICATE_KEY),
    (b'{"\\u0061":1,"a":2}', ErrorCode.DUPLICATE_KEY),
    (b'{"a:":1,"a:":1}', ErrorCode.DUPLICATE_KEY),
    # floats in every spelling
    (b"1.0", ErrorCode.FLOAT),
    (b"1e5", ErrorCode.FLOAT),
    (b"1E5", ErrorCode.FLOAT),
    (b"1e0", ErrorCode.FLOAT),
    (b"-0.0", ErrorCode.FLOAT),
    (b"1E400", ErrorCode.FLOAT),
    (b"-1E400", ErrorCode.FLOAT),
    (b'{"n":[0.5]}', ErrorCode.FLOAT),
    # non-finite constants
    (b"NaN", ErrorCode.NON_FINITE),
    (b"Infinity", ErrorCode.NON_FINITE),
    (b"-Infinity", ErrorCode.NON_FINITE),
    (b"[1,NaN]", ErrorCode.NON_FINITE),
    # integers beyond ±(2^53-1)
    (b"9007199254740992", ErrorCode.INT_RANGE),
    (b"-9007199254740992", ErrorCode.INT_RANGE),
    (b"18446744073709551616", ErrorCode.INT_RANGE),
    (b'{"n":[99999999999999999999999999]}', ErrorCode.INT_RANGE),
    # non-ASCII keys, raw and escaped; a lone surrogate in a key is non-ASCII first
    ('{"é":1}'.encode(), ErrorCode.NON_ASCII_KEY),
    (b'{"\\u00e9":1}', ErrorCode.NON_ASCII_KEY),
    (b'{"\\u007f":1,"\\u0080":2}', ErrorCode.NON_ASCII_KEY),
    (b'[{"ok":{"\\ud83d\\ude02":1}}]', ErrorCode.NON_ASCII_KEY),
    (b'{"\\ud800":1}', ErrorCode.NON_ASCII_KEY),
    (b'{"\\udc00":1}', ErrorCode.NON_ASCII_KEY),
    # lone surrogates in values
    (b'"\\ud800"', ErrorCode.LONE_SURROGATE),
    (b'"\\udbff"', ErrorCode.LONE_SURROGATE),
    (b'"\\udc00"', ErrorCode.LONE_SURROGATE),
    (b'"\\udfff"', ErrorCode.LONE_SURROGATE),
    (b'{"a":"x\\ud83dy"}', ErrorCode.LONE_SURROGATE),
    (b'["\\ude02\\ud83d"]', ErrorCode.LONE_SURROGATE),
    (b'{"a":["\\ud83d"]}', ErrorCode.LONE_SURROGATE),
    # invalid UTF-8
    (b'"\xff"', ErrorCode.INVALID_UTF8),
    (b'"\x80"', ErrorCode.INVALID_UTF8),
    (b'"\xc3"', ErrorCode.INVALID_UTF8),
    (b'"\xc0\xaf"', ErrorCode.INVALID_UTF8),  # overlong "/"
    (b'"\xe0\x80\xaf"', ErrorCode.INVALID_UTF8),  # overlong "/", three bytes
    (b'"\xed\xa0\x80"', ErrorCode.INVALID_UTF8),  # UTF-8-encoded surrogate U+D800
    (b'"\xf4\x90\x80\x80"', ErrorCode.INVALID_UTF8),  # beyond U+10FFFF
    (b'{"\xff":1}', ErrorCode.INVALID_UTF8),
    # syntax
    (b"[1,]", ErrorCode.SYNTAX),
    (b'{"a":1,}', ErrorCode.SYNTAX),
    (b"{'a':1}", ErrorCode.SYNTAX),
    (b"\xef\xbb\xbf{}", ErrorCode.SYNTAX),  # BOM
    (b"", ErrorCode.SYNTAX),
    (b" ", ErrorCode.SYNTAX),
    (b"01", ErrorCode.SYNTAX),
    (b"+1", ErrorCode.SYNTAX),
    (b'{"a":1} x', ErrorCode.SYNTAX),
    (b"{}{}", ErrorCode.SYNTAX),
    (b'"a\nb"', ErrorCode.SYNTAX),  # raw control character in a string
    (b'"\\x41"', ErrorCode.SYNTAX),
    (b"[1 2]", ErrorCode.SYNTAX),
    (b"{a:1}", ErrorCode.SYNTAX),
    (b"True", ErrorCode.SYNTAX),
    (b"/* c */ 1", ErrorCode.SYNTAX),
]


@pytest.mark.parametrize(("data", "code"), REJECTED, ids=[repr(d)[:40] for d, _ in REJECTED])
def test_outside_subset_is_rejected_with_its_code(data: bytes, code: ErrorCode) -> None:
    assert code_of(data) == code


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"9007199254740991", MAX_INT),
        (b"-9007199254740991", -MAX_INT),
        (b"-0", 0),
        (b'"\\ud83d\\ude02"', "😂"),
        (b'"\\u0000"', "\x00"),
        (b'{"a:b":"c:d","e":"\\u003a"}', {"a:b": "c:d", "e": ":"}),
        (b' \t\r\n{ "b" : [ ] , "a" : { } } \n', {"a": {}, "b": []}),
        (b'"\\/"', "/"),
        ('"é\u2028"'.encode(), "é\u2028"),
    ],
)
def test_edge_values_inside_subset_are_accepted(data: bytes, value: Any) -> None:
    assert loads(data) == value


def test_size_limit_is_exact() -> None:
    doc = b'"' + b"a" * 98 + b'"'
    assert loads(doc, max_bytes=100) == "a" * 98
    assert code_of(doc, max_bytes=99) == ErrorCode.TOO_LARGE
    big = b'"' + b"a" * (MAX_OBJECT_BYTES - 2) + b'"'
    assert len(loads(big)) == MAX_OBJECT_BYTES - 2
    assert code_of(big + b" ") == ErrorCode.TOO_LARGE


def _arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _objects(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def _mixed(depth: int) -> bytes:
    opens = [b'{"k":' if i % 2 else b"[" for i in range(depth - 1)]
    closes = [b"}" if i % 2 else b"]" for i in reversed(range(depth - 1))]
    return b"".join(opens) + b"[1]" + b"".join(closes)


@pytest.mark.parametrize("build", [_arrays, _objects, _mixed])
@pytest.mark.parametrize("limit", [1, 3, MAX_DEPTH])
def test_depth_limit_is_exact(build: Any, limit: int) -> None:
    loads(build(limit), max_depth=limit)
    assert code_of(build(limit + 1), max_depth=limit) == ErrorCode.TOO_DEEP


def test_default_depth_limit() -> None:
    loads(_mixed(MAX_DEPTH))
    assert code_of(_mixed(MAX_DEPTH + 1)) == ErrorCode.TOO_DEEP


def test_scalars_have_depth_zero() -> None:
    assert loads(b"7", max_depth=0) == 7
    assert code_of(b"[]", max_depth=0) == ErrorCode.TOO_DEEP


@pytest.mark.parametrize("doc", [_arrays(10_000), _objects(10_000), _mixed(10_000)])
def test_very_deep_nesting_within_size_is_too_deep_not_a_crash(doc: bytes) -> None:
    assert len(doc) <= MAX_OBJECT_BYTES
    assert code_of(doc) == ErrorCode.TOO_DEEP


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"a": 1.5}, ErrorCode.FLOAT),
        ([2**53], ErrorCode.INT_RANGE),
        ({"é": 1}, ErrorCode.NON_ASCII_KEY),
        (["\ud800"], ErrorCode.LONE_SURROGATE),
        ({"a": ["ok", "x\udc00"]}, ErrorCode.LONE_SURROGATE),
        ([(1, 2)], ErrorCode.SYNTAX),
        ({1: "x"}, ErrorCode.SYNTAX),
        (json.loads(_arrays(MAX_DEPTH + 1)), ErrorCode.TOO_DEEP),
    ],
)
def test_check_names_the_rule_a_parsed_value_breaks(value: Any, code: ErrorCode) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        check(value)
    assert info.value.code == code


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        {"a": [0.5]},
        float("nan"),
        {1, 2},
        {"s": {1}},
        "\ud800",
        {"a": "x\udfff"},
        2**60,
        [-(2**53)],
        {"é": 1},
        {1: "x"},
        b"bytes",
        json.loads(_arrays(MAX_DEPTH + 1)),
    ],
    ids=repr,
)
def test_dumps_refuses_values_outside_subset_as_our_bug(value: Any) -> None:
    with pytest.raises(LocalProtocolError):
        dumps(value)


# --- properties ---------------------------------------------------------------------------

ascii_keys = st.text(st.characters(max_codepoint=127), max_size=6)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ascii_keys, inner, max_size=4),
    max_leaves=25,
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def depth(v: Any) -> int:
    if isinstance(v, dict):
        return 1 + max(map(depth, v.values()), default=0)
    if isinstance(v, list):
        return 1 + max(map(depth, v), default=0)
    return 0


def same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types (Python alone has True == 1)."""
    return bool(a == b) and encode(a) == encode(b)


def shuffled(v: Any, rnd: random.Random) -> Any:
    if isinstance(v, dict):
        items = list(v.items())
        rnd.shuffle(items)
        return {k: shuffled(x, rnd) for k, x in items}
    if isinstance(v, list):
        return [shuffled(x, rnd) for x in v]
    return v


@PROPERTY
@given(values)
def test_round_trip_and_rfc8785_agree(v: Any) -> None:
    assume(depth(v) <= MAX_DEPTH)
    data = dumps(v)
    assert data == encode(v) == rfc8785.dumps(v)
    assert same(loads(data), v)


@PROPERTY
@given(values, st.randoms(use_true_random=False))
def test_encoding_ignores_key_order(v: Any, rnd: random.Random) -> None:
    assume(depth(v) <= MAX_DEPTH)
    assert dumps(shuffled(v, rnd)) == dumps(v)


@PROPERTY
@given(values, st.booleans())
def test_any_json_spelling_of_a_value_parses_to_it(v: Any, ascii_only: bool) -> None:
    assume(depth(v) <= MAX_DEPTH)
    text = json.dumps(v, ensure_ascii=ascii_only, indent=" \t", separators=(" ,\r", " : "))
    assert same(loads(text.encode()), v)


def _escaped(text: str) -> str:
    """A JSON string literal with every UTF-16 unit written as a \\u escape."""
    units = text.encode("utf-16-be")
    return '"' + "".join(f"\\u{units[i : i + 2].hex()}" for i in range(0, len(units), 2)) + '"'


def _object_text(pairs: list[tuple[str, Any]], escape: bool) -> str:
    """An object's JSON text that may repeat keys (which a dict cannot express)."""

    def spell(x: Any) -> str:
        return _escaped(x) if escape and isinstance(x, str) else json.dumps(x, ensure_ascii=False)

    return "{" + ",".join(f"{spell(k)}:{spell(x)}" for k, x in pairs) + "}"


documents = st.one_of(
    st.builds(lambda v, a: json.dumps(v, ensure_ascii=a).encode(), values, st.booleans()),
    st.builds(
        lambda pairs, a: _object_text(pairs, a).encode(),
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", ":", "a:b", "é"]),
                st.sampled_from([":", "x", "::"]) | values,
            ),
            max_size=4,
        ),
        st.booleans(),
    ),
)
INTERESTING = b'":,{}[]\\u0123456789.eE-+ \ttrnfalsNI\xff\xed\xa0\x80\xc3\xa9'


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    doc = bytearray(draw(documents))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(doc)))
        byte = draw(st.sampled_from(INTERESTING) | st.integers(0, 255))
        op = draw(st.sampled_from(["insert", "replace", "delete"]))
        if op == "insert" or at == len(doc):
            doc.insert(at, byte)
        elif op == "replace":
            doc[at] = byte
        else:
            del doc[at]
    return bytes(doc)


def outcome(parse: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse(data)
    except RemoteProtocolError as exc:
        return "rejected", exc.code


@settings(max_examples=600, deadline=None)
@given(st.one_of(documents, mutated()))
def test_fast_and_strict_paths_agree(data: bytes) -> None:
    fast = outcome(loads, data)
    strict = outcome(lambda d: _strict_loads(d, MAX_DEPTH), data)
    assert fast[0] == strict[0], (fast, strict)
    if fast[0] == "ok":
        assert same(fast[1], strict[1])
    else:
        assert fast[1] == strict[1]


# --- integers of any length ----------------------------------------------------------------


@pytest.mark.parametrize("digits", [17, 4300, 4301, 60_000])
@pytest.mark.parametrize("minus", ["", "-"])
@pytest.mark.parametrize("where", ["[{}]", '{{"a":[1,{},2]}}', "{}"])
def test_an_integer_of_any_length_is_int_range(digits: int, minus: str, where: str) -> None:
    """Python refuses to convert a decimal string of more than 4300 digits to an int: the
    subset's rule decides first, and its message does not grow with the number."""
    number = minus + "9" * digits
    doc = where.format(number).encode()
    with pytest.raises(RemoteProtocolError) as info:
        loads(doc)
    assert info.value.code == ErrorCode.INT_RANGE
    assert len(info.value.message) < 100
    assert code_of(doc, max_bytes=len(doc) - 1) == ErrorCode.TOO_LARGE


def test_a_long_number_with_a_fraction_is_a_float_with_a_short_message() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        loads(b"[" + b"1" * 5000 + b".5]")
    assert info.value.code == ErrorCode.FLOAT
    assert len(info.value.message) < 100
