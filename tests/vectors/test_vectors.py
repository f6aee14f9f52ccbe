"""The conformance vectors hold for this implementation, and are what the generator writes."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import rfc8785
from nacl.signing import SigningKey, VerifyKey

from protocol import (
    Envelope,
    ErrorCode,
    FeedHead,
    Placement,
    RemoteProtocolError,
    b64decode,
    check_chain,
    dumps,
    envelope_id,
    equivocation,
    loads,
    node_id_of,
    open_envelope,
    parse_envelope,
    parsing,
    place,
    sha256_id,
    verify,
)
from protocol.canonical import encode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOC: dict[str, Any] = json.loads((HERE / "envelopes.json").read_bytes())
KEYS = {k["node_id"]: k for k in DOC["keys"]}

# Vectors this implementation does not meet yet. Strict: once the code is fixed the test
# fails, so the entry is removed rather than forgotten.
KNOWN_DEVIATIONS: dict[str, str] = {}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nst_vectors_generate", HERE / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _input(vector: dict[str, Any]) -> bytes:
    if "input" in vector:
        return str(vector["input"]).encode("utf-8")
    return base64.b64decode(vector["input_b64"])


def _open(text: str) -> tuple[Envelope, str]:
    return open_envelope(loads(text.encode("utf-8")))


def _by_name(section: list[dict[str, Any]]) -> Any:
    params = [
        pytest.param(
            v,
            id=v["name"],
            marks=[pytest.mark.xfail(reason=KNOWN_DEVIATIONS[v["name"]], strict=True)]
            if v["name"] in KNOWN_DEVIATIONS
            else [],
        )
        for v in section
    ]
    return pytest.mark.parametrize("vector", params)


def test_committed_files_are_what_the_generator_writes() -> None:
    for rel, data in _load_generator().build().items():
        assert (ROOT / rel).read_bytes() == data, (
            f"{rel} is stale: run .venv/bin/python tests/vectors/generate.py"
        )


def test_keys_derive_from_their_seeds() -> None:
    for key in DOC["keys"]:
        signing = SigningKey(bytes.fromhex(key["seed_hex"]))
        assert bytes(signing.verify_key).hex() == key["public_key_hex"]
        assert node_id_of(signing) == key["node_id"]


@_by_name(DOC["valid"])
def test_valid_vector_opens_with_its_id_hash_and_sig(vector: dict[str, Any]) -> None:
    data = vector["canonical"].encode("utf-8")
    obj = loads(data)
    assert obj == vector["envelope"]
    assert encode(obj) == data  # canonical bytes are a fixed point
    assert rfc8785.dumps(obj) == data  # and an independent JCS implementation agrees

    env, env_id = open_envelope(obj)
    assert (env_id, env.body_hash, env.sig) == (vector["id"], vector["body_hash"], vector["sig"])
    assert env.kind == vector["kind"]
    assert env.to_bytes() == data

    signed = encode({k: v for k, v in obj.items() if k not in ("sig", "body")})
    header = encode({k: v for k, v in obj.items() if k != "body"})
    assert signed == vector["signed"].encode("utf-8")
    assert header == vector["header"].encode("utf-8")
    assert sha256_id(header) == vector["id"]
    # Checked again here with the raw public key, independently of open_envelope.
    public = bytes.fromhex(KEYS[obj["author"]]["public_key_hex"])
    VerifyKey(public).verify(signed, b64decode(vector["sig"]))
    if "body" in obj:
        body = encode(obj["body"])
        assert body == vector["body"].encode("utf-8")
        assert sha256_id(body) == vector["body_hash"]
    else:
        assert "body" not in vector


# The fast path's native half as installed (compiled where a C compiler is) and its
# Python reference, which serves where none is.
SPLITS = pytest.mark.parametrize(
    "split", [parsing._split, parsing._split_py], ids=["installed", "python"]
)


@SPLITS
@_by_name(DOC["valid"])
def test_valid_vector_parses_from_its_bytes_to_the_same_envelope(
    vector: dict[str, Any], split: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """parse_envelope, the receive path from bytes, gives the same envelope and bytes."""
    monkeypatch.setattr(parsing, "_split", split)
    data = vector["canonical"].encode("utf-8")
    env = parse_envelope(data)
    verify(env)
    assert envelope_id(env) == vector["id"]
    assert env == open_envelope(loads(data))[0]
    assert env.header_bytes == vector["header"].encode("utf-8")
    assert env.signed_bytes() == vector["signed"].encode("utf-8")
    assert env.sig_bytes == b64decode(vector["sig"])
    body = vector.get("body")
    assert env.body_bytes == (None if body is None else body.encode("utf-8"))


def test_retracted_vector_keeps_the_header_of_its_original() -> None:
    valid = {v["name"]: v for v in DOC["valid"]}
    original, retracted = valid["message.retracted"], valid["retracted"]
    assert retracted["header"] == original["header"]
    assert retracted["id"] == original["id"]
    assert retracted["envelope"] == {k: v for k, v in original["envelope"].items() if k != "body"}


def test_key_rotation_proof_is_the_new_keys_signature() -> None:
    (rotate,) = (v for v in DOC["valid"] if v["kind"] == "key.rotate")
    body = rotate["envelope"]["body"]
    assert loads(rotate["proof_input"].encode()) == {
        "new": body["new_key"],
        "old": rotate["envelope"]["author"],
    }
    public = bytes.fromhex(KEYS[body["new_key"]]["public_key_hex"])
    VerifyKey(public).verify(rotate["proof_input"].encode(), b64decode(body["proof"]))


def test_nomination_commitment_hashes_nominee_and_salt() -> None:
    valid = {v["name"]: v for v in DOC["valid"]}
    nominate, reveal = valid["selection.nominate"], valid["selection.reveal"]
    revealed = reveal["envelope"]["body"]
    assert nominate["commitment_input"] == encode(
        {"nominee": revealed["nominee"], "salt": revealed["salt"]}
    ).decode("utf-8")
    assert (
        sha256_id(nominate["commitment_input"].encode())
        == (nominate["envelope"]["body"]["commitment"])
    )


@_by_name(DOC["invalid"])
def test_invalid_vector_is_refused_with_its_code(vector: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        open_envelope(loads(_input(vector)))
    assert info.value.code == vector["error"], info.value.message


@SPLITS
@_by_name(DOC["invalid"])
def test_invalid_vector_is_refused_from_its_bytes_with_its_code(
    vector: dict[str, Any], split: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsing, "_split", split)
    with pytest.raises(RemoteProtocolError) as info:
        verify(parse_envelope(_input(vector)))
    assert info.value.code == vector["error"], info.value.message


@_by_name(DOC["canonical"])
def test_canonical_vector(vector: dict[str, Any]) -> None:
    data = _input(vector)
    if "error" in vector:
        with pytest.raises(RemoteProtocolError) as info:
            loads(data)
        assert info.value.code == vector["error"], info.value.message
    else:
        expected = vector["canonical"].encode("utf-8")
        assert dumps(loads(data)) == expected
        assert rfc8785.dumps(json.loads(data)) == expected


def test_every_error_code_has_a_vector() -> None:
    feeds = DOC["feeds"]
    raised = {v["error"] for v in DOC["invalid"]}
    raised |= {c["error"] for c in feeds["chains"] if c["error"]}
    raised |= {s["error"] for r in feeds["receive"] for s in r["steps"] if "error" in s}
    placed = {s["placement"] for r in feeds["receive"] for s in r["steps"] if "placement" in s}
    assert Placement.EQUIVOCATION in placed  # equivocation is a placement, not a refusal
    # Codes that depend on a receiver's state (authority, requests, links) are covered by
    # the federation tests; every code a single envelope or feed can earn has a vector.
    envelope_level = ("json.", "envelope.", "schema.", "sig.", "feed.")
    codes = {c.value for c in ErrorCode if c.value.startswith(envelope_level)}
    # A rotation's proof is a kind rule (§6 step 7): tests/protocol/test_sealed.py.
    step_7 = {ErrorCode.BAD_ROTATION_PROOF.value}
    assert codes - {ErrorCode.FEED_EQUIVOCATION.value} - step_7 == raised


def test_feed_section_names_three_chained_valid_vectors() -> None:
    feed = DOC["feeds"]["feed"]
    valid = {v["name"]: v for v in DOC["valid"]}
    opened = [_open(valid[name]["canonical"]) for name in feed["envelopes"]]
    assert len(opened) == 3
    assert {(e.author, e.scope) for e, _ in opened} == {(feed["author"], feed["scope"])}
    check_chain(opened)


@_by_name(DOC["feeds"]["chains"])
def test_chain_vector(vector: dict[str, Any]) -> None:
    envelopes = [_open(text) for text in vector["envelopes"]]
    if vector["error"] is None:
        check_chain(envelopes)
    else:
        with pytest.raises(RemoteProtocolError) as info:
            check_chain(envelopes)
        assert info.value.code == vector["error"]


class Receiver:
    """The reference receiver of PROTOCOL.md §7 for one feed: place, store, freeze."""

    def __init__(self) -> None:
        self.held: dict[int, tuple[Envelope, str]] = {}
        self.head: FeedHead | None = None
        self.frozen = False

    def receive(self, env: Envelope, env_id: str) -> str:
        if self.frozen:
            return ErrorCode.FEED_FROZEN.value
        held = self.held.get(env.seq)
        try:
            placement = place(env, env_id, self.head, held[1] if held else None)
        except RemoteProtocolError as exc:
            return exc.code.value
        if placement is Placement.APPEND:
            self.held[env.seq] = (env, env_id)
            self.head = FeedHead(env.seq, env_id)
        elif placement is Placement.EQUIVOCATION:
            assert held is not None
            assert equivocation(held, (env, env_id))
            self.frozen = True
        return placement.value


@_by_name(DOC["feeds"]["receive"])
def test_receive_vector(vector: dict[str, Any]) -> None:
    receiver = Receiver()
    for number, step in enumerate(vector["steps"], 1):
        expected = step.get("placement") or step["error"]
        assert receiver.receive(*_open(step["envelope"])) == expected, f"step {number}"
