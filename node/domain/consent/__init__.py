"""The consent process of one proposal as a pure state machine: its records (``records``),
its transitions (``machine``) and its decisions (``decision``). Pure like the rest of
``node.domain``: it imports ``node.domain`` and ``protocol`` only."""

from node.domain.consent.decision import DECIDE_FROM, decide, verify_decision
from node.domain.consent.machine import AMEND_IN, AUTHORITY, PHASE_TRANSITIONS, apply, start
from node.domain.consent.records import (
    DEFAULT_RULES,
    Amended,
    ConsentRules,
    Decided,
    Event,
    Objection,
    PhaseChanged,
    ProposalState,
    Proposed,
    Stance,
    StanceGiven,
    StanceValue,
    Version,
)

__all__ = [
    "AMEND_IN",
    "AUTHORITY",
    "DECIDE_FROM",
    "DEFAULT_RULES",
    "PHASE_TRANSITIONS",
    "Amended",
    "ConsentRules",
    "Decided",
    "Event",
    "Objection",
    "PhaseChanged",
    "ProposalState",
    "Proposed",
    "Stance",
    "StanceGiven",
    "StanceValue",
    "Version",
    "apply",
    "decide",
    "start",
    "verify_decision",
]
