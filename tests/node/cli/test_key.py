"""`nst admin key rotate` on a stopped node: new key in place, old one kept, 0600."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path


def nst(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NST_DATA_DIR": str(data_dir)}
    env.pop("NST_KEY_PASSPHRASE", None)
    return subprocess.run(
        [sys.executable, "-m", "node", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_key_rotate_puts_a_new_key_in_place_and_keeps_the_old_one(tmp_path: Path) -> None:
    d = tmp_path / "node"
    assert nst("init", "--name", "Rotating", data_dir=d).returncode == 0
    before = json.loads(nst("status", "--json", data_dir=d).stdout)["node_id"]

    out = nst("admin", "key", "rotate", "--reason", "routine", data_dir=d)

    assert out.returncode == 0, out.stderr
    after = json.loads(nst("status", "--json", data_dir=d).stdout)["node_id"]
    assert after != before
    assert after in out.stdout
    assert before in out.stdout
    [old] = list(d.glob("node.key.old-*"))
    assert json.loads(old.read_text())["node_id"] == before
    assert json.loads((d / "node.key").read_text())["node_id"] == after
    for key_file in (old, d / "node.key"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (d / "node.key.new").exists()
