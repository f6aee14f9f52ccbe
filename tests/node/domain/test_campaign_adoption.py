"""Adoption of campaign objects by consent (PROTOCOL.md §13.11): which version stands,
which objects are drafts, and the check of a decision's ``adopts``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.domain import DomainError
from node.domain.campaigns.adoption import Adoption, VersionRow, adoptions, check_adopts

DEMAND = [
    VersionRow("d1", "d1", "demand", position=3),
    VersionRow("d2", "d1", "demand", position=8),
    VersionRow("d3", "d1", "demand", position=12),
]
TARGET = [VersionRow("t1", "t1", "target", position=4)]
STATUS = [VersionRow("s1", "s1", "status", position=5)]
VERSIONS = {v.envelope: v for v in DEMAND + TARGET + STATUS}


def test_nothing_adopted_is_a_draft() -> None:
    board = adoptions(DEMAND + TARGET, adopted=set())
    assert board == {"d1": Adoption("d1", "d3", None), "t1": Adoption("t1", "t1", None)}
    assert board["d1"].draft
    assert not board["d1"].proposed_change


def test_the_latest_version_adopted_stands_and_a_later_one_is_a_proposed_change() -> None:
    board = adoptions(reversed(DEMAND), adopted={"d1", "d2", "t1"})
    assert board["d1"] == Adoption("d1", "d3", "d2")
    assert board["d1"].draft
    assert board["d1"].proposed_change
    assert not adoptions(TARGET, adopted={"t1"})["t1"].draft


def test_adopting_the_latest_version_ends_the_draft() -> None:
    board = adoptions(DEMAND, adopted={"d3"})["d1"]
    assert (board.adopted, board.draft, board.proposed_change) == ("d3", False, False)


def test_retracted_versions_count_for_nothing() -> None:
    rows = [*DEMAND[:2], VersionRow("d3", "d1", "demand", position=12, retracted=True)]
    assert adoptions(rows, adopted={"d2", "d3"})["d1"] == Adoption("d1", "d2", "d2")


def test_a_decision_adopts_only_campaigns_targets_and_demands_of_the_circle() -> None:
    check_adopts(["d1", "d3", "t1"], VERSIONS)
    check_adopts([], VERSIONS)
    gone = {**VERSIONS, "t1": VersionRow("t1", "t1", "target", position=4, retracted=True)}
    for adopts, versions in ((["d1", "s1"], VERSIONS), (["nowhere"], VERSIONS), (["t1"], gone)):
        with pytest.raises(DomainError) as info:
            check_adopts(adopts, versions)
        assert info.value.code == "consent.unknown_object"


@given(
    st.lists(st.integers(min_value=1, max_value=50), unique=True, min_size=1),
    st.sets(st.integers(min_value=1, max_value=50)),
)
def test_the_adopted_version_is_the_latest_adopted(positions: list[int], chosen: set[int]) -> None:
    rows = [VersionRow(f"v{p}", "obj", "demand", position=p) for p in positions]
    adopted = {f"v{p}" for p in chosen}
    found = adoptions(rows, adopted)["obj"]
    assert found.latest == f"v{max(positions)}"
    standing = [p for p in positions if p in chosen]
    assert found.adopted == (f"v{max(standing)}" if standing else None)
    assert found.draft == (max(positions) not in chosen)
