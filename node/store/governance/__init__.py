"""The circle order and the governance state it drives (PROTOCOL.md §13), kept inside the
writer transaction: the order (``order``), each event through its process (``events``:
``proposals``, ``elections``, ``meetings``) and the circle's ``logbook``. It imports
``node.domain``, ``protocol`` and sibling store modules, never the package ``node.store``."""

from node.store.governance.elections import decode_selection, load_selection
from node.store.governance.events import preview
from node.store.governance.logbook import logbook_hash
from node.store.governance.order import (
    GOVERNANCE_TABLES,
    ORDERED_KINDS,
    apply_pending,
    assign,
    check_order,
    is_ordered,
    may_hold_position,
    positions,
    rebuild,
    record,
    require_applied,
    void_after,
)
from node.store.governance.proposals import decode_state, load_proposal, rules_of
from node.store.governance.times import parse_at

__all__ = [
    "GOVERNANCE_TABLES",
    "ORDERED_KINDS",
    "apply_pending",
    "assign",
    "check_order",
    "decode_selection",
    "decode_state",
    "is_ordered",
    "load_proposal",
    "load_selection",
    "logbook_hash",
    "may_hold_position",
    "parse_at",
    "positions",
    "preview",
    "rebuild",
    "record",
    "require_applied",
    "rules_of",
    "void_after",
]
