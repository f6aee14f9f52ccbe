"""The Node service on a real SQLite store with a fixed clock: members, logins, circles,
memberships, every domain error (with nothing changed), and status()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from nacl.signing import SigningKey

from node.clock import FixedClock
from node.domain import DomainError
from node.domain.members import Member
from node.service import Node
from node.store.migrate import latest_version
from protocol import Envelope, circle_id, node_id_of

SignFn = Callable[..., tuple[Envelope, str]]

PASSWORD = "correct horse battery"


async def everything(node: Node) -> tuple[Any, ...]:
    """All the node holds: the log as exported, feeds, accounts, projections."""
    lines = [line async for line in node.store.export_lines()]
    feeds = await node.store.fetchall("SELECT * FROM feeds ORDER BY author, scope")
    members = await node.store.fetchall("SELECT * FROM members ORDER BY handle")
    circles = await node.store.fetchall("SELECT * FROM circles ORDER BY id")
    held = await node.store.fetchall("SELECT * FROM circle_members ORDER BY circle_id, member")
    counts = await node.store.counts()
    return lines, feeds, members, circles, held, counts


# --- members ---------------------------------------------------------------------------------


async def test_members_are_added_listed_and_disabled(node: Node) -> None:
    ana = await node.add_member("ana", " Ana Lima ", "admin")
    assert ana == Member("ana", "Ana Lima", "admin")
    await node.add_member("bo", "Bo")
    assert await node.members() == [ana, Member("bo", "Bo", "member")]
    assert await node.member("bo") == Member("bo", "Bo", "member")
    assert await node.member("ghost") is None

    assert await node.set_disabled("bo", True) == Member("bo", "Bo", "member", disabled=True)
    assert (await node.member("bo")) == Member("bo", "Bo", "member", disabled=True)
    assert (await node.set_disabled("bo", False)).disabled is False
    assert await node.store.fetchone("SELECT created_at FROM members WHERE handle = 'ana'") == (
        "2026-11-22T10:00:00+00:00",
    )
    # Accounts are local: adding members signs nothing.
    assert [line async for line in node.store.export_lines()] == []


async def test_check_login(node: Node) -> None:
    await node.add_member("ana", "Ana", password=PASSWORD)
    await node.add_member("nopass", "No Password")

    assert await node.check_login("ana", PASSWORD) == Member("ana", "Ana", "member")
    assert await node.check_login("ana", PASSWORD + "!") is None
    assert await node.check_login("ana", "") is None
    assert await node.check_login("ghost", PASSWORD) is None
    assert await node.check_login("nopass", PASSWORD) is None

    await node.set_disabled("ana", True)
    assert await node.check_login("ana", PASSWORD) is None
    await node.set_disabled("ana", False)

    await node.set_password("ana", "a brand new secret")
    assert await node.check_login("ana", PASSWORD) is None
    assert await node.check_login("ana", "a brand new secret") == Member("ana", "Ana", "member")
    (stored,) = await node.store.fetchone("SELECT password_hash FROM members WHERE handle = 'ana'")
    assert stored.startswith("$argon2")
    assert "a brand new secret" not in stored


# --- circles and memberships ------------------------------------------------------------------


async def test_circles_with_a_parent_and_memberships_with_roles(
    node: Node, clock: FixedClock
) -> None:
    me = node.node_id
    general = await node.create_circle("General", "Coordinate the coalition")
    housing = await node.create_circle(
        " Housing ", "Homes for all", domain="rents, repairs", parent=general.id
    )
    assert general.id.startswith("circle:")
    assert general.id.endswith(f"@{me}")
    assert (housing.name, housing.aim, housing.domain, housing.parent, housing.home) == (
        "Housing",
        "Homes for all",
        "rents, repairs",
        general.id,
        me,
    )
    assert [c["name"] for c in await node.circles()] == ["General", "Housing"]

    await node.add_member("ana", "Ana")
    await node.add_member("bo", "Bo")
    await node.set_membership(general.id, "ana")
    await node.set_membership(general.id, "bo", ["facilitator"])
    clock.advance(dt.timedelta(hours=1))
    state = await node.set_membership(housing.id, "ana", ["leader", "secretary"])
    assert state.holders("leader") == [f"ana@{me}"]
    assert state.holders("secretary") == [f"ana@{me}"]

    state = await node.set_membership(housing.id, "bo", ["delegate"])
    assert state.holders("delegate") == [f"bo@{me}"]
    # ana hands over: from leader to delegate, and bo from delegate to leader.
    await node.set_membership(housing.id, "bo", [])
    await node.set_membership(housing.id, "ana", ["delegate"])
    state = await node.set_membership(housing.id, "bo", ["leader"])
    assert (state.holders("leader"), state.holders("delegate")) == ([f"bo@{me}"], [f"ana@{me}"])

    rows = await node.store.circle_member_rows(housing.id)
    assert rows == [
        {
            "member": f"ana@{me}",
            "status": "active",
            "roles": ["delegate"],
            "term_end": None,
            "final_seq": None,
            "invitation": None,
        },
        {
            "member": f"bo@{me}",
            "status": "active",
            "roles": ["leader"],
            "term_end": None,
            "final_seq": None,
            "invitation": None,
        },
    ]
    assert await node.circle(housing.id) == state
    assert await node.circle(circle_id("nowhere", me)) is None

    feed = await node.store.feed(housing.id, me)
    assert [e.kind for e in feed] == ["circle", *["membership"] * 5]
    assert feed[0].ts == "2026-11-22T10:00:00Z"
    assert feed[1].ts == "2026-11-22T11:00:00Z"
    assert feed[1].body == {
        "member": f"ana@{me}",
        "status": "active",
        "roles": ["leader", "secretary"],
    }

    await node.set_membership(housing.id, "ana", status="removed")
    assert (await node.circle(housing.id)).holders("delegate") == []  # type: ignore[union-attr]


async def test_author_signs_the_next_envelope_of_our_feed(node: Node, clock: FixedClock) -> None:
    scope = circle_id("general", node.node_id)
    first = await node.author("message", scope, {"text": "hello"}, actor=node.actor_of("ana"))
    clock.advance(dt.timedelta(minutes=5))
    second = await node.author("message", scope, {"text": "again"}, refs=[first.id or ""])
    assert first.envelope is not None
    assert second.envelope is not None
    assert (first.envelope.seq, first.envelope.prev, first.envelope.actor) == (
        1,
        None,
        f"ana@{node.node_id}",
    )
    assert (second.envelope.seq, second.envelope.prev, second.envelope.refs) == (
        2,
        first.id,
        (first.id,),
    )
    assert second.envelope.ts == "2026-11-22T10:05:00Z"
    assert second.envelope.author == node.node_id


async def test_a_linked_node_joins_a_federated_circle_by_its_own_acceptance(
    node: Node, peer_key: SigningKey, sign_env: SignFn
) -> None:
    coalition = await node.create_circle("Coalition", "Together", federated=True)
    peer = node_id_of(peer_key)
    state = await node.set_membership(coalition.id, peer)
    invited = state.members[peer]
    assert (invited.status, state.is_active(peer)) == ("invited", False)
    assert invited.invitation is not None
    # While no other node has joined, the home names people and roles alone (§13.14).
    await node.set_membership(coalition.id, f"sam@{peer}", ["delegate"])
    accept = {"member": peer, "status": "active", "roles": []}
    env = sign_env(
        peer_key, coalition.id, 1, None, kind="membership", body=accept, refs=(invited.invitation,)
    )
    [r] = await node.store.append_remote([env], node.clock.now(), self_id=node.node_id, sender=peer)
    assert r.status == "accepted"
    state = await node.circle(coalition.id)
    assert state is not None
    assert state.is_active(peer)
    assert state.holders("delegate") == [f"sam@{peer}"]
    # From now on the circle decides its members and roles.
    with pytest.raises(DomainError) as err:
        await node.set_membership(coalition.id, f"sam@{peer}", [])
    assert err.value.code == "circle.not_decided"


# --- every domain error, nothing changed -------------------------------------------------------


@pytest.fixture
async def world(node: Node, peer_key: SigningKey, sign_env: SignFn) -> dict[str, str]:
    """Members ana, bo, cy (disabled), dee; General > Housing; a federated Coalition
    circle; and a circle homed on a peer."""
    for handle in ("ana", "bo", "cy", "dee"):
        await node.add_member(handle, handle.title())
    await node.set_disabled("cy", True)
    general = await node.create_circle("General", "Coordinate")
    housing = await node.create_circle("Housing", "Homes", parent=general.id)
    coalition = await node.create_circle("Coalition", "Together", federated=True)
    await node.set_membership(general.id, "ana")
    await node.set_membership(general.id, "bo")
    await node.set_membership(housing.id, "ana", ["leader"])
    await node.set_membership(housing.id, "bo", ["facilitator"])
    theirs = circle_id("theirs", node_id_of(peer_key))
    env = sign_env(peer_key, theirs, 1, None, kind="circle", body={"name": "T", "aim": "A"})
    [r] = await node.store.append_remote([env], node.clock.now())
    assert r.status == "accepted"
    await node.set_membership(coalition.id, node_id_of(peer_key))  # invited, not yet a member
    return {
        "peer": node_id_of(peer_key),
        "general": general.id,
        "housing": housing.id,
        "coalition": coalition.id,
        "theirs": theirs,
        "nowhere": circle_id("nowhere", node.node_id),
    }


PEER = "ed25519:" + "A" * 43

FAILING: list[tuple[str, Callable[[Node, dict[str, str]], Awaitable[object]]]] = [
    ("member.bad_handle", lambda n, w: n.add_member("Bad Handle", "X")),
    ("member.exists", lambda n, w: n.add_member("ana", "Another Ana")),
    ("member.bad_role", lambda n, w: n.add_member("eve", "Eve", "root")),
    ("member.bad_name", lambda n, w: n.add_member("eve", "   ")),
    ("member.weak_password", lambda n, w: n.add_member("eve", "Eve", password="short")),
    ("member.weak_password", lambda n, w: n.set_password("ana", "short")),
    ("member.unknown", lambda n, w: n.set_password("ghost", PASSWORD)),
    ("member.unknown", lambda n, w: n.set_disabled("ghost", True)),
    ("member.unknown", lambda n, w: n.set_membership(w["general"], "ghost")),
    ("member.disabled", lambda n, w: n.set_membership(w["general"], "cy")),
    ("circle.bad_name", lambda n, w: n.create_circle("", "aim")),
    ("circle.bad_name", lambda n, w: n.create_circle("x" * 201, "aim")),
    ("circle.no_aim", lambda n, w: n.create_circle("Food", " ")),
    ("circle.unknown", lambda n, w: n.create_circle("Food", "aim", parent=w["nowhere"])),
    ("circle.unknown", lambda n, w: n.set_membership(w["nowhere"], "ana")),
    ("circle.not_home", lambda n, w: n.set_membership(w["theirs"], "ana")),
    ("circle.local_only", lambda n, w: n.set_membership(w["general"], PEER)),
    ("circle.unknown_role", lambda n, w: n.set_membership(w["general"], "ana", ["chair"])),
    ("circle.bad_status", lambda n, w: n.set_membership(w["general"], "ana", [], "asleep")),
    (
        "circle.leader_is_delegate",
        lambda n, w: n.set_membership(w["housing"], "bo", ["leader", "delegate"]),
    ),
    ("circle.role_taken", lambda n, w: n.set_membership(w["housing"], "bo", ["leader"])),
    ("circle.role_taken", lambda n, w: n.set_membership(w["housing"], "ana", ["facilitator"])),
    ("circle.not_in_parent", lambda n, w: n.set_membership(w["housing"], "dee", ["delegate"])),
    ("circle.double_link", lambda n, w: n.set_membership(w["general"], "ana", [], "removed")),
    ("circle.not_member", lambda n, w: n.set_membership(w["coalition"], "bo", [], "removed")),
    ("circle.invited", lambda n, w: n.set_membership(w["coalition"], w["peer"])),
    # Protocol rules the domain does not repeat come back as DomainErrors with their code.
    ("schema.invalid", lambda n, w: n.create_circle("Food", "x" * 20_001)),
    ("schema.invalid", lambda n, w: n.set_membership(w["coalition"], PEER, ["delegate"])),
]


@pytest.mark.parametrize(
    ("code", "command"), FAILING, ids=[f"{i}-{c}" for i, (c, _) in enumerate(FAILING)]
)
async def test_a_refused_command_changes_nothing(
    node: Node,
    world: dict[str, str],
    code: str,
    command: Callable[[Node, dict[str, str]], Awaitable[object]],
) -> None:
    before = await everything(node)
    with pytest.raises(DomainError) as info:
        await command(node, world)
    assert info.value.code == code
    assert await everything(node) == before
    # The node keeps working after the refusal.
    await node.author("message", world["general"], {"text": "still writing"})
    assert (await node.store.counts())["message"] == 1


# --- status -----------------------------------------------------------------------------------


async def test_status_reports_identity_counts_and_evidence(
    node: Node, world: dict[str, str], peer_key: SigningKey, sign_env: SignFn
) -> None:
    scope = world["coalition"]
    e1 = sign_env(peer_key, scope, 1, None)
    twin = sign_env(peer_key, scope, 1, None, body={"text": "a different first"})
    await node.store.append_remote([e1], node.clock.now())
    [r] = await node.store.append_remote([twin], node.clock.now())
    assert r.status == "equivocation"

    status = await node.status()
    evidence = status.pop("equivocations")
    commits = status.pop("commits")
    assert status == {
        "node_id": node.node_id,
        "name": "Riverside Tenants",
        "url": "http://127.0.0.1:8470",
        "schema_version": latest_version(),
        "envelopes": {"circle": 4, "membership": 5, "message": 1},
        "members": 4,
        "circles": 4,
        "peers": [],
        "queues": {},
        "disputes": [],
        "circle_invitations": [],
        "mail": {"enabled": False},
        "last_errors": [],
    }
    assert [(e["id"], e["held_id"], e["seq"]) for e in evidence] == [(twin[1], e1[1], 1)]
    assert evidence[0]["author"] == node_id_of(peer_key)
    assert evidence[0]["detected_at"] == "2026-11-22T10:00:00Z"
    assert 1 <= commits["batches"] <= commits["writes"]


async def test_status_of_an_empty_node(node: Node) -> None:
    status = await node.status()
    assert status["envelopes"] == {}
    assert (status["members"], status["circles"], status["equivocations"]) == (0, 0, [])
    assert status["commits"] == {"batches": 0, "writes": 0}


async def test_a_node_reopened_keeps_its_state(
    tmp_path: Any, node: Node, key: SigningKey, clock: FixedClock
) -> None:
    from node.config import Config
    from node.store import SQLiteStore

    await node.add_member("ana", "Ana", password=PASSWORD)
    general = await node.create_circle("General", "Coordinate")
    await node.set_membership(general.id, "ana", ["leader"])
    await node.store.close()

    store = SQLiteStore(tmp_path / "nst.sqlite3", backup_dir=tmp_path / "backups")
    async with store:
        again = Node(Config(data_dir=tmp_path), store, key, clock)
        assert await again.check_login("ana", PASSWORD) == Member("ana", "Ana", "member")
        state = await again.circle(general.id)
        assert state is not None
        assert state.holders("leader") == [again.actor_of("ana")]
        nxt = await again.author("message", general.id, {"text": "after restart"})
        assert nxt.envelope is not None
        assert nxt.envelope.seq == 3
