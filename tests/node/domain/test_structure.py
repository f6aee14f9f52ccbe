"""The pure checks of structure by consent (PROTOCOL.md §13.14): what a home may write in
a guarded circle without a decision."""

from __future__ import annotations

from node.domain.structure import names_own_delegate

HOME = "ed25519:" + "A" * 43
OTHER = "ed25519:" + "B" * 43


def _body(member: str, roles: list[str], status: str = "active") -> dict[str, object]:
    return {"member": member, "status": status, "roles": roles}


def test_the_home_names_and_withdraws_its_own_delegates() -> None:
    sam = f"sam@{HOME}"
    assert names_own_delegate(HOME, ["secretary"], _body(sam, ["secretary", "delegate"]))
    assert names_own_delegate(HOME, [], _body(sam, ["delegate"]))  # joins as a delegate
    assert names_own_delegate(HOME, ["delegate", "secretary"], _body(sam, ["secretary"]))
    # A delegate who held no other role leaves the circle.
    assert names_own_delegate(HOME, ["delegate"], _body(sam, [], "removed"))


def test_anything_else_the_home_changes_needs_a_decision() -> None:
    sam, ben = f"sam@{HOME}", f"ben@{OTHER}"
    # Another organization's person: their own node asks for them.
    assert not names_own_delegate(HOME, [], _body(ben, ["delegate"]))
    # Another role given or taken with it, or nothing about the delegate role at all.
    assert not names_own_delegate(HOME, [], _body(sam, ["delegate", "facilitator"]))
    assert not names_own_delegate(HOME, ["secretary"], _body(sam, ["delegate"]))
    assert not names_own_delegate(HOME, None, _body(sam, []))  # adds a member
    # Removing a person who holds another role, or a node.
    assert not names_own_delegate(HOME, ["delegate", "leader"], _body(sam, [], "removed"))
    assert not names_own_delegate(HOME, [], _body(HOME, []))
