"""The layers' rules, read from the code: who may import whom, and no import cycles.

``protocol`` imports nothing of ours; ``node/domain`` does no I/O; ``web_ui`` never
touches storage; in ``node`` only the command line (``node/cli``, the composition root)
imports ``federation`` or ``web_ui``; and no module imports, however indirectly, a module
that imports it back. Imports under ``if TYPE_CHECKING:`` are for the type checker only
and do not count; imports inside functions do.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "node", "federation", "web_ui")

# Modules that do I/O, or reach storage, the network or the event loop.
IO = {
    "aiohttp", "aiosqlite", "sqlite3", "socket", "ssl", "subprocess", "asyncio", "os",
    "io", "shutil", "tempfile", "pathlib", "urllib.request", "http", "smtplib",
    "aiosmtplib", "psycopg", "structlog", "logging",
}  # fmt: skip


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # the full dotted name: a module, or a name inside one
    line: int
    written: str  # the module as the import statement names it


def modules(root: Path) -> dict[str, Path]:
    """Every module of our packages under ``root`` by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str, path: Path) -> Iterator[Import]:
    """What ``name`` imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                yield Import(name, f"{base}.{alias.name}", node.lineno, base)


def _ours(imp: Import, known: dict[str, Path]) -> str | None:
    """The module of ours that ``imp`` names: the module itself, or the one a name is in.

    A module of ours that is not a ``.py`` file (the compiled ``protocol._speedups``) has
    no imports of its own and so is no node of the graph.
    """
    if imp.imported in known:
        return imp.imported
    return imp.written if imp.written in known else None


def graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name, path in known.items():
        for imp in imports(name, path):
            target = _ours(imp, known)
            if target is not None and target != name:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Every import that breaks a layer rule, as ``module:line imports name (rule)``."""
    out = []
    for name, path in modules(root).items():
        for imp in imports(name, path):
            target = imp.imported
            where = f"{name}:{imp.line} imports {imp.written}"
            ours = any(_under(target, p) for p in PACKAGES)
            if _under(name, "protocol") and ours and not _under(target, "protocol"):
                out.append(f"{where} (protocol imports nothing of ours)")
            if _under(name, "node.domain") and (
                any(_under(target, m) for m in IO)
                or (ours and not any(_under(target, p) for p in ("protocol", "node.domain")))
            ):
                out.append(f"{where} (node/domain does no I/O: protocol and itself only)")
            if _under(name, "web_ui") and (_under(target, "node.store") or target == "sqlite3"):
                out.append(f"{where} (web_ui never touches storage)")
            if (
                _under(name, "node")
                and not _under(name, "node.cli")
                and (_under(target, "federation") or _under(target, "web_ui"))
            ):
                out.append(f"{where} (in node, only node/cli imports federation or web_ui)")
            if _under(name, "federation") and _under(target, "web_ui"):
                out.append(f"{where} (federation never imports web_ui)")
            if _under(name, "web_ui") and _under(target, "federation"):
                out.append(f"{where} (web_ui reaches federation through the Node service)")
    return sorted(set(out))


def test_every_import_keeps_to_its_layer() -> None:
    assert violations(ROOT) == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(graph(ROOT)) == []


# --- the checks themselves, on a made-up tree ---------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        ({"protocol/a.py": "from node import service\n"}, "protocol imports nothing"),
        ({"node/domain/x.py": "import sqlite3\n"}, "node/domain does no I/O"),
        ({"node/domain/x.py": "from node.store import log\n"}, "node/domain does no I/O"),
        ({"web_ui/v.py": "from node.store.sqlite import SQLiteStore\n"}, "web_ui never"),
        ({"node/service.py": "def f():\n    import federation.service\n"}, "only node/cli"),
        ({"web_ui/v.py": "from federation.client import PeerError\n"}, "web_ui reaches"),
    ],
)
def test_a_forbidden_import_is_found(tmp_path: Path, files: dict[str, str], rule: str) -> None:
    found = violations(_tree(tmp_path, files))
    assert len(found) == 1
    assert rule in found[0]


def test_allowed_imports_pass(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "node/cli/main.py": "import federation.service\nimport web_ui\n",
            "node/domain/x.py": "from protocol import ids\nimport dataclasses\n",
            "web_ui/v.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from node.store import Store\n",
        },
    )
    assert violations(root) == []


def test_a_cycle_is_found_and_type_checking_imports_are_not_one(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "node/a.py": "from node import b\n",
            "node/b.py": "def f():\n    from node.a import x\n",
            "node/c.py": "from node.d import y\n",
            "node/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from node.c import z\n",
        },
    )
    assert cycles(graph(root)) == [["node.a", "node.b"]]


def test_a_compiled_module_of_ours_is_no_way_back_to_its_package(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "protocol/__init__.py": "from protocol.parsing import split\n",
            "protocol/parsing.py": "from protocol._speedups import split\n",
        },
    )
    assert cycles(graph(root)) == []
