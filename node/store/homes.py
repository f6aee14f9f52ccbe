"""The current home of a circle (PROTOCOL.md §13.15): the node that orders it now.

The ``home`` of the charter in force as the order applied it, else the node the circle
id names (what ``circles.home`` holds); a direct scope's recipient. Every rule that
speaks of "the home" asks this, never the id alone: a circle can move its home.
"""

from __future__ import annotations

import sqlite3

from protocol import scope_owner
from protocol.ids import is_direct


def current_home(conn: sqlite3.Connection, scope: str) -> str:
    """The node that orders ``scope`` now (for a circle not held here: the id's node)."""
    if not is_direct(scope):
        row = conn.execute("SELECT home FROM circles WHERE id = ?", (scope,)).fetchone()
        if row is not None:
            return str(row[0])
    return scope_owner(scope)
