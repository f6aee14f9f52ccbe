"""``nst campaign list|import|export|template`` as a script runs them: real ``python -m
node`` processes on a real node's SQLite file, its campaign made through the service."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from node.clock import SystemClock
from node.config import load_config
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore

FIXTURES = Path(__file__).parent.parent / "campaigns" / "fixtures"


def nst(data_dir: Path, *args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(data_dir.parent / "xdg")
    proc = subprocess.run(
        [sys.executable, "-m", "node", *map(str, args), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def fails(proc: subprocess.CompletedProcess[str], code: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    m = re.search(rf"^error: {re.escape(code)}: (.+)$", proc.stderr, re.MULTILINE)
    assert m, proc.stderr
    return m.group(1)


def targets(data_dir: Path) -> list[str]:
    conn = sqlite3.connect(data_dir / "nst.sqlite3")
    try:
        return sorted(r[0] for r in conn.execute("SELECT name FROM campaign_targets"))
    finally:
        conn.close()


async def _campaign(data_dir: Path) -> str:
    cfg = load_config(str(data_dir), None)
    store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir)
    async with store:
        node = Node(cfg, store, read_key(cfg.key_path, None), SystemClock())
        await node.add_member("ana", "Ana Example")
        await node.add_member("dan", "Dan Example")
        circle = await node.create_circle("Coalition", "Police accountability", federated=True)
        await node.set_membership(circle.id, "ana")
        return await node.campaigns.create_campaign(
            circle.id, "ana", name="Accountable Riverton", goal="Every demand met"
        )


@pytest.fixture
def node_dir(tmp_path: Path) -> tuple[Path, str]:
    data_dir = tmp_path / "node"
    nst(data_dir, "init", "--name", "Riverside Tenants")
    return data_dir, asyncio.run(_campaign(data_dir))


def test_list_import_dry_run_import_and_export(node_dir: tuple[Path, str], tmp_path: Path) -> None:
    data_dir, campaign = node_dir
    listed = nst(data_dir, "campaign", "list").stdout
    assert f"{campaign}  Accountable Riverton  (Coalition; active; 0 targets" in listed
    assert "draft" in listed

    csv = FIXTURES / "targets.csv"
    dry = nst(data_dir, "campaign", "import", campaign, csv, "--as", "ana", "--dry-run").stdout
    assert f"{csv}:2: new Dana Whitfield" in dry
    assert "3 new, 0 changed, 0 unchanged; dry run: nothing recorded" in dry
    assert targets(data_dir) == []

    real = nst(data_dir, "campaign", "import", campaign, csv, "--as", "ana").stdout
    assert "recorded 3 targets" in real
    assert targets(data_dir) == ["Dana Whitfield", "Marcus T. Oyelaran", "Renee Castillo"]

    yml = sorted(FIXTURES.glob("*.yml"))
    again = nst(
        data_dir, "campaign", "import", campaign, *yml, "--as", "ana", "--as-of", "2026-11-22"
    ).stdout
    assert "0 new" in again
    assert len(targets(data_dir)) == 3  # matched by their ids, not duplicated

    exported = nst(data_dir, "campaign", "export", campaign).stdout
    assert exported.splitlines()[0] == nst(data_dir, "campaign", "template").stdout.splitlines()[0]
    out = tmp_path / "officials.csv"
    nst(data_dir, "campaign", "export", campaign, "--out", out)
    assert out.read_text() == exported
    assert "Renee Castillo" in exported


def test_bad_rows_are_named_and_nothing_is_imported(
    node_dir: tuple[Path, str], tmp_path: Path
) -> None:
    data_dir, campaign = node_dir
    bad = tmp_path / "bad.csv"
    good = (FIXTURES / "targets.csv").read_text()
    bad.write_text(good.replace(",mayor,Mayor,", ",Mayor!,Mayor,", 1))
    proc = nst(data_dir, "campaign", "import", campaign, bad, "--as", "ana", ok=False)
    fails(proc, "import.problems")
    assert re.search(rf"^{re.escape(str(bad))}:2: .*office_type", proc.stderr, re.MULTILINE)
    assert targets(data_dir) == []


def test_refusals_carry_their_codes(node_dir: tuple[Path, str]) -> None:
    data_dir, campaign = node_dir
    csv = FIXTURES / "targets.csv"
    not_member = nst(data_dir, "campaign", "import", campaign, csv, "--as", "dan", ok=False)
    fails(not_member, "campaign.not_member")
    assert targets(data_dir) == []
    unknown = nst(data_dir, "campaign", "export", "nothing", ok=False)
    fails(unknown, "campaign.unknown_campaign")
    missing = nst(data_dir, "campaign", "import", campaign, "nowhere.csv", "--as", "ana", ok=False)
    fails(missing, "io")
    bad_date = nst(
        data_dir, "campaign", "import", campaign, csv, "--as", "ana", "--as-of", "x", ok=False
    )
    fails(bad_date, "usage")
