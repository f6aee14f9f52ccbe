"""``nst proto`` through the real console entry point, as other tools script against it."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from node.keyfile import read_key
from protocol import (
    b64encode,
    circle_id,
    dumps,
    loads,
    node_id_of,
    open_envelope,
    sha256_id,
)

RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
# RFC 8032 §7.1 TEST 1: the seed and the public key it derives.
RFC8032_NODE = "ed25519:" + b64encode(
    bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
)


def nst(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "node", "proto", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=30,
        check=False,
    )


def ok(*args: str | Path, stdin: bytes = b"") -> bytes:
    result = nst(*args, stdin=stdin)
    assert (result.returncode, result.stderr) == (0, b"")
    return result.stdout


def fails(*args: str | Path, stdin: bytes = b"", code: str) -> str:
    result = nst(*args, stdin=stdin)
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().startswith(f"error: {code}"), result.stderr
    return result.stderr.decode()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "node.key"
    ok("keygen", "--out", path, "--seed-hex", RFC8032_SEED)
    return path


@pytest.fixture
def draft_file(tmp_path: Path) -> Path:
    path = tmp_path / "draft.json"
    draft = {
        "kind": "message",
        "scope": circle_id("general", RFC8032_NODE),
        "seq": 1,
        "body": {"text": "héllo"},
    }
    path.write_text(json.dumps(draft, indent=2))
    return path


@pytest.fixture
def envelope_file(tmp_path: Path, key_file: Path, draft_file: Path) -> Path:
    path = tmp_path / "envelope.json"
    path.write_bytes(ok("sign", "--key", key_file, draft_file))
    return path


DOC = b'{ "b": [1, "\\u00e9", -0],\n  "a": {"y": null, "x": true} }\n'
CANON = '{"a":{"x":true,"y":null},"b":[1,"é",0]}'.encode()


def test_canon_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(DOC)
    assert ok("canon", path) == CANON


def test_canon_of_stdin() -> None:
    assert ok("canon", "-", stdin=DOC) == CANON
    assert ok("canon", stdin=DOC) == CANON


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        (b'{"n": 1.5}', "json.float: "),
        (b'{"a": 1, "a": 2}', "json.duplicate_key: "),
        (b"[1,", "json.syntax: "),
        (b'"\xff"', "json.invalid_utf8: "),
    ],
)
def test_canon_refuses_input_outside_the_subset(doc: bytes, code: str) -> None:
    fails("canon", stdin=doc, code=code)


def test_canon_of_a_missing_file(tmp_path: Path) -> None:
    fails("canon", tmp_path / "absent.json", code="io: ")


def test_keygen_writes_a_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    out = ok("keygen", "--out", path).decode()
    assert re.fullmatch(r"ed25519:[A-Za-z0-9_-]{43}\n", out)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert node_id_of(read_key(path)) == out.strip()

    before = path.read_bytes()
    fails("keygen", "--out", path, code="key")
    assert path.read_bytes() == before


def test_keygen_from_a_seed_is_deterministic(tmp_path: Path, key_file: Path) -> None:
    again = tmp_path / "again.key"
    assert (
        ok("keygen", "--out", again, "--seed-hex", RFC8032_SEED) == (RFC8032_NODE + "\n").encode()
    )
    assert read_key(again).encode() == read_key(key_file).encode() == bytes.fromhex(RFC8032_SEED)
    assert node_id_of(SigningKey(bytes.fromhex(RFC8032_SEED))) == RFC8032_NODE


@pytest.mark.parametrize("seed", ["00", "zz" * 32, "00" * 33])
def test_keygen_refuses_a_bad_seed(tmp_path: Path, seed: str) -> None:
    fails("keygen", "--out", tmp_path / "k", "--seed-hex", seed, code="usage: ")
    assert not (tmp_path / "k").exists()


def test_keygen_into_a_missing_directory(tmp_path: Path) -> None:
    fails("keygen", "--out", tmp_path / "absent" / "node.key", code="key")


def test_sign_fills_the_envelope_and_verify_accepts_it(envelope_file: Path) -> None:
    data = envelope_file.read_bytes()
    assert data.endswith(b"}\n")
    env = loads(data[:-1])
    assert dumps(env) == data[:-1]  # printed in canonical form
    assert env["author"] == RFC8032_NODE
    assert (env["v"], env["actor"], env["prev"], env["refs"]) == (1, None, None, [])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", env["ts"])
    assert env["body"] == {"text": "héllo"}
    _, env_id = open_envelope(env)

    printed = ok("verify", envelope_file)
    assert printed == (env_id + "\n").encode()
    assert ok("verify", stdin=data) == printed
    assert ok("id", envelope_file) == printed


def test_sign_reads_stdin_and_keeps_given_header_fields(key_file: Path) -> None:
    draft = {
        "kind": "message",
        "scope": f"direct:{RFC8032_NODE}",
        "seq": 1,
        "ts": "2026-11-22T10:00:00Z",
        "actor": f"alice@{RFC8032_NODE}",
        "refs": [sha256_id(b"")],
        "body": {"box": "c2VhbGVk"},
    }
    env = loads(ok("sign", "--key", key_file, stdin=json.dumps(draft).encode())[:-1])
    assert {k: env[k] for k in draft} == draft
    open_envelope(env)


def test_verify_refuses_a_tampered_envelope(envelope_file: Path) -> None:
    env = loads(envelope_file.read_bytes())
    env["ts"] = "2020-01-01T00:00:00Z"
    fails("verify", stdin=dumps(env), code="sig.invalid: ")
    assert ok("id", stdin=dumps(env)) != ok("verify", envelope_file)  # id checks no signature

    env = loads(envelope_file.read_bytes())
    env["body"]["text"] = "hello"
    fails("verify", stdin=dumps(env), code="sig.body_hash_mismatch: ")


def test_sign_refuses_a_bad_body(key_file: Path, draft_file: Path) -> None:
    draft = json.loads(draft_file.read_text())
    draft["body"] = {"text": "hi", "box": "c2VhbGVk"}
    fails("sign", "--key", key_file, stdin=json.dumps(draft).encode(), code="schema.invalid: ")
    draft["body"] = {"title": "hi"}
    fails("sign", "--key", key_file, stdin=json.dumps(draft).encode(), code="schema.")


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (b"[]", "envelope.not_object: "),
        (b'{"kind": "message", "seq": 1.0}', "json.float: "),
        (b'{"kind": "message", "seq": 1, "body": {"text": "x"}}', "envelope.missing_field: "),
    ],
)
def test_sign_refuses_a_bad_draft(key_file: Path, draft: bytes, code: str) -> None:
    fails("sign", "--key", key_file, stdin=draft, code=code)


def test_sign_without_a_key_file(tmp_path: Path, draft_file: Path) -> None:
    fails("sign", "--key", tmp_path / "absent.key", draft_file, code="key")
    (tmp_path / "bad.key").write_text('{"type": "something else"}')
    fails("sign", "--key", tmp_path / "bad.key", draft_file, code="key")


def _signed(key_file: Path, seq: int, text: str, scope: str | None = None) -> bytes:
    draft = {
        "kind": "message",
        "scope": scope or circle_id("general", RFC8032_NODE),
        "seq": seq,
        "prev": None if seq == 1 else sha256_id(b"seq 1"),
        "ts": "2026-11-22T10:00:00Z",
        "body": {"text": text},
    }
    return ok("sign", "--key", key_file, stdin=json.dumps(draft).encode()).rstrip(b"\n")


def test_verify_equivocation_proves_two_envelopes_at_one_place(key_file: Path) -> None:
    one, two = _signed(key_file, 2, "one history"), _signed(key_file, 2, "another history")
    ids = [open_envelope(loads(e))[1] for e in (one, two)]
    printed = ok("verify", "--equivocation", stdin=b'{"equivocation":[' + one + b"," + two + b"]}")
    first, *rest = printed.decode().splitlines()
    scope = circle_id("general", RFC8032_NODE)
    assert first == f"proven equivocation: {RFC8032_NODE} signed two envelopes at seq 2 of {scope}"
    assert rest == ids
    assert ok("verify", "--equivocation", stdin=b"[" + two + b"," + one + b"]").splitlines()[
        1:
    ] == [i.encode() for i in reversed(ids)]


def test_verify_equivocation_refuses_what_proves_nothing(key_file: Path) -> None:
    one, two = _signed(key_file, 2, "one history"), _signed(key_file, 2, "another history")
    later = _signed(key_file, 3, "a later one")
    elsewhere = _signed(key_file, 2, "one history", scope=circle_id("ops", RFC8032_NODE))
    env = loads(two)
    env["body"]["text"] = "altered"
    cases = [
        (b"[" + one + b"]", "equivocation.not_pair"),
        (b"[" + one + b"," + two + b"," + later + b"]", "equivocation.not_pair"),
        (b'{"pair":[' + one + b"," + two + b"]}", "equivocation.not_pair"),
        (b"[" + one + b"," + one + b"]", "equivocation.same_envelope"),
        (b"[" + one + b"," + later + b"]", "equivocation.different_place"),
        (b"[" + one + b"," + elsewhere + b"]", "equivocation.different_place"),
        (b"[" + one + b"," + dumps(env) + b"]", "sig.body_hash_mismatch"),
    ]
    for evidence, code in cases:
        fails("verify", "--equivocation", stdin=evidence, code=code + ": ")


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 4301])
def test_a_long_integer_is_int_range_for_every_command(
    key_file: Path, draft_file: Path, envelope_file: Path, number: str
) -> None:
    envelope = envelope_file.read_bytes()
    assert b'"seq":1,' in envelope
    long_seq = envelope.replace(b'"seq":1,', f'"seq":{number},'.encode())
    draft = json.loads(draft_file.read_text())
    long_draft = json.dumps(draft).replace('"seq": 1', f'"seq": {number}').encode()
    assert long_draft != json.dumps(draft).encode()
    fails("canon", stdin=f"[{number}]".encode(), code="json.int_range: ")
    fails("sign", "--key", key_file, stdin=long_draft, code="json.int_range: ")
    fails("verify", stdin=long_seq, code="json.int_range: ")
    fails("id", stdin=long_seq, code="json.int_range: ")
