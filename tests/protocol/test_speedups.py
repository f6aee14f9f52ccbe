"""The compiled functions (protocol/_speedups.c) and their Python references agree, and
the fast body check agrees with validate_body.

Where a C compiler is installed the module must have been built: otherwise the suite
would quietly test only the Python references.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import RemoteProtocolError, ids, parsing
from protocol.canonical import encode
from protocol.fastcheck import body_ok
from protocol.schemas import SCHEMAS, validate_body

try:
    from protocol import _speedups
except ImportError:  # pragma: no cover - only without a C compiler
    _speedups = None  # type: ignore[assignment]

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "envelopes.json").read_bytes()
)
VALID = [v["canonical"].encode() for v in VECTORS["valid"]]
compiled = pytest.mark.skipif(_speedups is None, reason="protocol._speedups is not built")


def test_the_compiled_module_is_built_and_used_where_a_compiler_is() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler on this machine: the Python references serve")
    assert _speedups is not None, (
        "a C compiler is here but protocol._speedups is not built: `pip install -e .` builds"
        " it (with the Python headers installed, e.g. Debian's python3-dev)"
    )
    assert ids.sha256_id is _speedups.sha256_id
    assert parsing._split is _speedups.split


@compiled
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_sha256_id_compiled_is_the_reference(data: bytes) -> None:
    assert _speedups.sha256_id(data) == ids._sha256_id(data)


@compiled
def test_sha256_id_compiled_refuses_what_the_reference_refuses() -> None:
    for bad in ("text", None, 5):
        with pytest.raises(TypeError):
            ids._sha256_id(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            _speedups.sha256_id(bad)  # type: ignore[arg-type]


def _tail(data: bytes) -> int:
    """What parse_envelope passes: the length of `,"ts":"<ts>","v":<v>}`."""
    obj = json.loads(data)
    return len(obj["ts"]) + 14 + len(str(obj["v"]))


@compiled
@pytest.mark.parametrize("data", VALID, ids=[v["name"] for v in VECTORS["valid"]])
def test_split_of_every_valid_vector_is_the_reference(data: bytes) -> None:
    parts = _speedups.split(data, _tail(data))
    assert parts is not None
    assert parts == parsing._split_py(data, _tail(data))
    body, header, signed, sig, body_hash = parts
    vector = next(v for v in VECTORS["valid"] if v["canonical"].encode() == data)
    assert header == vector["header"].encode()
    assert signed == vector["signed"].encode()
    assert body == (vector["body"].encode() if "body" in vector else None)
    assert sig == ids.b64decode(vector["sig"])
    assert ids.HASH_PREFIX + ids.b64encode(body_hash) == vector["body_hash"]


@compiled
@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_split_of_changed_bytes_is_the_reference(
    change_bytes: Callable[..., bytes], base: bytes, data: Any
) -> None:
    inserts = [b'"', b",", b'"sha256:', b',"body":', b',"body_hash":', b"]"]
    changed = change_bytes(data, base, inserts, 120)
    if not changed:
        return
    tail = _tail(base) + data.draw(st.sampled_from([0, 0, 0, -1, 1, -200, 10**6]))
    if tail < 0:
        assert _speedups.split(changed, tail) is None
        return
    assert _speedups.split(changed, tail) == parsing._split_py(changed, tail)


@compiled
def test_split_refuses_other_types() -> None:
    with pytest.raises(TypeError):
        _speedups.split(bytearray(VALID[0]), 40)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _speedups.split(VALID[0])  # type: ignore[call-arg]
    with pytest.raises(OverflowError):
        _speedups.split(VALID[0], 2**70)


# --- body_ok -----------------------------------------------------------------------------

BODIES = [(v["kind"], v["envelope"]["body"]) for v in VECTORS["valid"] if "body" in v["envelope"]]
PROPOSAL = ids.sha256_id(b"proposal")
NODE = VECTORS["keys"][0]["node_id"]
VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            0,
            7,
            "",
            "x",
            [],
            {},
            PROPOSAL,
            PROPOSAL + "\n",
            PROPOSAL[:-1] + "B",
            "sha256:" + "é" * 43,
            NODE,
            f"ana@{NODE}",
            f"Ana@{NODE}",
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00Z\n",
            "٢٠٢٦-11-22T10:00:00Z",
            "consent",
            "concern",
            "active",
        ]
    ),
    st.text(max_size=6),
)


def _accepted(kind: str, body: Any) -> bool:
    try:
        validate_body(kind, body)
    except RemoteProtocolError:
        return False
    return True


def test_every_kind_has_a_valid_body_vector() -> None:
    assert {kind for kind, _ in BODIES} == set(SCHEMAS)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(BODIES), st.data())
def test_body_ok_is_validate_body(case: tuple[str, dict[str, Any]], data: Any) -> None:
    kind, body = case
    changed = dict(body)
    for _ in range(data.draw(st.integers(0, 2))):
        names = sorted({*changed, "proposal", "member", "thread", "root", "extra"})
        name = data.draw(st.sampled_from(names))
        if data.draw(st.booleans()) and name in changed:
            del changed[name]
        else:
            changed[name] = data.draw(VALUES)
    try:
        encode(changed)
    except TypeError:
        return
    # Twice: the second answer may come from the values it remembered.
    assert body_ok(kind, changed) == _accepted(kind, changed)
    assert body_ok(kind, changed) == _accepted(kind, changed)


def test_body_ok_refuses_unknown_kinds() -> None:
    assert not body_ok("nonsense", {})
