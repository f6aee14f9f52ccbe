"""``nst brief export`` and ``nst brief erase`` as an admin runs them (real ``python -m
node`` processes) over a node whose subscribers signed up and confirmed through the real
outbox and SMTP sink."""

from __future__ import annotations

import csv
import hashlib
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from node.clock import SystemClock
from node.config import DB_NAME, KEY_NAME, Config
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore


async def subscribe(data_dir: Path, smtp: Any, people: list[tuple[str, str, bool]]) -> None:
    """Sign ``people`` (address, name, confirms?) up through the node's own service."""
    cfg = Config(data_dir=data_dir, name="Riverside Tenants", mail=smtp.mail_config())
    store = SQLiteStore(data_dir / DB_NAME, backup_dir=data_dir / "backups")
    async with store:
        node = Node(cfg, store, read_key(data_dir / KEY_NAME), SystemClock())
        for address, name, confirms in people:
            await node.brief.sign_up(address, name, '=HYPERLINK("x")', [], "brief")
            while await node.mail.worker.run_once():
                pass
            if confirms:
                body = smtp.sink.to(address)[-1].get_body(("plain",)).get_content()
                link = re.search(r"(https?://\S+/brief/confirm\?\S+)", body)
                assert link is not None
                q = {k: v[0] for k, v in parse_qs(urlsplit(link.group(1)).query).items()}
                await node.brief.confirm(q["s"], q["e"], q["t"])


async def test_export_to_a_private_file_and_erase_one_person(
    tmp_path: Path, smtp: Any, nst: Any
) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    await subscribe(
        data_dir, smtp, [("dee@example.org", "Dee", True), ("fay@example.org", "Fay", False)]
    )
    out = tmp_path / "subscribers.csv"
    said = nst("brief", "export", "--output", str(out), data_dir=data_dir)
    assert "2 subscribers written" in said.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open(newline="")))
    assert [(r["address"], r["name"], bool(r["confirmed"])) for r in rows] == [
        ("dee@example.org", "Dee", True),
        ("fay@example.org", "Fay", False),
    ]
    assert rows[0]["town"] == '\'=HYPERLINK("x")'  # never a formula in a spreadsheet
    assert rows[0]["wording_version"] == "1"
    assert nst(
        "brief", "export", "--output", str(out), data_dir=data_dir, ok=False
    ).stderr.startswith("error: io.exists")

    said = nst("brief", "erase", "Dee@Example.org", data_dir=data_dir)
    assert "dee@example.org is forgotten" in said.stdout.lower()
    stdout = nst("brief", "export", data_dir=data_dir).stdout
    assert "dee@example.org" not in stdout
    assert "fay@example.org" in stdout
    assert "nothing about" in nst("brief", "erase", "dee@example.org", data_dir=data_dir).stdout

    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        dump = "\n".join(conn.iterdump())
        [(salt, digest, withdrawn, erased)] = conn.execute(
            "SELECT address_salt, address_hash, withdrawn_at, erased_at FROM brief_consents"
            " WHERE address IS NULL"
        ).fetchall()
    finally:
        conn.close()
    assert "dee@example.org" not in dump  # nowhere: not the outbox, not the consents
    assert hashlib.sha256(f"{salt}:dee@example.org".encode()).hexdigest() == digest
    assert withdrawn
    assert erased
