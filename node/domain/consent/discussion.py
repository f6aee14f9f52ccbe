"""Questions, answers and reactions on a proposal (circle ``message``s with a purpose,
PROTOCOL.md §13.2): whether one fits the proposal where it stands. Judged at the
message's position in the circle order on every node, like the process's other events."""

from __future__ import annotations

from typing import Final

from node.domain.circles import CircleState
from node.domain.consent.records import ProposalState
from node.domain.errors import DomainError

# The rounds a question or a reaction belongs to; an answer fits any phase before the
# decision, as the question it answers was in its round.
FITS_IN: Final = {
    "question": frozenset({"presented", "questions"}),
    "reaction": frozenset({"reactions"}),
}
_ROUND: Final = {"question": "the questions round", "reaction": "the reactions round"}


def check_discussion(
    state: ProposalState, circle: CircleState, actor: str, purpose: str, version: str | None
) -> None:
    """Raise the rule's DomainError unless ``actor``'s message of ``purpose`` on
    ``version`` (None for an answer) fits the proposal ``state``."""
    if not circle.is_active(actor):
        raise DomainError("consent.not_member", f"{actor} is not a member of the circle")
    if state.outcome is not None:
        raise DomainError("consent.wrong_phase", f"the proposal is {state.outcome} already")
    if purpose == "answer":
        return
    if version != state.version_id:
        raise DomainError(
            "consent.wrong_version", "questions and reactions answer the current version"
        )
    if state.phase not in FITS_IN[purpose]:
        raise DomainError(
            "consent.wrong_phase",
            f"a {purpose} belongs to {_ROUND[purpose]}; the proposal is in {state.phase}",
        )
