"""Which node may be a circle's home (PROTOCOL.md §13.15). Pure.

A charter names its home in ``home``: the node the circle id names (null), the current
home, or another active member node, which the circle's order then passes to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.domain.circles import CircleState
from node.domain.errors import DomainError
from protocol import scope_owner


def named_home(circle_id: str, charter: Mapping[str, Any]) -> str:
    """The home a charter names: its ``home``, else the node the circle id names."""
    home = charter.get("home")
    return str(home) if home else scope_owner(circle_id)


def check_home(circle: CircleState, charter: Mapping[str, Any]) -> None:
    """Raise ``circle.bad_home`` unless the charter's home is the current home, the node
    the circle id names or an active member node of the circle."""
    home = named_home(circle.id, charter)
    if home in (circle.home, scope_owner(circle.id)) or circle.is_active(home):
        return
    raise DomainError(
        "circle.bad_home", f"{home} is no member node of {circle.name}: it cannot be its home"
    )
