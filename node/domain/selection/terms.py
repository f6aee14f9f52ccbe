"""A selected holder's term: its calendar arithmetic (``term_months`` from ``term_start``,
the day clamped to the month's end) and when it is time for a new election."""

from __future__ import annotations

import calendar
import datetime as dt

from node.domain.selection.records import SelectionState


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's end."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end_of(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` starting on ``start`` (inclusive): a 12-month
    term from 2026-12-01 ends on 2027-11-30."""
    return add_months(start, months) - dt.timedelta(days=1)


def term_expiring(state: SelectionState, today: dt.date, within_days: int = 30) -> bool:
    """Whether the selected holder's term ends within ``within_days`` of ``today`` (or has
    ended already): time for a new election."""
    if state.outcome != "selected" or state.term_end is None:
        return False
    return (state.term_end - today).days <= within_days
