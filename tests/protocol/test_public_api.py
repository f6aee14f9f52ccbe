"""The protocol package's public surface and its import boundary."""

from __future__ import annotations

import ast
from pathlib import Path

import protocol

PUBLIC = [
    "CURRENT",
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_OBJECT_BYTES",
    "SCHEMAS",
    "SUPPORTED",
    "V1",
    "Draft",
    "Envelope",
    "ErrorCode",
    "FeedHead",
    "LocalProtocolError",
    "Placement",
    "ProtocolVersion",
    "RemoteProtocolError",
    "b64decode",
    "b64encode",
    "body_hash_of",
    "check_chain",
    "circle_id",
    "decode_envelope",
    "dumps",
    "envelope_id",
    "equivocation",
    "format_ts",
    "loads",
    "new_circle_id",
    "node_id_of",
    "open_envelope",
    "parse_actor",
    "parse_envelope",
    "place",
    "scope_owner",
    "sha256_id",
    "sign",
    "validate_body",
    "verify",
    "verify_key_of",
]
FORBIDDEN = {"aiohttp", "aiosqlite", "sqlite3", "node", "federation", "web_ui"}
SOURCES = sorted(Path(protocol.__file__).parent.rglob("*.py"))


def test_public_api_is_pinned() -> None:
    assert protocol.__all__ == PUBLIC  # a change here is a change to the protocol's API
    assert all(hasattr(protocol, name) for name in PUBLIC)


def imported_modules(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("__import__", "import_module")
        ):
            found.add("<dynamic import>")
    return found


def test_protocol_imports_nothing_of_the_layers_above_nor_io() -> None:
    assert len(SOURCES) >= 8
    for source in SOURCES:
        tops = {name.split(".")[0] for name in imported_modules(source)}
        assert not tops & (FORBIDDEN | {"<dynamic import>"}), source.name


def test_import_scan_sees_every_form(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import aiohttp.web\nfrom node import cli\nfrom . import x\n"
        "def f():\n    import sqlite3\n    return importlib.import_module('web_ui')\n"
    )
    assert imported_modules(source) == {"aiohttp.web", "node", "sqlite3", "<dynamic import>"}
