"""Bodies that are not envelopes (protocol.bodies): the grammar is the body's, the
integers are the subset's, and each carried envelope is the exact bytes it spans."""

from __future__ import annotations

import msgspec
import pytest

from protocol import ErrorCode, RemoteProtocolError
from protocol.bodies import Int, decode, decode_batch


class Page(msgspec.Struct, forbid_unknown_fields=True):
    envelopes: list[msgspec.Raw]
    n: Int | None = None


PAGE = msgspec.json.Decoder(Page)


def code_of(data: bytes) -> ErrorCode:
    with pytest.raises(RemoteProtocolError) as info:
        decode_batch(PAGE, data)
    return info.value.code


@pytest.mark.parametrize(
    "number", ["9007199254740992", "-9007199254740992", "9" * 20, "9" * 4301, "-" + "9" * 100_000]
)
def test_an_integer_beyond_the_subset_is_int_range_at_any_length(number: str) -> None:
    assert code_of(b'{"envelopes":[],"n":%s}' % number.encode()) == ErrorCode.INT_RANGE
    assert decode(PAGE, b'{"envelopes":[],"n":-9007199254740991}').n == -9007199254740991


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"envelopes":[],"n":"7"}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":[],"n":1.0}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":[],"x":1}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":["\xff"]}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":[NaN]}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":[NaN,"\\ud800"]}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":["\\ud800"],"n":"\\ud800"}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":["\\ud800"],"n":99999999999999999}', ErrorCode.INT_RANGE),
        (b'{"envelopes":["\\ud800"],"envelopes":["\\ud800"]}', ErrorCode.REQUEST_MALFORMED),
        (b'{"envelopes":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}", ErrorCode.TOO_DEEP),
    ],
)
def test_a_fault_of_the_body_is_the_whole_bodys(body: bytes, code: ErrorCode) -> None:
    assert code_of(body) == code


@pytest.mark.parametrize(
    "elements",
    [
        [b'"\\ud800"'],
        [b'{"a":"\\udc00"}', b" 1 ", b'"\\ud83d\\ude00"', b'"\\\\ud800"', b'["\\\\\\udbff"]'],
        [b"[" * 100 + b'"\\ud800"' + b"]" * 100, b"null"],
        [b'"\\uD800"', b'"\\uDFFF"', b'{"\\ud800":"x"}'],
        [b'"\\u0000"', b'"\\ud800"', b'"\\u0000"'],
    ],
)
def test_each_envelope_is_the_bytes_it_spans(elements: list[bytes]) -> None:
    """Also where msgspec refuses a surrogate escape: the envelopes are cut from the body
    as received."""
    for body in (
        b'{"envelopes":[' + b",".join(elements) + b"]}",
        b'{ "n" : 1 ,\n "envelopes" : [ ' + b" ,\t".join(elements) + b" ] }",
    ):
        page, raws = decode_batch(PAGE, body)
        assert raws == [e.strip() for e in elements]
        assert len(page.envelopes) == len(elements)
