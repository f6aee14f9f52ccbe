"""``nst allies export`` and ``nst allies erase`` as an operator runs them (real ``python
-m node`` processes on a node made by ``nst init``), and the service functions a command
over every feature's personal data calls: ``export_rows`` and ``erase``."""

from __future__ import annotations

import csv
import sqlite3
import stat
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from node.allies.personal import COLUMNS, erase, export_rows
from node.clock import FixedClock
from node.config import Config
from node.service import Node
from node.store import SQLiteStore


async def _allies(data_dir: Path, clock: FixedClock) -> None:
    store = SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")
    await store.open()
    try:
        node = Node(Config(data_dir=data_dir), store, SigningKey.generate(), clock)
        people = (
            ("Dolores Huerta", "Dolores@Example.org", ["call"], ""),
            ("Bayard Rustin", "bayard@example.org", ["march", "host"], "=SUM(A1:A9)"),
        )
        for name, address, can, note in people:
            await node.allies.sign_up(
                name=name, address=address, town="Riverton", can=can, note=note,
                consent_version="1", org="Riverside Tenants",
            )  # fmt: skip
    finally:
        await store.close()


async def test_export_to_a_private_file_and_erase_on_request(
    tmp_path: Path, clock: FixedClock, nst: Any
) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    await _allies(data_dir, clock)

    out = tmp_path / "allies.csv"
    said = nst("allies", "export", "--output", str(out), data_dir=data_dir)
    assert said.stdout.strip() == f"wrote 2 allies to {out}"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["name"], r["email"], r["can_call"], r["can_host"]) for r in rows] == [
        ("Dolores Huerta", "dolores@example.org", "yes", "no"),
        ("Bayard Rustin", "bayard@example.org", "no", "yes"),
    ]
    assert rows[1]["note"] == "'=SUM(A1:A9)"  # a spreadsheet shows it, never runs it
    refused = nst("allies", "export", "--output", str(out), data_dir=data_dir, ok=False)
    assert refused.stderr.startswith("error: io.exists: ")
    printed = nst("allies", "export", data_dir=data_dir).stdout
    assert printed.splitlines()[0] == ",".join(COLUMNS)

    said = nst("allies", "erase", "DOLORES@example.org", data_dir=data_dir)
    assert said.stdout.strip() == "erased DOLORES@example.org: 2 records held it"
    printed = nst("allies", "export", data_dir=data_dir).stdout
    assert "olores" not in printed
    assert "bayard@example.org" in printed
    refused = nst("allies", "erase", "dolores@example.org", data_dir=data_dir, ok=False)
    assert refused.stderr.startswith("error: ally.unknown: ")

    conn = sqlite3.connect(data_dir / "nst.sqlite3")
    try:
        rows = conn.execute(
            "SELECT address, address_hash, erased_at IS NOT NULL FROM ally_consents ORDER BY id"
        ).fetchall()
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert [(a, e) for a, _, e in rows] == [(None, 1), ("bayard@example.org", 0)]
    assert "olores" not in dump  # nowhere in the database, in any table
    assert rows[0][1] != rows[1][1]


async def test_the_service_functions_work_inside_a_callers_transaction(
    tmp_path: Path, clock: FixedClock
) -> None:
    data_dir = tmp_path / "node"
    data_dir.mkdir()
    await _allies(data_dir, clock)
    conn = sqlite3.connect(data_dir / "nst.sqlite3")
    try:
        [row] = export_rows(conn, "BAYARD@example.org")
        assert (row["name"], row["can_march"], row["consent_version"]) == (
            "Bayard Rustin",
            "yes",
            "1",
        )
        assert row["note"] == "=SUM(A1:A9)"  # the rows themselves are as typed
        assert len(export_rows(conn)) == 2
        with conn:
            assert erase(conn, "bayard@example.org") == 2
            assert erase(conn, "nobody@example.org") == 0
        assert [r["name"] for r in export_rows(conn)] == ["Dolores Huerta"]
    finally:
        conn.close()
