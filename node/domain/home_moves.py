"""Moving a circle's home without it (PROTOCOL.md §13.15). Pure.

When the current home has assigned no position for longer than the charter's
``home_timeout_days``, every other active member node votes (a ``home.vote``) for a new
home N; N, holding the vote of each, writes the charter naming itself at the position
after the highest any vote holds. These are the rules every node applies to a vote and
to that charter: the votes' cover, their agreement, and the silence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from node.domain.authority import member_nodes
from node.domain.circles import CircleState
from node.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Vote:
    """A ``home.vote`` as its envelope says it: who votes, from which home to which."""

    id: str
    voter: str
    home: str
    to: str
    pos: int
    pos_id: str
    withdrawn: bool = False


def voters(circle: CircleState) -> set[str]:
    """The nodes whose votes a move needs: every active member node but the home."""
    return member_nodes(circle) - {circle.home}


def silent_since(timeout_days: int, last_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a home whose last position is at ``last_at`` has been silent longer than
    ``timeout_days`` at ``now``."""
    return now - last_at > dt.timedelta(days=timeout_days)


def check_silent(
    circle: CircleState, timeout_days: int, last_at: dt.datetime, now: dt.datetime
) -> None:
    """Raise ``home.not_timed_out`` unless the home has been silent past the timeout."""
    if not silent_since(timeout_days, last_at, now):
        raise DomainError(
            "home.not_timed_out",
            f"the home of {circle.name} was heard from less than {timeout_days} days ago",
        )


def check_candidate(circle: CircleState, voter: str, to: str) -> None:
    """Raise ``home.bad_vote`` unless ``voter`` may vote to move the home to ``to``: both
    active member nodes, neither the current home."""
    nodes = voters(circle)
    if voter not in nodes:
        raise DomainError("home.bad_vote", f"{voter} is no member node of {circle.name} that votes")
    if to not in nodes:
        raise DomainError(
            "home.bad_vote",
            f"{to} is no active member node of {circle.name}: it cannot be its home",
        )


def check_votes(
    circle: CircleState,
    new_home: str,
    votes: Mapping[str, Vote],
    order: Mapping[int, str],
    last_pos: int,
) -> None:
    """The votes a move charter of ``new_home`` names (by voter), against the order held
    (position -> envelope id): each a standing vote of an active member node from the
    current home to ``new_home``; every member node but the home voted
    (``home.votes_incomplete``); each vote's position holds the envelope it names, and the
    highest is ``last_pos`` (``home.bad_vote``)."""
    for vote in votes.values():
        if vote.withdrawn or vote.home != circle.home or vote.to != new_home:
            raise DomainError(
                "home.bad_vote",
                f"the vote {vote.id} does not move {circle.name}'s home to {new_home}",
            )
        if vote.voter not in voters(circle):
            raise DomainError("home.bad_vote", f"{vote.voter} is no member node that votes")
        if order.get(vote.pos) != vote.pos_id:
            raise DomainError(
                "home.bad_vote",
                f"the vote {vote.id} names at position {vote.pos} an envelope the order"
                " does not hold there",
            )
    missing = voters(circle) - set(votes)
    if missing:
        raise DomainError(
            "home.votes_incomplete",
            f"{len(missing)} member node(s) of {circle.name} did not vote to move its home",
        )
    if max(v.pos for v in votes.values()) != last_pos:
        raise DomainError(
            "home.bad_vote", "the move does not follow the highest position a vote holds"
        )
