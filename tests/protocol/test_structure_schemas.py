"""A proposal's ``structure`` (PROTOCOL.md §8.4, §13.14): up to 50 changes, each a
``member`` or a ``charter`` change with its own rules; the fast check agrees."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import ErrorCode, RemoteProtocolError
from protocol.fastcheck import body_ok
from protocol.schemas import StructureCharter, StructureMember, validate_body

NODE = "ed25519:" + "A" * 43
BASE = {"title": "Change the circle", "text": "As listed."}
CHARTER = {"name": "General", "aim": "Coordinate", "federated": True, "round_hours": 48}
GOOD: list[dict[str, Any]] = [
    {"op": "member", "member": NODE, "status": "active"},
    {"op": "member", "member": f"ben@{NODE}", "status": "active", "roles": ["secretary"]},
    {"op": "member", "member": f"ben@{NODE}", "status": "removed"},
    {"op": "charter", "charter": CHARTER},
]


def test_a_proposal_carries_member_and_charter_changes() -> None:
    assert validate_body("proposal", BASE).structure == []
    body = validate_body("proposal", BASE | {"structure": GOOD})
    kinds = [type(c) for c in body.structure]
    assert kinds == [StructureMember, StructureMember, StructureMember, StructureCharter]
    assert body.structure[3].charter.round_hours == 48
    assert body_ok("proposal", BASE | {"structure": GOOD})


@pytest.mark.parametrize(
    "change",
    [
        {"op": "member", "member": NODE, "status": "active", "roles": ["delegate"]},
        {"op": "member", "member": f"ben@{NODE}", "status": "removed", "roles": ["leader"]},
        {"op": "member", "member": f"ben@{NODE}", "status": "active", "roles": ["leader"] * 2},
        {"op": "member", "member": f"ben@{NODE}", "status": "left"},
        {"op": "member", "member": f"ben@{NODE}", "status": "active", "roles": [""]},
        {"op": "charter", "charter": {**CHARTER, "round_hours": 0}},
        {"op": "rename", "name": "Other"},
    ],
)
def test_a_change_that_breaks_its_rules_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        validate_body("proposal", BASE | {"structure": [change]})
    assert info.value.code == ErrorCode.BODY_INVALID
    assert not body_ok("proposal", BASE | {"structure": [change]})


def test_a_change_missing_its_fields_or_with_others_is_refused() -> None:
    for change, code in (
        ({"op": "member", "member": NODE}, ErrorCode.BODY_MISSING_FIELD),
        ({"op": "charter"}, ErrorCode.BODY_MISSING_FIELD),
        ({"op": "charter", "charter": CHARTER, "member": NODE}, ErrorCode.BODY_UNKNOWN_FIELD),
    ):
        with pytest.raises(RemoteProtocolError) as info:
            validate_body("proposal", BASE | {"structure": [change]})
        assert info.value.code == code, change


def test_at_most_50_changes() -> None:
    assert body_ok("proposal", BASE | {"structure": [GOOD[0]] * 50})
    with pytest.raises(RemoteProtocolError) as info:
        validate_body("proposal", BASE | {"structure": [GOOD[0]] * 51})
    assert info.value.code == ErrorCode.BODY_INVALID
