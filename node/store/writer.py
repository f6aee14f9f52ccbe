"""Group commit: one writer thread, one transaction per batch, a savepoint per write.

Callers submit a function of the sqlite3 connection and await its result, which is
returned only after the transaction holding it is durably committed. While one batch
commits, the next one gathers in the queue, so many concurrent writes share a commit.
A write that raises is rolled back to its savepoint alone; the rest of the batch stands.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
MAX_BATCH = 500

WriteFn = Callable[[sqlite3.Connection], Any]


class WriterClosedError(Exception):
    """The store is closing; the write was not attempted."""


class GroupWriter:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nst-writer")
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[tuple[WriteFn, asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.writes = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, self._connect)
        self._task = asyncio.create_task(self._run(), name="nst-group-writer")

    async def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside the next batch transaction; return after it is committed."""
        if self._closing:
            raise WriterClosedError("the store is closing")
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((fn, fut))
        return await fut

    async def close(self) -> None:
        """Finish every write already submitted, then stop (a second call does nothing)."""
        self._closing = True
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

    async def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer's thread outside any batch (maintenance: backup)."""
        assert self._conn is not None
        conn = self._conn
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stop = False
        while not stop:
            item = await self._queue.get()
            if item is None:
                break
            batch = [item]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            fns = [fn for fn, _ in batch]
            try:
                outcomes = await loop.run_in_executor(self._executor, self._commit, fns)
            except BaseException as exc:  # the commit itself failed: nothing was applied
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            self.batches += 1
            self.writes += len(batch)
            for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
                if fut.done():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

    def _commit(self, fns: list[WriteFn]) -> list[tuple[bool, Any]]:
        conn = self._conn
        assert conn is not None
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for fn in fns:
                conn.execute("SAVEPOINT w")
                try:
                    outcomes.append((True, fn(conn)))
                except Exception as exc:
                    conn.execute("ROLLBACK TO w")
                    outcomes.append((False, exc))
                conn.execute("RELEASE w")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        return outcomes
