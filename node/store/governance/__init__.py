"""The circle order and the governance state it drives (PROTOCOL.md §13), kept inside the
writer transaction (see ``order``). It imports ``node.domain``, ``protocol`` and sibling
store modules, never the package ``node.store``."""

from node.store.governance.order import (
    GOVERNANCE_TABLES,
    ORDERED_KINDS,
    apply_pending,
    assign,
    check_order,
    decode_selection,
    decode_state,
    is_ordered,
    load_proposal,
    load_selection,
    logbook_hash,
    parse_at,
    positions,
    preview,
    rebuild,
    record,
    require_applied,
    rules_of,
)

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
    "parse_at",
    "positions",
    "preview",
    "rebuild",
    "record",
    "require_applied",
    "rules_of",
]
