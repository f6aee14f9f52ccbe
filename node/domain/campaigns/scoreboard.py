"""The scoreboard of a campaign: demands × targets at a glance, and the pressure on each
target. Pure functions over rows the store reads; ``today`` is the caller's.

- A cell exists where a demand is asked of a target (``applies``). Its status is the
  latest in the circle order (the highest position), whatever the dates say: that is how
  every node reaches the same board. With no status recorded it is ``not_asked``.
- A demand waits from the first date it was recorded as anything but ``not_asked`` until
  it is ``met`` or ``refused``; ``waiting_days`` is None when it is not waiting.
- A target's pressure counts days since its latest action; one nobody contacted, or not
  for more than the campaign's ``pressure_days``, is stale.
- Days are never negative: a date after ``today`` counts as today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from node.domain.campaigns.records import DemandRecord, TargetRecord

#: Statuses in which a demand is still waiting to be met.
WAITING: Final = frozenset({"asked", "in_talks", "committed", "partly_met"})
NOT_ASKED: Final = "not_asked"


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One recorded status of a demand with a target, at its position of the order."""

    demand: str
    target: str
    status: str
    date: dt.date
    position: int


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One recorded answer of a candidate to a demand, at its position of the order."""

    demand: str
    target: str
    answer: str
    position: int


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One logged contact with a target."""

    target: str
    date: dt.date
    demand: str | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """Where one demand stands with one target."""

    demand: str
    target: str
    status: str = NOT_ASKED
    date: dt.date | None = None
    asked_on: dt.date | None = None
    waiting_days: int | None = None
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class Pressure:
    """How recently a target was contacted, and whether that is too long ago."""

    target: str
    last_contact: dt.date | None
    days_since_contact: int | None
    stale: bool


@dataclass(frozen=True, slots=True)
class Scoreboard:
    """Rows of targets, columns of demands (in the order given), and each target's pressure."""

    targets: tuple[str, ...]
    demands: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]
    pressure: Mapping[str, Pressure]

    def cell(self, target: str, demand: str) -> Cell | None:
        """The cell of ``demand`` with ``target``; None where it is not asked of them."""
        return self.cells.get((target, demand))

    def row(self, target: str) -> tuple[Cell | None, ...]:
        """The target's cells, one per demand column."""
        return tuple(self.cell(target, demand) for demand in self.demands)


def days_since(day: dt.date, today: dt.date) -> int:
    """Whole days from ``day`` to ``today``; 0 for a day after today."""
    return max(0, (today - day).days)


def applies(demand: DemandRecord, target: TargetRecord) -> bool:
    """Whether ``demand`` is asked of ``target``."""
    return demand.asked_of(target)


def demands_for(target: TargetRecord, demands: Iterable[DemandRecord]) -> tuple[DemandRecord, ...]:
    """The demands asked of ``target``, in the order given."""
    return tuple(d for d in demands if applies(d, target))


def targets_for(demand: DemandRecord, targets: Iterable[TargetRecord]) -> tuple[TargetRecord, ...]:
    """The targets ``demand`` is asked of, in the order given."""
    return tuple(t for t in targets if applies(demand, t))


def cells(
    targets: Sequence[TargetRecord],
    demands: Sequence[DemandRecord],
    statuses: Iterable[StatusRow],
    today: dt.date,
    answers: Iterable[AnswerRow] = (),
) -> dict[tuple[str, str], Cell]:
    """Every cell where a demand applies to a target, keyed (target id, demand id)."""
    history: dict[tuple[str, str], list[StatusRow]] = {}
    for row in statuses:
        key = (row.target, row.demand)
        held = history.get(key)
        if held is None:
            history[key] = [row]
        else:
            held.append(row)
    latest_answer: dict[tuple[str, str], AnswerRow] = {}
    for a in answers:
        key = (a.target, a.demand)
        if key not in latest_answer or a.position > latest_answer[key].position:
            latest_answer[key] = a
    out: dict[tuple[str, str], Cell] = {}
    for target in targets:
        for demand in demands:
            if not demand.asked_of(target):
                continue
            key = (target.id, demand.id)
            answer = latest_answer.get(key)
            cell = _cell(demand.id, target.id, history.get(key), today)
            out[key] = cell if answer is None else replace(cell, answer=answer.answer)
    return out


def _cell(demand: str, target: str, rows: list[StatusRow] | None, today: dt.date) -> Cell:
    if not rows:
        return Cell(demand, target)
    # One pass over the history (a page's board holds hundreds of cells).
    current = rows[0]
    asked_on: dt.date | None = None
    for r in rows:
        if r.position > current.position:
            current = r
        if r.status != NOT_ASKED and (asked_on is None or r.date < asked_on):
            asked_on = r.date
    waiting = (
        days_since(asked_on, today) if asked_on is not None and current.status in WAITING else None
    )
    return Cell(demand, target, current.status, current.date, asked_on, waiting)


def pressure(
    targets: Sequence[TargetRecord],
    actions: Iterable[ActionRow],
    today: dt.date,
    pressure_days: int,
) -> dict[str, Pressure]:
    """Each target's last contact, days since, and whether it is stale."""
    last: dict[str, dt.date] = {}
    for action in actions:
        seen = last.get(action.target)
        if seen is None or action.date > seen:
            last[action.target] = action.date
    out: dict[str, Pressure] = {}
    for target in targets:
        contact = last.get(target.id)
        days = None if contact is None else days_since(contact, today)
        out[target.id] = Pressure(target.id, contact, days, days is None or days > pressure_days)
    return out


def scoreboard(
    targets: Sequence[TargetRecord],
    demands: Sequence[DemandRecord],
    statuses: Iterable[StatusRow],
    actions: Iterable[ActionRow],
    today: dt.date,
    pressure_days: int,
    answers: Iterable[AnswerRow] = (),
) -> Scoreboard:
    """The whole board: cells, columns in the order of ``demands``, rows of ``targets``."""
    return Scoreboard(
        targets=tuple(t.id for t in targets),
        demands=tuple(d.id for d in demands),
        cells=cells(targets, demands, statuses, today, answers),
        pressure=pressure(targets, actions, today, pressure_days),
    )
