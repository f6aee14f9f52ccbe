"""The domain rules as pure functions: every error code, the allowed cases, and a
stateful model check of the double-link invariants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from node.domain import DomainError
from node.domain.circles import (
    LINK_ROLES,
    ROLES,
    SINGLE_HOLDER,
    CircleMember,
    CircleState,
    circle_body,
    membership_body,
)
from node.domain.members import Member, check_password, new_member, require
from protocol import circle_id, validate_body

HOME = "ed25519:0EqyMnQrtKs6E2i9RhXk5tAiSrcaAWuvhSCjMsl3hzc"


def actor(handle: str) -> str:
    return f"{handle}@{HOME}"


def circle(
    local: str,
    members: dict[str, tuple[str, ...]] | None = None,
    parent: CircleState | None = None,
    removed: Sequence[str] = (),
) -> CircleState:
    """A circle whose ``members`` map handle -> roles (all active), plus removed ones."""
    held = {actor(h): CircleMember(actor(h), "active", r) for h, r in (members or {}).items()}
    held.update({actor(h): CircleMember(actor(h), "removed") for h in removed})
    return CircleState(
        id=circle_id(local, HOME),
        home=HOME,
        name=local.title(),
        aim="an aim",
        parent=parent.id if parent else None,
        members=held,
    )


def code_of(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.message
    assert str(info.value).startswith(info.value.code)
    return info.value.code


# --- members ---------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["", "Ana", "-ana", ".ana", "ana maria", "a" * 33, "ana@x", "é"])
def test_bad_handles_are_refused(handle: str) -> None:
    assert code_of(new_member, None, handle, "Ana", "member") == "member.bad_handle"


@pytest.mark.parametrize("handle", ["ana", "a", "0", "a.b-c_1", "a" * 32])
def test_good_handles_are_accepted(handle: str) -> None:
    assert new_member(None, handle, "Ana", "member") == Member(handle, "Ana", "member")


def test_an_existing_member_is_not_added_twice() -> None:
    ana = Member("ana", "Ana", "member")
    assert code_of(new_member, ana, "ana", "Ana B", "member") == "member.exists"


@pytest.mark.parametrize("role", ["owner", "Admin", "", "leader"])
def test_node_roles_are_member_or_admin(role: str) -> None:
    assert code_of(new_member, None, "ana", "Ana", role) == "member.bad_role"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_display_names_are_refused(name: str) -> None:
    assert code_of(new_member, None, "ana", name, "member") == "member.bad_name"


def test_display_name_is_trimmed_and_admins_allowed() -> None:
    assert new_member(None, "ana", "  Ana Lima ", "admin") == Member("ana", "Ana Lima", "admin")
    assert new_member(None, "bo", "x" * 200, "member").display_name == "x" * 200


def test_passwords_need_ten_characters() -> None:
    assert code_of(check_password, "") == "member.weak_password"
    assert code_of(check_password, "123456789") == "member.weak_password"
    check_password("1234567890")


def test_require_names_an_unknown_member() -> None:
    assert code_of(require, None, "ghost") == "member.unknown"
    ana = Member("ana", "Ana", "member")
    assert require(ana, "ana") is ana


# --- circle charters ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "  ", "x" * 201])
def test_circle_names_are_one_to_two_hundred_characters(name: str) -> None:
    assert code_of(circle_body, name, "an aim", "", None, False) == "circle.bad_name"


def test_a_circle_needs_an_aim() -> None:
    assert code_of(circle_body, "Housing", "  \n", "", None, False) == "circle.no_aim"


def test_circle_body_is_trimmed_and_a_valid_schema() -> None:
    parent = circle("general")
    body = circle_body(" Housing ", " Homes for all ", " rents ", parent, True)
    assert body == {
        "name": "Housing",
        "aim": "Homes for all",
        "domain": "rents",
        "parent": parent.id,
        "federated": True,
    }
    plain = circle_body("General", "Coordinate", "", None, False)
    assert plain == {"name": "General", "aim": "Coordinate", "federated": False}
    for b in (body, plain):
        validate_body("circle", b)


# --- membership: every rejection ---------------------------------------------------------------


def test_status_must_be_active_or_removed() -> None:
    c = circle("general")
    assert code_of(membership_body, c, None, [], actor("ana"), [], "paused") == "circle.bad_status"


def test_unknown_roles_are_refused() -> None:
    c = circle("general")
    assert code_of(membership_body, c, None, [], actor("ana"), ["chair"]) == "circle.unknown_role"


def test_nobody_is_leader_and_delegate_at_once() -> None:
    parent = circle("general", {"ana": (), "bo": ()})
    c = circle("housing", {"bo": ("delegate",), "cy": ("leader",)}, parent)
    args = (c, parent, [])
    assert (
        code_of(membership_body, *args, actor("ana"), ["leader", "delegate"])
        == "circle.leader_is_delegate"
    )


@pytest.mark.parametrize("role", SINGLE_HOLDER)
def test_single_holder_roles_are_taken_by_one(role: str) -> None:
    parent = circle("general", {"ana": (), "bo": ()})
    c = circle("housing", {"ana": (role,)}, parent)
    assert code_of(membership_body, c, parent, [], actor("bo"), [role]) == "circle.role_taken"


def test_a_removed_holder_frees_the_role() -> None:
    c = circle("general", {"bo": ()}, removed=["ana"])
    body = membership_body(c, None, [], actor("bo"), ["facilitator"])
    assert body["roles"] == ["facilitator"]


@pytest.mark.parametrize("role", LINK_ROLES)
def test_link_roles_need_parent_membership(role: str) -> None:
    parent = circle("general", {"ana": ()}, removed=["bo"])
    c = circle("housing", {}, parent)
    for who in ("bo", "cy"):  # removed from the parent, never in it
        assert code_of(membership_body, c, parent, [], actor(who), [role]) == "circle.not_in_parent"
    assert membership_body(c, parent, [], actor("ana"), [role])["roles"] == [role]


@pytest.mark.parametrize("role", LINK_ROLES)
def test_a_link_holder_cannot_leave_the_parent_first(role: str) -> None:
    parent = circle("general", {"ana": (), "bo": ()})
    child = circle("housing", {"ana": (role,)}, parent)
    other = circle("food", {"ana": ()}, parent)
    assert (
        code_of(membership_body, parent, None, [other, child], actor("ana"), [], "removed")
        == "circle.double_link"
    )
    # Without a link role in any child, leaving is fine.
    body = membership_body(parent, None, [other, child], actor("bo"), [], "removed")
    assert body == {"member": actor("bo"), "status": "removed", "roles": []}


def test_only_members_can_be_removed() -> None:
    c = circle("general", {"ana": ()}, removed=["bo"])
    for who in ("bo", "cy"):
        assert code_of(membership_body, c, None, [], actor(who), [], "removed") == (
            "circle.not_member"
        )


# --- membership: allowed cases ------------------------------------------------------------------


def test_joining_with_roles_dedupes_and_is_a_valid_schema() -> None:
    parent = circle("general", {"ana": ()})
    c = circle("housing", {}, parent)
    body = membership_body(c, parent, [], actor("ana"), ["leader", "secretary", "leader"])
    assert body == {"member": actor("ana"), "status": "active", "roles": ["leader", "secretary"]}
    validate_body("membership", body)


def test_removal_clears_roles_and_a_holder_keeps_their_own_role() -> None:
    c = circle("general", {"ana": ("facilitator",), "bo": ()})
    assert membership_body(c, None, [], actor("ana"), ["facilitator", "secretary"])["roles"] == [
        "facilitator",
        "secretary",
    ]
    removed = membership_body(c, None, [], actor("ana"), ["facilitator"], "removed")
    assert removed == {"member": actor("ana"), "status": "removed", "roles": []}


def test_a_top_circle_has_no_parent_rule() -> None:
    c = circle("general")
    assert membership_body(c, None, [], actor("ana"), ["leader"])["roles"] == ["leader"]


@pytest.mark.parametrize(("before", "after"), [("leader", "delegate"), ("delegate", "leader")])
def test_the_leader_can_become_the_delegate_in_one_step(before: str, after: str) -> None:
    """Roles are replaced as a whole, so the new state holds only the new role."""
    parent = circle("general", {"ana": ()})
    c = circle("housing", {"ana": (before,)}, parent)
    assert membership_body(c, parent, [], actor("ana"), [after])["roles"] == [after]


# --- a stateful model check ---------------------------------------------------------------------

PEOPLE = [actor(h) for h in ("ana", "bo", "cy", "dee", "eli")]
CIRCLES = ("general", "housing", "food")
role_lists = st.lists(st.sampled_from(ROLES), max_size=3)

Model = dict[str, dict[str, CircleMember]]


def violations(model: Model) -> set[str]:
    """The invariants a state breaks, each named by the code that protects it."""
    found = set()
    for local, members in model.items():
        active = [m for m in members.values() if m.active]
        for role in SINGLE_HOLDER:
            if sum(role in m.roles for m in active) > 1:
                found.add("circle.role_taken")
        # Two delegates per organization by default (all PEOPLE are of one node).
        if sum("delegate" in m.roles for m in active) > 2:
            found.add("circle.role_taken")
        if any({"leader", "delegate"} <= set(m.roles) for m in active):
            found.add("circle.leader_is_delegate")
        if any(m.roles and not m.active for m in members.values()):
            found.add("removed member holds a role")
        if local != "general":
            parent = model["general"]
            for m in active:
                linked = set(m.roles) & set(LINK_ROLES)
                if linked and not (m.member in parent and parent[m.member].active):
                    found.add("circle.not_in_parent")
    return found


class DoubleLinks(RuleBasedStateMachine):
    """Random membership commands on a parent and two children, through membership_body;
    accepted bodies are applied. The rules must accept exactly the commands whose
    resulting state keeps every invariant."""

    def __init__(self) -> None:
        super().__init__()
        self.model: Model = {c: {} for c in CIRCLES}

    def state(self, local: str) -> CircleState:
        return CircleState(
            id=circle_id(local, HOME),
            home=HOME,
            name=local,
            aim="aim",
            parent=None if local == "general" else circle_id("general", HOME),
            members=dict(self.model[local]),
        )

    @rule(
        local=st.sampled_from(CIRCLES),
        member=st.sampled_from(PEOPLE),
        roles=role_lists,
        status=st.sampled_from(["active", "active", "removed"]),
    )
    def set_membership(self, local: str, member: str, roles: list[str], status: str) -> None:
        parent = None if local == "general" else self.state("general")
        children = [self.state(c) for c in CIRCLES if c != "general"] if parent is None else []
        proposed = {c: dict(ms) for c, ms in self.model.items()}
        new_roles = () if status == "removed" else tuple(dict.fromkeys(roles))
        proposed[local][member] = CircleMember(member, status, new_roles)
        expected = violations(proposed)
        if status == "removed" and not self.state(local).is_active(member):
            expected.add("circle.not_member")
        if local == "general" and "circle.not_in_parent" in expected:
            expected.discard("circle.not_in_parent")
            expected.add("circle.double_link")
        try:
            body = membership_body(self.state(local), parent, children, member, roles, status)
        except DomainError as exc:
            refused: DomainError | None = exc
        else:
            refused = None
        if refused is not None:
            assert expected, f"{refused.code} refused a command that keeps every invariant"
            assert refused.code in expected
            event(refused.code)
            return
        assert not expected, f"accepted a command that breaks {expected}"
        assert body == {"member": member, "status": status, "roles": list(new_roles)}
        validate_body("membership", body)
        self.model[local][member] = CircleMember(member, status, tuple(body["roles"]))
        event(f"accepted {status}" + (" with a link role" if set(roles) & {*LINK_ROLES} else ""))

    @invariant()
    def one_holder_per_single_role(self) -> None:
        for members in self.model.values():
            for role in SINGLE_HOLDER:
                assert sum(m.active and role in m.roles for m in members.values()) <= 1

    @invariant()
    def leader_is_never_delegate(self) -> None:
        for members in self.model.values():
            for m in members.values():
                assert not {"leader", "delegate"} <= set(m.roles)

    @invariant()
    def links_are_parent_members(self) -> None:
        parent = self.model["general"]
        for local in CIRCLES[1:]:
            for m in self.model[local].values():
                if m.active and set(m.roles) & set(LINK_ROLES):
                    assert m.member in parent
                    assert parent[m.member].active


DoubleLinks.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestDoubleLinks = DoubleLinks.TestCase


def test_a_member_node_may_name_only_its_own_people_as_delegates() -> None:
    from nacl.signing import SigningKey

    from node.domain.authority import check_authority, is_delegation
    from node.domain.circles import CircleMember, CircleState
    from protocol import Draft, Envelope, ErrorCode, RemoteProtocolError, node_id_of, sign

    home, member, other = (SigningKey(bytes([i]) * 32) for i in (3, 4, 5))
    h, m, o = (node_id_of(k) for k in (home, member, other))
    circle = CircleState(
        f"circle:general@{h}",
        h,
        "General",
        "aim",
        federated=True,
        members={m: CircleMember(m, "active"), o: CircleMember(o, "active")},
    )

    def request(body: dict[str, object]) -> Envelope:
        draft = Draft("membership", circle.id, 1, None, body, "2026-11-22T10:00:00Z")
        return sign(draft, member)

    ok = request({"member": f"bo@{m}", "status": "active", "roles": ["delegate"]})
    assert is_delegation(ok, circle)
    check_authority(ok, circle, h)
    for body in (
        {"member": f"cleo@{o}", "status": "active", "roles": ["delegate"]},  # not its own
        {"member": f"bo@{m}", "status": "active", "roles": ["leader"]},  # not its to give
        {"member": o, "status": "active"},  # a node
    ):
        with pytest.raises(RemoteProtocolError) as exc:
            check_authority(request(body), circle, h)
        assert exc.value.code == ErrorCode.NOT_HOME
    local = CircleState(circle.id, h, "Local", "aim", members=circle.members)
    assert not is_delegation(ok, local)  # local circles have no member nodes' requests
