"""Every shell block the docs mark runnable (```sh title="runnable"```) runs, as written,
in a fresh temporary directory with the project's `nst` on the PATH and a temporary node's
data directory (NST_DATA_DIR), and exits 0 (each block runs with ``set -e``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r'^```sh title="runnable"\n(.*?)^```$', re.S | re.M)


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for m in BLOCK.finditer(text):
            line = text[: m.start()].count("\n") + 1
            found.append((doc.relative_to(ROOT).as_posix(), line, m.group(1)))
    return found


BLOCKS = _blocks()


def test_the_docs_have_runnable_blocks() -> None:
    docs = {doc for doc, _, _ in BLOCKS}
    assert {"docs/developers.md", "docs/admin.md"} <= docs


@pytest.mark.parametrize(("doc", "line", "script"), BLOCKS, ids=[f"{d}:{n}" for d, n, _ in BLOCKS])
def test_a_runnable_block_runs(doc: str, line: int, script: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NST_DATA_DIR"] = str(tmp_path / "node")
    env["HOME"] = str(tmp_path)
    env["NST_DOC_TEST"] = "1"
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"{doc}:{line} failed:\n{proc.stdout}\n{proc.stderr}"
