"""The role register's fields (PROTOCOL.md §8.2, §8.3, §8.8): a charter's ``roles``, the
roles a membership names, an election's ``replaces``."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import ErrorCode, RemoteProtocolError
from protocol.schemas import validate_body

ALICE = "alice@ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w"
TREASURER = {"name": "treasurer", "description": "Keeps the money", "term_months": 12}


def test_a_charter_declares_roles_and_memberships_and_elections_name_them() -> None:
    charter = validate_body("circle", {"name": "x", "aim": "y", "roles": [TREASURER]})
    assert [(r.name, r.holders) for r in charter.roles] == [("treasurer", 1)]
    validate_body("membership", {"member": ALICE, "status": "active", "roles": ["treasurer"]})
    body = {"op": "open", "role": "treasurer", "description": "d", "term_months": 3}
    assert validate_body("selection", body).replaces is None
    assert validate_body("selection", {**body, "replaces": ALICE}).replaces == ALICE


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("circle", {"name": "x", "aim": "y", "roles": [TREASURER, TREASURER]}),
        ("circle", {"name": "x", "aim": "y", "roles": [{**TREASURER, "holders": 0}]}),
        ("circle", {"name": "x", "aim": "y", "roles": [{**TREASURER, "holders": 51}]}),
        ("circle", {"name": "x", "aim": "y", "roles": [{**TREASURER, "term_months": 121}]}),
        ("circle", {"name": "x", "aim": "y", "roles": [{"name": ""}]}),
        ("selection", {"op": "open", "role": "x", "description": "", "term_months": 1,
                       "replaces": "alice"}),
    ],
)  # fmt: skip
def test_bad_register_fields_are_invalid(kind: str, body: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        validate_body(kind, body)
    assert info.value.code == ErrorCode.BODY_INVALID


def test_a_role_spec_takes_no_other_member() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        validate_body("circle", {"name": "x", "aim": "y", "roles": [{**TREASURER, "pay": 1}]})
    assert info.value.code == ErrorCode.BODY_UNKNOWN_FIELD
