"""PROTOCOL.md keeps up with the code: every error code, kind, body field and limit is in it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from msgspec import inspect

from protocol import MAX_DEPTH, MAX_INT, MAX_OBJECT_BYTES, SCHEMAS, V1, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
VECTORS = json.loads((ROOT / "tests/vectors/envelopes.json").read_bytes())

# A field row of a §8 table: | `name` | type | required / default | constraint |
_ROW = re.compile(r"^\| `([a-z_]+)` \| [^|]+ \| ([^|]+?) \|", re.MULTILINE)


def _kind_sections() -> dict[str, str]:
    """The text of each ``### 8.n `kind` `` subsection, by kind."""
    parts = re.split(r"^### (8\.\d+ .*)$", DOC, flags=re.MULTILINE)
    sections = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        m = re.search(r"`([a-z.]+)`", heading)
        if m:
            sections[m.group(1)] = body.split("\n## ", 1)[0]
    return sections


def _fields(info: Any, out: dict[str, set[str]]) -> None:
    """Every field of every struct reachable from a type, with how its row must read."""
    if isinstance(info, inspect.Metadata):
        _fields(info.type, out)
    elif isinstance(info, inspect.UnionType):
        for t in info.types:
            _fields(t, out)
    elif isinstance(info, inspect.ListType):
        _fields(info.item_type, out)
    elif isinstance(info, inspect.StructType):
        if info.tag_field is not None:
            out.setdefault(info.tag_field, set()).add("required")
        for f in info.fields:
            out.setdefault(f.name, set()).add(_default(f))
            _fields(f.type, out)


def _default(f: inspect.Field) -> str:
    if f.required:
        return "required"
    value = f.default if f.default_factory is msgspec.NODEFAULT else f.default_factory()
    return f"`{json.dumps(value)}`"


def test_every_error_code_is_in_the_table() -> None:
    missing = [c.value for c in ErrorCode if f"| `{c.value}` |" not in DOC]
    assert not missing, f"PROTOCOL.md §9 lacks {missing}"


def test_every_kind_has_a_section() -> None:
    assert set(_kind_sections()) == set(SCHEMAS)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_field_tables_match_the_schema(kind: str) -> None:
    expected: dict[str, set[str]] = {}
    _fields(inspect.type_info(SCHEMAS[kind]), expected)
    rows: dict[str, set[str]] = {}
    for name, default in _ROW.findall(_kind_sections()[kind]):
        rows.setdefault(name, set()).add(default.strip())
    assert rows == expected


def test_limits_are_stated() -> None:
    for number in (MAX_OBJECT_BYTES, MAX_DEPTH, MAX_INT, V1.max_refs):
        assert str(number) in DOC


def test_worked_example_is_a_current_vector() -> None:
    m = re.search(r"Vector `([a-z.]+)`", DOC)
    assert m is not None, "§5.3 names its vector"
    (vector,) = (v for v in VECTORS["valid"] if v["name"] == m.group(1))
    for part in ("canonical", "body", "body_hash", "signed", "sig", "header", "id"):
        assert vector[part] in DOC, f"§5.3 shows a stale {part}: regenerate and update it"
