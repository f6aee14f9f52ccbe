"""``nst admin osdi-token create|list|revoke`` as an operator runs them: real
``python -m node`` processes on a real node directory; the node keeps no token itself."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any


def test_a_token_is_printed_once_listed_by_name_and_revoked(tmp_path: Path, nst: Any) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    token = nst("admin", "osdi-token", "create", "action-network", data_dir=data_dir).stdout
    token = token.strip()
    assert re.fullmatch(r"osdi_[A-Za-z0-9_-]{40,}", token)
    out = tmp_path / "tool.token"
    said = nst("admin", "osdi-token", "create", "spoke", "--out", str(out), data_dir=data_dir)
    second = out.read_text().strip()
    assert second.startswith("osdi_")
    assert second not in said.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    listed = json.loads(nst("admin", "osdi-token", "list", "--json", data_dir=data_dir).stdout)
    assert [(t["name"], t["revoked_at"]) for t in listed] == [
        ("spoke", None),
        ("action-network", None),
    ]
    # Only hashes are stored: neither token is anywhere in the database.
    nst("admin", "osdi-token", "revoke", "spoke", data_dir=data_dir)
    db = b"".join(path.read_bytes() for path in data_dir.rglob("*.sqlite3*"))
    assert token.encode() not in db
    assert second.encode() not in db
    text = nst("admin", "osdi-token", "list", data_dir=data_dir).stdout
    assert re.search(r"^spoke .* revoked \d{4}-", text, re.MULTILINE)
    assert re.search(r"^action-network .* never used\s+live$", text, re.MULTILINE)

    # The name is free again once revoked; a live name is not, nor a bad one.
    nst("admin", "osdi-token", "create", "spoke", data_dir=data_dir)
    refused = nst("admin", "osdi-token", "create", "spoke", data_dir=data_dir, ok=False)
    assert "error: osdi.token_exists: " in refused.stderr
    kept = tmp_path / "kept.token"
    refused = nst(
        "admin", "osdi-token", "create", "spoke", "--out", str(kept), data_dir=data_dir, ok=False
    )
    assert "error: osdi.token_exists: " in refused.stderr
    assert not kept.exists()  # no empty token file is left behind
    refused = nst("admin", "osdi-token", "create", "no spaces", data_dir=data_dir, ok=False)
    assert "error: osdi.token_name: " in refused.stderr
    refused = nst("admin", "osdi-token", "revoke", "nobody", data_dir=data_dir, ok=False)
    assert "error: osdi.token_unknown: " in refused.stderr
    with sqlite3.connect(next(data_dir.rglob("*.sqlite3"))) as conn:
        (count,) = conn.execute("SELECT count(*) FROM osdi_tokens").fetchone()
    assert count == 3
