"""The campaign scoreboard: cells where a demand is asked of a target, the latest status
in the circle order, days waiting since first asked, and stale targets."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from node.domain.campaigns.records import DemandRecord, TargetRecord
from node.domain.campaigns.scoreboard import (
    WAITING,
    ActionRow,
    AnswerRow,
    Cell,
    StatusRow,
    applies,
    cells,
    days_since,
    demands_for,
    pressure,
    scoreboard,
    targets_for,
)

C = "campaign"
MAYOR = TargetRecord("mayor", C, "mayor")
DA = TargetRecord("da", C, "district_attorney", candidate=True)
SHERIFF = TargetRecord("sheriff", C, "sheriff")
TARGETS = [MAYOR, DA, SHERIFF]
CAMERAS = DemandRecord("cameras", C, office_type="mayor")
BAIL = DemandRecord("bail", C, office_type="district_attorney")
METRICS = DemandRecord("metrics", C, target="da")
DEMANDS = [CAMERAS, BAIL, METRICS]
TODAY = dt.date(2027, 1, 31)


def day(n: int) -> dt.date:
    """January n of 2027 (n may run past the month)."""
    return dt.date(2027, 1, 1) + dt.timedelta(days=n - 1)


def test_which_demands_apply_to_which_target() -> None:
    assert applies(CAMERAS, MAYOR)
    assert not applies(CAMERAS, DA)
    assert applies(METRICS, DA)
    assert not applies(METRICS, MAYOR)
    assert demands_for(DA, DEMANDS) == (BAIL, METRICS)
    assert demands_for(SHERIFF, DEMANDS) == ()
    assert targets_for(CAMERAS, TARGETS) == (MAYOR,)
    assert targets_for(METRICS, TARGETS) == (DA,)


def test_cells_exist_only_where_a_demand_is_asked() -> None:
    board = scoreboard(TARGETS, DEMANDS, [], [], TODAY, 7)
    assert set(board.cells) == {("mayor", "cameras"), ("da", "bail"), ("da", "metrics")}
    assert board.row("mayor") == (Cell("cameras", "mayor"), None, None)
    assert board.row("sheriff") == (None, None, None)
    assert board.cell("da", "bail") == Cell("bail", "da", "not_asked")
    assert board.targets == ("mayor", "da", "sheriff")
    assert board.demands == ("cameras", "bail", "metrics")


def test_the_latest_status_in_the_order_wins_and_waiting_counts_from_first_asked() -> None:
    rows = [
        StatusRow("cameras", "mayor", "asked", day(3), position=10),
        StatusRow("cameras", "mayor", "in_talks", day(20), position=30),
        # Recorded later, about an earlier day: still the current status.
        StatusRow("cameras", "mayor", "committed", day(15), position=40),
        StatusRow("bail", "da", "asked", day(10), position=20),
        StatusRow("bail", "da", "refused", day(25), position=50),
        # A status of a demand not asked of this target counts for nothing.
        StatusRow("cameras", "da", "met", day(5), position=60),
    ]
    board = cells(TARGETS, DEMANDS, rows, TODAY)
    assert board[("mayor", "cameras")] == Cell("cameras", "mayor", "committed", day(15), day(3), 28)
    assert board[("da", "bail")] == Cell("bail", "da", "refused", day(25), day(10), None)
    assert board[("da", "metrics")] == Cell("metrics", "da")
    assert ("da", "cameras") not in board


def test_not_asked_waits_for_nothing_and_met_stops_the_wait() -> None:
    rows = [StatusRow("cameras", "mayor", "not_asked", day(1), position=1)]
    assert cells([MAYOR], [CAMERAS], rows, TODAY)[("mayor", "cameras")].waiting_days is None
    rows.append(StatusRow("cameras", "mayor", "partly_met", day(2), position=2))
    assert cells([MAYOR], [CAMERAS], rows, TODAY)[("mayor", "cameras")].waiting_days == 29
    rows.append(StatusRow("cameras", "mayor", "met", day(9), position=3))
    met = cells([MAYOR], [CAMERAS], rows, TODAY)[("mayor", "cameras")]
    assert (met.status, met.asked_on, met.waiting_days) == ("met", day(2), None)


def test_a_date_after_today_waits_zero_days() -> None:
    rows = [StatusRow("cameras", "mayor", "asked", TODAY + dt.timedelta(days=3), position=1)]
    assert cells([MAYOR], [CAMERAS], rows, TODAY)[("mayor", "cameras")].waiting_days == 0
    assert days_since(TODAY + dt.timedelta(days=1), TODAY) == 0
    assert days_since(day(30), TODAY) == 1


def test_a_candidates_latest_answer_shows_in_the_cell() -> None:
    answers = [
        AnswerRow("bail", "da", "no_answer", position=5),
        AnswerRow("bail", "da", "pledged", position=9),
        AnswerRow("metrics", "da", "refused", position=7),
        AnswerRow("cameras", "da", "pledged", position=8),  # not asked of the DA
    ]
    board = scoreboard(TARGETS, DEMANDS, [], [], TODAY, 7, answers=reversed(answers))
    assert board.cell("da", "bail") == Cell("bail", "da", answer="pledged")
    assert board.cell("da", "metrics") == Cell("metrics", "da", answer="refused")
    assert board.cell("da", "cameras") is None


def test_pressure_counts_days_since_the_latest_contact() -> None:
    actions = [
        ActionRow("mayor", day(30), "cameras"),
        ActionRow("mayor", day(10)),
        ActionRow("da", day(23)),
        ActionRow("da", day(24)),
        ActionRow("someone else", day(31)),
    ]
    board = pressure(TARGETS, actions, TODAY, pressure_days=7)
    assert set(board) == {"mayor", "da", "sheriff"}
    assert (board["mayor"].last_contact, board["mayor"].days_since_contact) == (day(30), 1)
    assert not board["mayor"].stale
    assert board["da"].days_since_contact == 7
    assert not board["da"].stale  # exactly the limit
    assert pressure([DA], actions, TODAY, pressure_days=6)["da"].stale
    # Nobody ever contacted the sheriff: flagged.
    assert (board["sheriff"].last_contact, board["sheriff"].days_since_contact) == (None, None)
    assert board["sheriff"].stale


# --- properties -----------------------------------------------------------------------------

STATUSES = ["not_asked", "asked", "in_talks", "committed", "partly_met", "met", "refused"]
dates = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31))
status_rows = st.lists(
    st.builds(
        StatusRow,
        demand=st.sampled_from(["cameras", "bail", "metrics"]),
        target=st.sampled_from(["mayor", "da", "sheriff"]),
        status=st.sampled_from(STATUSES),
        date=dates,
        position=st.integers(min_value=1, max_value=10_000),
    ),
    max_size=30,
    unique_by=lambda r: r.position,  # one envelope per position
)


@given(status_rows, dates)
def test_the_board_holds_whatever_the_rows(rows: list[StatusRow], today: dt.date) -> None:
    board = cells(TARGETS, DEMANDS, rows, today)
    for (target, demand), cell in board.items():
        mine = [r for r in rows if (r.target, r.demand) == (target, demand)]
        if not mine:
            assert cell == Cell(demand, target)
            continue
        latest = max(mine, key=lambda r: r.position)
        assert (cell.status, cell.date) == (latest.status, latest.date)
        assert (cell.waiting_days is None) == (cell.status not in WAITING)
        asked = [r.date for r in mine if r.status != "not_asked"]
        assert cell.asked_on == (min(asked) if asked else None)
        if cell.waiting_days is not None:
            assert cell.asked_on is not None
            assert cell.waiting_days == max(0, (today - cell.asked_on).days) >= 0


@given(status_rows, st.sampled_from(STATUSES), dates, dates)
def test_a_later_status_always_wins(
    rows: list[StatusRow], status: str, when: dt.date, today: dt.date
) -> None:
    last = max((r.position for r in rows), default=0) + 1
    newest = StatusRow("bail", "da", status, when, last)
    cell = cells(TARGETS, DEMANDS, [*rows, newest], today)[("da", "bail")]
    assert (cell.status, cell.date) == (status, when)


@given(
    st.lists(st.builds(ActionRow, target=st.sampled_from(["mayor", "da"]), date=dates)),
    dates,
    st.integers(min_value=1, max_value=365),
)
def test_days_since_contact_are_never_negative(
    actions: list[ActionRow], today: dt.date, days: int
) -> None:
    for p in pressure(TARGETS, actions, today, days).values():
        assert p.stale == (p.days_since_contact is None or p.days_since_contact > days)
        if p.days_since_contact is not None:
            assert p.days_since_contact >= 0
            assert p.last_contact == max(a.date for a in actions if a.target == p.target)
