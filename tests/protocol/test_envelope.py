"""Envelopes: RFC 8032 keys through our path, change-one-byte rejection, structure, size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from nacl.signing import SigningKey

from protocol import (
    MAX_OBJECT_BYTES,
    Draft,
    Envelope,
    b64decode,
    b64encode,
    decode_envelope,
    dumps,
    envelope_id,
    format_ts,
    loads,
    node_id_of,
    open_envelope,
    sha256_id,
    sign,
    verify,
    verify_key_of,
)
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.signing import sign_json

TS = "2026-11-22T10:00:00Z"
Obj = dict[str, Any]


def code_of(obj: Any) -> ErrorCode:
    """The code with which the receive path (parse, decode, verify) rejects ``obj``."""
    with pytest.raises(RemoteProtocolError) as info:
        open_envelope(loads(dumps(obj)))
    return info.value.code


def tweak(text: str, at: int | None = None) -> str:
    """``text`` with one base64url character changed (the middle one unless told)."""
    at = len(text) // 2 if at is None else at
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1 :]


def flip_bit(sig: str, bit: int) -> str:
    raw = bytearray(b64decode(sig))
    raw[bit // 8] ^= 1 << (bit % 8)
    return b64encode(bytes(raw))


# --- RFC 8032 §7.1 ------------------------------------------------------------------------

RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
        "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da08"
        "5ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18"
        "ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032, ids=["1", "2", "3"])
def test_rfc8032_vector_through_our_path(
    seed: str, public: str, message: str, signature: str, scope: str
) -> None:
    key = SigningKey(bytes.fromhex(seed))
    node = node_id_of(key)
    assert node == "ed25519:" + b64encode(bytes.fromhex(public))
    assert key.sign(bytes.fromhex(message)).signature.hex() == signature
    verify_key_of(node).verify(bytes.fromhex(message), bytes.fromhex(signature))

    env = sign(Draft("message", scope, 1, None, {"text": "rfc 8032"}, TS), key)
    opened, env_id = open_envelope(loads(env.to_bytes()))
    assert opened.author == node
    assert env_id == envelope_id(env)
    for bit in (0, 255, 256, 511):
        assert code_of({**env.to_json(), "sig": flip_bit(env.sig, bit)}) == ErrorCode.BAD_SIGNATURE


# --- a valid envelope, and its id ----------------------------------------------------------


def test_rich_envelope_round_trips(rich: Envelope, node_a: str, refs: tuple[str, str]) -> None:
    assert (rich.actor, rich.seq, rich.refs) == (f"alice@{node_a}", 2, refs)
    data = rich.to_bytes()
    assert data == dumps(rich.to_json())
    opened, env_id = open_envelope(loads(data))
    assert opened == rich
    assert opened.to_bytes() == data
    header = {k: v for k, v in loads(data).items() if k != "body"}
    assert env_id == envelope_id(rich) == sha256_id(dumps(header))
    assert rich.body_hash == sha256_id(dumps(rich.body))


def test_envelope_built_by_hand_verifies_and_has_the_same_id(rich: Envelope) -> None:
    fields = rich.to_json()
    fields["refs"] = tuple(fields["refs"])
    by_hand = Envelope(**fields)
    verify(by_hand)
    assert envelope_id(by_hand) == envelope_id(rich)
    assert by_hand == rich


# --- change one thing, expect the exact rejection ------------------------------------------

Mutation = Callable[[Obj, Obj], None]


def _set(field: str, value: Any) -> Mutation:
    return lambda env, _: env.__setitem__(field, value)


def _with(fn: Callable[[Any], Any], field: str) -> Mutation:
    return lambda env, _: env.__setitem__(field, fn(env[field]))


def _other_author(env: Obj, ctx: Obj) -> None:
    env["author"] = ctx["node_b"]
    env["actor"] = f"alice@{ctx['node_b']}"


def _rebody(env: Obj, _: Obj) -> None:
    env["body"] = {**env["body"], "text": "hellp"}
    env["body_hash"] = sha256_id(dumps(env["body"]))


# (name, mutation, code with the body present, code once retracted)
FIELD_MUTATIONS: list[tuple[str, Mutation, ErrorCode, ErrorCode]] = [
    ("v 1->2", _set("v", 2), ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_VERSION),
    ("v 1->0", _set("v", 0), ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_VERSION),
    ("v string", _set("v", "1"), ErrorCode.BAD_FIELD, ErrorCode.BAD_FIELD),
    ("v bool", _set("v", True), ErrorCode.BAD_FIELD, ErrorCode.BAD_FIELD),
    ("kind other", _set("kind", "retract"), ErrorCode.BODY_UNKNOWN_FIELD, ErrorCode.BAD_SIGNATURE),
    ("kind unknown", _set("kind", "messages"), ErrorCode.UNKNOWN_KIND, ErrorCode.UNKNOWN_KIND),
    ("kind type", _set("kind", ["message"]), ErrorCode.BAD_FIELD, ErrorCode.BAD_FIELD),
    ("author other", _other_author, ErrorCode.BAD_SIGNATURE, ErrorCode.BAD_SIGNATURE),
    ("author alone", lambda e, c: e.update(author=c["node_b"]), *[ErrorCode.BAD_ACTOR] * 2),
    ("author bad", _with(lambda a: a[:-1], "author"), *[ErrorCode.BAD_NODE_ID] * 2),
    ("author type", _set("author", ["x"]), *[ErrorCode.BAD_NODE_ID] * 2),
    ("actor handle", _with(lambda a: "alicf" + a[5:], "actor"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("actor null", _set("actor", None), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("actor node", lambda e, c: e.update(actor=f"alice@{c['node_b']}"), *[ErrorCode.BAD_ACTOR] * 2),
    ("actor form", _with(lambda a: "Alice" + a[5:], "actor"), *[ErrorCode.BAD_ACTOR] * 2),
    (
        "scope name",
        _with(lambda s: s.replace("general", "generak"), "scope"),
        *[ErrorCode.BAD_SIGNATURE] * 2,
    ),
    (
        "scope direct",
        lambda e, c: e.update(scope=f"direct:{c['node_b']}"),
        *[ErrorCode.BAD_SIGNATURE] * 2,
    ),
    ("scope form", _set("scope", "general"), *[ErrorCode.BAD_SCOPE] * 2),
    ("seq 2->3", _set("seq", 3), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("seq 2->1", _set("seq", 1), *[ErrorCode.BAD_SEQ] * 2),
    ("seq 0", _set("seq", 0), *[ErrorCode.BAD_SEQ] * 2),
    ("seq -2", _set("seq", -2), *[ErrorCode.BAD_SEQ] * 2),
    ("seq string", _set("seq", "2"), *[ErrorCode.BAD_SEQ] * 2),
    ("seq bool", _set("seq", True), *[ErrorCode.BAD_SEQ] * 2),
    ("prev char", _with(tweak, "prev"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("prev null", _set("prev", None), *[ErrorCode.BAD_SEQ] * 2),
    ("prev form", _with(lambda p: p[:-1], "prev"), *[ErrorCode.BAD_SEQ] * 2),
    ("refs char", _with(lambda r: [tweak(r[0]), r[1]], "refs"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("refs order", _with(lambda r: r[::-1], "refs"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("refs fewer", _with(lambda r: r[:1], "refs"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("refs more", _with(lambda r: [*r, sha256_id(b"3")], "refs"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("refs repeat", _with(lambda r: [r[0], r[0]], "refs"), *[ErrorCode.BAD_REFS] * 2),
    ("refs form", _with(lambda r: [r[0], r[1][:-1]], "refs"), *[ErrorCode.BAD_REFS] * 2),
    ("refs type", _with(lambda r: r[0], "refs"), *[ErrorCode.BAD_REFS] * 2),
    ("ts second", _set("ts", "2026-11-22T10:00:01Z"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("ts fraction", _set("ts", "2026-11-22T10:00:00.0Z"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("ts date", _set("ts", "2026-02-30T00:00:00Z"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("ts hour", _set("ts", "2026-11-22T24:00:00Z"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("ts offset", _set("ts", "2026-11-22T10:00:00+00:00"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("ts space", _set("ts", "2026-11-22 10:00:00Z"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("ts digits", _set("ts", "2026-11-22T10:00:00.1234567Z"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("ts number", _set("ts", 1795000000), *[ErrorCode.BAD_TIMESTAMP] * 2),
    # A final line feed, which "$" in a Python regex lets through.
    ("author newline", _with(lambda x: x + "\n", "author"), *[ErrorCode.BAD_NODE_ID] * 2),
    ("actor newline", _with(lambda x: x + "\n", "actor"), *[ErrorCode.BAD_ACTOR] * 2),
    ("scope newline", _with(lambda x: x + "\n", "scope"), *[ErrorCode.BAD_SCOPE] * 2),
    ("prev newline", _with(lambda x: x + "\n", "prev"), *[ErrorCode.BAD_SEQ] * 2),
    ("refs newline", _with(lambda r: [r[0] + "\n"], "refs"), *[ErrorCode.BAD_REFS] * 2),
    ("ts newline", _with(lambda x: x + "\n", "ts"), *[ErrorCode.BAD_TIMESTAMP] * 2),
    ("body_hash newline", _with(lambda x: x + "\n", "body_hash"), *[ErrorCode.BAD_HASH] * 2),
    ("sig newline", _with(lambda x: x + "\n", "sig"), *[ErrorCode.BAD_FIELD] * 2),
    (
        "body_hash char",
        _with(tweak, "body_hash"),
        ErrorCode.BODY_HASH_MISMATCH,
        ErrorCode.BAD_SIGNATURE,
    ),
    ("body_hash form", _with(lambda h: h[:-1], "body_hash"), *[ErrorCode.BAD_HASH] * 2),
    ("body and hash", _rebody, ErrorCode.BAD_SIGNATURE, ErrorCode.BAD_SIGNATURE),
    ("sig char", _with(tweak, "sig"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("sig first", _with(lambda s: tweak(s, 0), "sig"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("sig bit", _with(lambda s: flip_bit(s, 300), "sig"), *[ErrorCode.BAD_SIGNATURE] * 2),
    ("sig unused bits", _with(lambda s: s[:-1] + "B", "sig"), *[ErrorCode.BAD_FIELD] * 2),
    ("sig short", _with(lambda s: s[:-2], "sig"), *[ErrorCode.BAD_FIELD] * 2),
    ("sig type", _set("sig", None), *[ErrorCode.BAD_FIELD] * 2),
]


@pytest.fixture
def ctx(node_b: str) -> Obj:
    return {"node_b": node_b}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [(m, c) for _, m, c, _ in FIELD_MUTATIONS],
    ids=[name for name, *_ in FIELD_MUTATIONS],
)
def test_changing_one_field_is_rejected(
    rich: Envelope, ctx: Obj, mutate: Mutation, code: ErrorCode
) -> None:
    env = loads(rich.to_bytes())
    mutate(env, ctx)
    assert dumps(env) != rich.to_bytes()
    assert code_of(env) == code


@pytest.mark.parametrize(
    ("mutate", "code"),
    [(m, c) for _, m, _, c in FIELD_MUTATIONS],
    ids=[name for name, *_ in FIELD_MUTATIONS],
)
def test_changing_one_field_of_a_retracted_envelope_is_rejected(
    rich: Envelope, ctx: Obj, mutate: Mutation, code: ErrorCode
) -> None:
    env = loads(rich.to_bytes())
    mutate(env, ctx)
    del env["body"]
    assert code_of(env) == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "hellp", "purpose": "question"}, ErrorCode.BODY_HASH_MISMATCH),
        ({"text": "hello", "purpose": "chat"}, ErrorCode.BODY_HASH_MISMATCH),
        ({"text": "hello"}, ErrorCode.BODY_HASH_MISMATCH),
        ({"text": "hello", "purpose": "question", "thread": None}, ErrorCode.BODY_HASH_MISMATCH),
        ({}, ErrorCode.BODY_INVALID),
        ({"text": "hello", "purpose": "question", "x": 1}, ErrorCode.BODY_UNKNOWN_FIELD),
        ([], ErrorCode.BAD_FIELD),
        ("hello", ErrorCode.BAD_FIELD),
        (None, ErrorCode.BAD_FIELD),
    ],
)
def test_changing_the_body_is_rejected(rich: Envelope, body: Any, code: ErrorCode) -> None:
    assert code_of({**rich.to_json(), "body": body}) == code


def test_flipping_any_bit_of_the_bytes_never_keeps_the_id(rich: Envelope) -> None:
    data = rich.to_bytes()
    original = envelope_id(rich)
    accepted = 0
    for at in range(len(data)):
        for bit in range(8):
            mutant = bytearray(data)
            mutant[at] ^= 1 << bit
            try:
                _, env_id = open_envelope(loads(bytes(mutant)))
            except RemoteProtocolError:
                continue
            accepted += 1
            assert env_id != original, (at, bit)
    assert accepted == 0


# --- structure ---------------------------------------------------------------------------


@pytest.mark.parametrize("obj", [[], "envelope", None, 1, True, [{"v": 1}]])
def test_not_an_object(obj: Any) -> None:
    assert code_of(obj) == ErrorCode.NOT_OBJECT


def test_every_required_field_is_required(rich: Envelope) -> None:
    for field in rich.header():
        env = rich.to_json()
        del env[field]
        assert code_of(env) == ErrorCode.MISSING_FIELD, field


@pytest.mark.parametrize("extra", ["id", "Body", "extra", ""])
def test_unknown_fields_are_refused(rich: Envelope, extra: str) -> None:
    assert code_of({**rich.to_json(), extra: None}) == ErrorCode.UNKNOWN_FIELD
    missing_and_unknown = {**rich.to_json(), extra: None}
    del missing_and_unknown["ts"]
    assert code_of(missing_and_unknown) == ErrorCode.MISSING_FIELD


def test_seq_one_with_prev_set(chain: list[tuple[Envelope, str]]) -> None:
    env = chain[0][0].to_json()
    assert code_of({**env, "prev": chain[1][1]}) == ErrorCode.BAD_SEQ
    assert code_of({**chain[1][0].to_json(), "prev": None}) == ErrorCode.BAD_SEQ


def test_refs_limit(signed: Any, rich: Envelope) -> None:
    many = tuple(sha256_id(str(i).encode()) for i in range(257))
    env, _ = signed(2, rich.prev, refs=many[:256])
    open_envelope(loads(env.to_bytes()))
    assert code_of({**env.to_json(), "refs": list(many)}) == ErrorCode.BAD_REFS


@pytest.mark.parametrize("ts", ["2026-11-22T10:00:00.5Z", "2026-11-22T10:00:00.123456Z"])
def test_fractional_seconds_are_accepted(signed: Any, ts: str) -> None:
    env, env_id = signed(ts=ts)
    assert open_envelope(loads(env.to_bytes()))[1] == env_id


def _message_of_size(signed: Any, size: int) -> Envelope:
    """A signed message whose canonical bytes are exactly ``size`` long."""
    emoji = "\U0001f602"  # 4 bytes in UTF-8, 1 character in the schema's length
    base = len(signed(body={"text": ""})[0].to_bytes())
    n, pad = divmod(size - base, 4)
    env, _ = signed(body={"text": emoji * n + "a" * pad})
    assert len(env.to_bytes()) == size
    return env


def test_envelope_size_limit_is_exactly_its_canonical_length(signed: Any) -> None:
    env = _message_of_size(signed, MAX_OBJECT_BYTES)
    opened, _ = open_envelope(loads(env.to_bytes()))
    assert opened == env

    bigger = env.to_json()
    bigger["body"] = {"text": bigger["body"]["text"] + "a"}
    assert len(dumps(bigger)) == MAX_OBJECT_BYTES + 1
    with pytest.raises(RemoteProtocolError) as info:
        decode_envelope(bigger)
    assert info.value.code == ErrorCode.TOO_LARGE
    assert code_of(bigger) == ErrorCode.TOO_LARGE  # refused by the parser already
    with pytest.raises(LocalProtocolError):
        signed(body=bigger["body"])


# --- retraction -----------------------------------------------------------------------------


def test_retracted_envelope_keeps_its_header_signature_and_id(rich: Envelope) -> None:
    retracted = rich.without_body()
    assert retracted.body is None
    assert "body" not in retracted.to_json()
    assert retracted.to_json() == rich.header()
    opened, env_id = open_envelope(retracted.to_json())
    assert env_id == envelope_id(rich)
    assert opened.body is None
    assert open_envelope(loads(retracted.to_bytes()))[1] == env_id
    assert rich.body is not None  # the original is untouched


# --- signing ----------------------------------------------------------------------------------


def _draft(scope: str, /, **changes: Any) -> Obj:
    draft: Obj = {
        "v": 1,
        "kind": "message",
        "actor": None,
        "scope": scope,
        "seq": 1,
        "prev": None,
        "refs": [],
        "ts": TS,
        "body": {"text": "hi"},
    }
    draft.update(changes)
    return draft


BAD_DRAFTS: list[tuple[Obj, ErrorCode]] = [
    ({"body": {"text": 1.5}}, ErrorCode.FLOAT),
    ({"body": {"text": "\ud800"}}, ErrorCode.LONE_SURROGATE),
    ({"body": {"text": "hi", "box": "abc"}}, ErrorCode.BODY_INVALID),
    ({"body": {"title": "hi"}}, ErrorCode.BODY_UNKNOWN_FIELD),
    ({"body": ["hi"]}, ErrorCode.BAD_FIELD),
    ({"kind": "nope"}, ErrorCode.UNKNOWN_KIND),
    ({"scope": "general"}, ErrorCode.BAD_SCOPE),
    ({"seq": 0}, ErrorCode.BAD_SEQ),
    ({"seq": 2}, ErrorCode.BAD_SEQ),
    ({"ts": "yesterday"}, ErrorCode.BAD_TIMESTAMP),
    ({"refs": ["x"]}, ErrorCode.BAD_REFS),
    ({"actor": "bob@somewhere"}, ErrorCode.BAD_ACTOR),
    ({"v": 3}, ErrorCode.UNSUPPORTED_VERSION),
]


@pytest.mark.parametrize(
    ("changes", "code"), [*BAD_DRAFTS, ({"colour": "red"}, ErrorCode.UNKNOWN_FIELD)]
)
def test_sign_json_rejects_a_bad_draft_with_its_code(
    key_a: SigningKey, scope: str, changes: Obj, code: ErrorCode
) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        sign_json(_draft(scope, **changes), key_a)
    assert info.value.code == code


@pytest.mark.parametrize("changes", [c for c, _ in BAD_DRAFTS])
def test_sign_treats_a_bad_draft_as_our_bug(key_a: SigningKey, scope: str, changes: Obj) -> None:
    draft = Draft(**_draft(scope, **changes))
    with pytest.raises(LocalProtocolError):
        sign(draft, key_a)


def test_sign_json_needs_every_header_field(key_a: SigningKey, scope: str) -> None:
    for field in ("v", "kind", "actor", "scope", "seq", "prev", "refs", "ts"):
        draft = _draft(scope)
        del draft[field]
        with pytest.raises(RemoteProtocolError) as info:
            sign_json(draft, key_a)
        assert info.value.code == ErrorCode.MISSING_FIELD, field


def test_sign_json_replaces_author_hash_and_sig(
    key_a: SigningKey, node_a: str, node_b: str, scope: str
) -> None:
    forged = _draft(scope, author=node_b, body_hash=sha256_id(b"x"), sig="A" * 86)
    env = sign_json(forged, key_a)
    assert env.author == node_a
    assert env.body_hash == sha256_id(dumps({"text": "hi"}))
    assert open_envelope(env.to_json())[0] == env
    assert env == sign(Draft("message", scope, 1, None, {"text": "hi"}, TS), key_a)


def test_format_ts() -> None:
    when = dt.datetime(2026, 11, 22, 11, 0, 0, 999999, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert format_ts(when) == TS
    with pytest.raises(LocalProtocolError):
        format_ts(dt.datetime(2026, 11, 22, 10, 0, 0))
