"""Federation tests run real nodes on 127.0.0.1 through ``harness.py``.

The test tree is not a package (pytest imports with ``--import-mode=importlib``), so the
harness is loaded here by path and registered as the module ``harness``; tests import
from it (``from harness import Cluster``) or take the fixtures below.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey


def _load_harness() -> Any:
    if "harness" in sys.modules:
        return sys.modules["harness"]
    spec = importlib.util.spec_from_file_location("harness", Path(__file__).with_name("harness.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()

HOSTILE_KEY = SigningKey(b"\x66" * 32)


@pytest.fixture
def cluster() -> Callable[..., Any]:
    """``async with cluster(n, workers=False, **federation_options) as c:``"""
    return harness.cluster  # type: ignore[no-any-return]


@pytest.fixture
async def hostile() -> AsyncIterator[Any]:
    """A peer the test holds the key of, to send crafted requests with (not yet linked)."""
    peer = harness.HostilePeer(HOSTILE_KEY)
    try:
        yield peer
    finally:
        await peer.close()
