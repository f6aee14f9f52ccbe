"""Numbered SQL migrations: applied in order, each in one transaction, after a backup.

The schema version is SQLite's ``user_version``. A database newer than this code is
refused, never touched.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from importlib import resources
from pathlib import Path

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class SchemaTooNewError(Exception):
    """The database was written by a newer NST; upgrading the code is the fix."""


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every migration shipped with this code, in order."""
    found = []
    for entry in resources.files("node.store.migrations").iterdir():
        m = _NAME.fullmatch(entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text("utf-8")))
    found.sort()
    if [v for v, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, … without gaps")
    return found


def latest_version() -> int:
    return len(migrations())


def refuse_newer(conn: sqlite3.Connection, db_path: Path) -> int:
    """The schema version of ``conn``; raises SchemaTooNewError if this code is older.

    Call it before any pragma that writes (journal_mode = WAL rewrites the file header),
    so a refused database is left exactly as it was.
    """
    current: int = conn.execute("PRAGMA user_version").fetchone()[0]
    known = latest_version()
    if current > known:
        raise SchemaTooNewError(
            f"{db_path} has schema version {current}, but this NST knows only up to "
            f"{known}: install a newer NST (nothing was changed)"
        )
    return current


def migrate(conn: sqlite3.Connection, db_path: Path, backup_dir: Path) -> int:
    """Bring the schema up to date; returns the version now in force."""
    current = refuse_newer(conn, db_path)
    steps = migrations()
    pending = [(v, sql) for v, sql in steps if v > current]
    if pending and current > 0:
        backup_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = backup_dir / f"pre-migration-v{current}-{stamp}.sqlite3"
        dest = sqlite3.connect(target)
        try:
            conn.backup(dest)
        finally:
            dest.close()
    for version, sql in pending:
        try:
            script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            conn.executescript(script)
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return max(current, len(steps))
