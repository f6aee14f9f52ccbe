"""A person of the public as one: erasing, on their request, everything the node holds
of an e-mail address across the Coalition Brief, the allies and the mail outbox
(``nst people erase``; docs/admin.md, "Erasing a person")."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.allies import personal as allies
from node.brief import subscribers
from node.store import mail as outbox
from protocol import format_ts

if TYPE_CHECKING:
    from node.core import NodeCore


@dataclass(frozen=True, slots=True)
class Erased:
    """How many records of each kind held the address (and were erased or reduced)."""

    brief: int
    allies: int
    mail: int

    @property
    def total(self) -> int:
        return self.brief + self.allies + self.mail


async def erase_person(node: NodeCore, address: str) -> Erased:
    """Forget ``address`` everywhere, in one transaction: all of it or nothing."""
    now = node.clock.now()

    def run(conn: sqlite3.Connection) -> Erased:
        return Erased(
            brief=subscribers.erase(conn, address, now),
            allies=allies.erase(conn, address, format_ts(now)),
            mail=outbox.forget_recipient(conn, address.strip()),
        )

    erased: Erased = await node.store.write(run)
    return erased
