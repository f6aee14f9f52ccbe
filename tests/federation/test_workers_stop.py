"""The background workers stop when cancelled, even when they are woken at the same
moment (a node stopping while an envelope arrives): the daemon's shutdown and every
test's teardown wait for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest


async def _stops_when_woken_and_cancelled(
    run: Callable[[], Coroutine[Any, Any, None]], wake: asyncio.Event
) -> None:
    task = asyncio.create_task(run())
    for _ in range(20):  # let it reach its wait
        await asyncio.sleep(0)
    wake.set()
    task.cancel()
    try:
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "the worker went on after it was cancelled"
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        task.cancel()


async def test_delivery_and_sync_stop_when_cancelled_as_they_are_woken(cluster: Any) -> None:
    async with cluster(1) as c:
        fed = c.nodes[0].fed
        await _stops_when_woken_and_cancelled(lambda: fed.run_delivery(idle=30), fed.wake)
        await _stops_when_woken_and_cancelled(lambda: fed.run_sync(every=30), fed.sync_wake)
