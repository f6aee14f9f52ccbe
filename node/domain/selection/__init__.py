"""An election by consent ("selection") as a pure state machine: its records
(``records``), its transitions (``machine``), its result (``result``) and its terms
(``terms``). Pure like the rest of ``node.domain``: it imports ``node.domain`` and
``protocol`` only."""

from node.domain.consent.records import DEFAULT_RULES, ConsentRules
from node.domain.selection.machine import (
    AUTHORITY,
    PHASE_TRANSITIONS,
    REVEAL_IN,
    apply,
    commitment_of,
    start,
)
from node.domain.selection.records import (
    Event,
    Nominated,
    Nomination,
    Opened,
    PhaseMoved,
    ResultRecorded,
    Revealed,
    SelectionStanceRec,
    SelectionState,
    StanceGiven,
)
from node.domain.selection.result import result_body, verify_result
from node.domain.selection.terms import add_months, term_end_of, term_expiring

__all__ = [
    "AUTHORITY",
    "DEFAULT_RULES",
    "PHASE_TRANSITIONS",
    "REVEAL_IN",
    "ConsentRules",
    "Event",
    "Nominated",
    "Nomination",
    "Opened",
    "PhaseMoved",
    "ResultRecorded",
    "Revealed",
    "SelectionStanceRec",
    "SelectionState",
    "StanceGiven",
    "add_months",
    "apply",
    "commitment_of",
    "result_body",
    "start",
    "term_end_of",
    "term_expiring",
    "verify_result",
]
