"""``nst people erase ADDRESS``: one person who subscribed to the brief, offered help as
an ally and was mailed is forgotten in one step, by a real ``nst`` process; nothing of
the address is left in the database, and others stay."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nacl.signing import SigningKey

from node.clock import SystemClock
from node.config import DB_NAME, KEY_NAME, Config
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore

DB = DB_NAME


async def subscribe(data_dir: Path, smtp: Any, address: str) -> None:
    """Sign ``address`` up and confirm it by the link of the mail that arrived."""
    cfg = Config(data_dir=data_dir, name="Riverside Tenants", mail=smtp.mail_config())
    async with SQLiteStore(data_dir / DB, backup_dir=data_dir / "backups") as store:
        node = Node(cfg, store, read_key(data_dir / KEY_NAME), SystemClock())
        await node.brief.sign_up(address, "", "", [], "brief")
        while await node.mail.worker.run_once():
            pass
        body = smtp.sink.to(address)[-1].get_body(("plain",)).get_content()
        link = re.search(r"(https?://\S+/brief/confirm\?\S+)", body)
        assert link is not None
        q = {k: v[0] for k, v in parse_qs(urlsplit(link.group(1)).query).items()}
        await node.brief.confirm(q["s"], q["e"], q["t"])


async def _ally(data_dir: Path, smtp: Any, name: str, address: str) -> None:
    cfg = Config(data_dir=data_dir, name="Riverside Tenants", mail=smtp.mail_config())
    async with SQLiteStore(data_dir / DB, backup_dir=data_dir / "backups") as store:
        node = Node(cfg, store, SigningKey.generate(), SystemClock())
        await node.allies.sign_up(
            name=name, address=address, town="Riverton", can=["call"], note="",
            consent_version="1", org="Riverside Tenants",
        )  # fmt: skip


async def test_a_person_is_forgotten_everywhere_at_once(
    tmp_path: Path, smtp: Any, nst: Any
) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    for address in ("dee@example.org", "fay@example.org"):
        await subscribe(data_dir, smtp, address)
    await _ally(data_dir, smtp, "Dee Rivers", "Dee@Example.org")
    await _ally(data_dir, smtp, "Fay Stone", "fay@example.org")

    said = nst("people", "erase", "DEE@example.org", data_dir=data_dir).stdout
    assert said.startswith("erased DEE@example.org:")
    assert "the Coalition Brief  3 record(s)" in said  # subscriber, consent, its mail
    assert "allies               2 record(s)" in said
    conn = sqlite3.connect(data_dir / DB)
    try:
        dump = "\n".join(conn.iterdump()).lower()
    finally:
        conn.close()
    assert "dee@example.org" not in dump
    assert "dee rivers" not in dump
    assert "fay@example.org" in dump  # the others stay
    assert "fay stone" in dump
    again = nst("people", "erase", "dee@example.org", data_dir=data_dir).stdout
    assert again.strip() == "nothing held dee@example.org"
