"""After an election: the pledges of the candidate who won are commitments to track.

A candidate's latest answer to each demand (the highest position in the circle order)
counts; once the target's candidacy result is ``won``, each ``pledged`` one is the new
office holder's commitment, made on the election's date, unless a commitment about that
demand was recorded for the target (that record, kept or broken, then speaks for it).
Derived, never stored: every node reaches the same list from the same order, whichever
node recorded the result, and a result corrected from ``won`` takes them away again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from node.domain.campaigns.scoreboard import AnswerRow
from protocol.campaigns import Candidacy


@dataclass(frozen=True, slots=True)
class PledgedCommitment:
    """A demand the winner pledged to meet, as a commitment made on election day."""

    target: str
    demand: str
    made: dt.date


def pledged_commitments(
    target: str,
    candidacy: Candidacy | None,
    answers: Iterable[AnswerRow],
    recorded_demands: Iterable[str | None],
) -> tuple[PledgedCommitment, ...]:
    """The winner's pledges not yet recorded as commitments, in the order of the
    answers' positions; none before the result is ``won``."""
    if candidacy is None or candidacy.result != "won":
        return ()
    latest: dict[str, AnswerRow] = {}
    for row in answers:
        if row.target != target:
            continue
        held = latest.get(row.demand)
        if held is None or row.position > held.position:
            latest[row.demand] = row
    recorded = set(recorded_demands)
    return tuple(
        PledgedCommitment(target, row.demand, candidacy.election_date)
        for row in sorted(latest.values(), key=lambda r: r.position)
        if row.answer == "pledged" and row.demand not in recorded
    )
