"""Who may be a circle's home (PROTOCOL.md §13.15): a charter names the current home,
the node the circle id names, or an active member node; any other is ``circle.bad_home``."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from node.domain.circles import CircleMember, CircleState
from node.domain.errors import DomainError
from node.domain.homes import check_home, named_home
from protocol import node_id_of

FOUNDER, MEMBER, INVITED, GONE, STRANGER = (
    node_id_of(SigningKey(bytes([i]) * 32)) for i in range(1, 6)
)
CIRCLE = f"circle:general@{FOUNDER}"
STATE = CircleState(
    CIRCLE,
    MEMBER,  # the home moved to MEMBER already
    "General",
    "Coordinate",
    federated=True,
    members={
        MEMBER: CircleMember(MEMBER, "active"),
        INVITED: CircleMember(INVITED, "invited"),
        GONE: CircleMember(GONE, "removed"),
    },
)


def test_null_names_the_node_the_circle_id_names() -> None:
    assert named_home(CIRCLE, {"name": "General", "aim": "x"}) == FOUNDER
    assert named_home(CIRCLE, {"home": None}) == FOUNDER
    assert named_home(CIRCLE, {"home": MEMBER}) == MEMBER


@pytest.mark.parametrize("home", [None, FOUNDER, MEMBER])
def test_the_founder_the_current_home_or_a_member_node_may_be_home(home: str | None) -> None:
    check_home(STATE, {"home": home})


@pytest.mark.parametrize("home", [INVITED, GONE, STRANGER])
def test_any_other_node_is_refused(home: str) -> None:
    with pytest.raises(DomainError) as err:
        check_home(STATE, {"home": home})
    assert err.value.code == "circle.bad_home"
