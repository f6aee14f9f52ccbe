"""The scoreboard in words, worked out once per cell in Python so that the template only
places them: a campaign page's board has a cell per demand and target (225 for 9 demands
and 50 officials), and a template's conditions per cell were most of the page's cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.campaigns.records import ScoreboardView
from node.domain.campaigns.scoreboard import Cell, Pressure
from web_ui.views.campaign_words import ANSWERS, STATUSES, office_words


@dataclass(frozen=True, slots=True)
class Words:
    """What a cell shows: its main words (``style`` is their CSS class) and the notes
    below them, one a line (shown with ``white-space: pre-line``)."""

    style: str
    text: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One official's row: the link, the office, the last contact and a cell a demand."""

    target_id: str
    name: str
    office: str
    flag: str  # "stale" when nobody contacted them for too long, else ""
    contact: Words
    cells: tuple[Words, ...]


NOT_ASKED_OF_THEM = Words("meta", "not asked of them")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def pressure_words(p: Pressure, days: int) -> Words:
    """Days since the last contact, flagged (``warn``) when over the campaign's interval."""
    if p.last_contact is None or p.days_since_contact is None:
        return Words("warn", "⚠ never contacted")
    if p.stale:
        ago = f"⚠ {p.days_since_contact} days ago"
        return Words("warn", ago, f"{p.last_contact}, over {days} days")
    return Words("recent", f"{_plural(p.days_since_contact, 'day')} ago", str(p.last_contact))


def cell_words(cell: Cell | None) -> Words:
    """A demand's status with an official, since when, how long it waits, their answer."""
    if cell is None:
        return NOT_ASKED_OF_THEM
    notes = []
    if cell.date:
        notes.append(f"since {cell.date}")
    if cell.waiting_days is not None:
        notes.append(f"waiting {_plural(cell.waiting_days, 'day')}")
    if cell.answer:
        notes.append(f"answer: {ANSWERS[cell.answer]}")
    return Words(f"status-{cell.status}", STATUSES[cell.status], "\n".join(notes))


def board_rows(board: ScoreboardView) -> list[BoardRow]:
    """The board's rows in words, in its order. Cells alike in all but their ids (the
    same status since the same day) share their words, worked out once."""
    said: dict[tuple[Any, ...], Words] = {}

    def words(c: Cell | None) -> Words:
        if c is None:
            return NOT_ASKED_OF_THEM
        key = (c.status, c.date, c.waiting_days, c.answer)
        found = said.get(key)
        if found is None:
            found = said[key] = cell_words(c)
        return found

    return [
        BoardRow(
            r.target.id,
            r.target.name,
            office_words(r.target.office_type),
            "stale" if r.pressure.stale else "",
            pressure_words(r.pressure, board.pressure_days),
            tuple(words(c) for c in r.cells),
        )
        for r in board.rows
    ]
