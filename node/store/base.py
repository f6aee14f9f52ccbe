"""The Store interface: what the Node service needs from storage.

``SQLiteStore`` implements it. Writes are functions of a transaction handle run inside
one group commit, so a command's check and its effect are one atomic step; reads go
through a separate connection and never queue behind writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from nacl.signing import SigningKey

from node.store.log import AppendResult, LocalDraft
from protocol import Envelope

T = TypeVar("T")


class Store(Protocol):
    schema_version: int

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # Writes: each committed durably before it returns.
    async def write(self, fn: Callable[[Any], T]) -> T: ...
    async def append_local(
        self, draft: LocalDraft, key: SigningKey, now: dt.datetime
    ) -> AppendResult: ...
    async def append_remote(
        self,
        items: Sequence[tuple[Envelope, str]],
        now: dt.datetime,
        *,
        self_id: str | None = None,
        sender: str | None = None,
    ) -> list[AppendResult]: ...
    async def rebuild_projections(self) -> int: ...
    async def backup(self, target: Path) -> None: ...

    @property
    def commit_stats(self) -> tuple[int, int]: ...

    # Reads.
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    async def get_envelope(self, env_id: str) -> Envelope | None: ...
    async def feed(
        self, scope: str, author: str, after: int = 0, limit: int = 500
    ) -> list[Envelope]: ...
    async def heads(self, scope: str) -> dict[str, int]: ...
    def export_lines(self, batch: int = 1000) -> AsyncIterator[bytes]: ...
    async def counts(self) -> dict[str, int]: ...
    async def equivocations(self) -> list[dict[str, Any]]: ...
    async def circle_rows(self, circle_id: str | None = None) -> list[dict[str, Any]]: ...
    async def circle_member_rows(self, circle_id: str) -> list[dict[str, Any]]: ...
