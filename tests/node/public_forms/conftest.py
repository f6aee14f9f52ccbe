"""A node whose mail goes to the test SMTP server (``smtp``, tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from node.clock import FixedClock
from node.config import Config
from node.service import Node
from node.store import SQLiteStore


@pytest.fixture
def mail_node(tmp_path: Path, store: SQLiteStore, key: Any, clock: FixedClock, smtp: Any) -> Node:
    """A node whose mail goes to ``smtp`` (its worker stepped by the test)."""
    cfg = Config(data_dir=tmp_path, name="Riverside Tenants", mail=smtp.mail_config())
    return Node(cfg, store, key, clock)
