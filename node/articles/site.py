"""``node.site``: the words of the public home (the organization's name, its aim, what it
is fighting for), set by the node's admins, with defaults from the node's name."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Final

from node.articles.records import SiteHome
from node.domain.errors import DomainError
from node.store import public_site
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

MAX_NAME: Final = 120
MAX_AIM: Final = 1000
MAX_CAUSES: Final = 10
MAX_CAUSE: Final = 200


class Site:
    """Read and set the public home's words."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node

    async def home(self) -> SiteHome:
        """The public home's words; what an admin has not set comes from the node's name."""
        held = dict(await self.node.store.fetchall(public_site.SETTINGS))
        name = held.get("name") or self.node.config.name
        aim = held.get("aim") or (
            f"{name} brings people together to act for justice and fairness in our community."
        )
        causes = tuple(c for c in held.get("causes", "").splitlines() if c.strip())
        return SiteHome(name, aim, causes, self.node.config.language)

    async def set_home(self, by: str, name: str, aim: str, causes: str) -> SiteHome:
        """Set the public home's words (one cause a line); refused whole if any is too long."""
        lines = [c.strip() for c in causes.splitlines() if c.strip()]
        name, aim = name.strip(), aim.strip()
        if not name or len(name) > MAX_NAME:
            raise DomainError(ErrorCode.SITE_INVALID, f"Give a name of 1 to {MAX_NAME} characters.")
        if len(aim) > MAX_AIM:
            raise DomainError(ErrorCode.SITE_INVALID, f"Keep the aim under {MAX_AIM} characters.")
        if len(lines) > MAX_CAUSES or any(len(c) > MAX_CAUSE for c in lines):
            raise DomainError(
                ErrorCode.SITE_INVALID,
                f"List at most {MAX_CAUSES} causes, one a line, each under {MAX_CAUSE} characters.",
            )
        now = format_ts(self.node.clock.now())

        def run(conn: sqlite3.Connection) -> None:
            for key, value in (("name", name), ("aim", aim), ("causes", "\n".join(lines))):
                public_site.put_setting(conn, key, value, by, now)

        await self.node.store.write(run)
        return await self.home()
