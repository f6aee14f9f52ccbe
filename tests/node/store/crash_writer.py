"""Crash-test helper: a real node that authors envelopes until it is killed.

    python tests/node/store/crash_writer.py DATA_DIR

It opens the node in DATA_DIR (a fixed seed key, so every run is the same node), creates
a parent and a child circle, then authors messages from many concurrent tasks while one
more task keeps changing a role in the child circle. Each message id is printed on its
own line, flushed, only after its append returned: a printed id is an acknowledged one.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from nacl.signing import SigningKey

from node.clock import SystemClock
from node.config import Config
from node.service import Node
from node.store import SQLiteStore

SEED = b"\x07" * 32
TASKS = 32


async def main(data_dir: Path) -> None:
    store = SQLiteStore(data_dir / "nst.sqlite3", backup_dir=data_dir / "backups")
    await store.open()
    node = Node(Config(data_dir=data_dir), store, SigningKey(SEED), SystemClock())
    if await node.member("ana") is None:
        await node.add_member("ana", "Ana")
    general = await node.create_circle("General", "Coordinate")
    housing = await node.create_circle("Housing", "Homes", parent=general.id)
    await node.set_membership(general.id, "ana")

    def ack(env_id: str | None) -> None:
        sys.stdout.write(f"{env_id}\n")
        sys.stdout.flush()

    async def messages(task: int) -> None:
        scope = (general.id, housing.id)[task % 2]
        for i in itertools.count():
            result = await node.author("message", scope, {"text": f"task {task} note {i}"})
            ack(result.id)

    async def roles() -> None:
        for i in itertools.count():
            await node.set_membership(housing.id, "ana", [("leader", "secretary")[i % 2]])

    await asyncio.gather(roles(), *(messages(t) for t in range(TASKS)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
