"""The node's core service: the one place that turns commands into signed, stored envelopes.

``NodeCore(config, store, key, clock)`` holds no globals, so one process can run several
nodes (the tests do). It knows none of the node's features: each (``node.governance``,
``node.accounts``, …) is built over a ``NodeCore``, and ``node.service.Node`` composes
them. The CLI, the web UI and federation call that Node; none of them touches storage
directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from nacl.signing import SigningKey

from node.clock import Clock
from node.config import Config
from node.domain.circles import CircleState, circle_body, membership_body
from node.domain.errors import DomainError
from node.domain.members import Member, check_password, new_member, require
from node.store import AppendResult, LocalDraft, Store
from node.store.governance import require_applied
from node.store.log import append_local
from node.store.state import load_children, load_circle, load_member, read_circle
from protocol import ErrorCode, RemoteProtocolError, new_circle_id, node_id_of
from protocol.ids import NODE_PREFIX

_HASHER = PasswordHasher()


class Links(Protocol):
    """What the federation offers the rest of the node about links with other nodes."""

    async def create_invite(self, expires: dt.timedelta = ..., note: str = "") -> Any: ...
    async def link(self, invite_text: str) -> Any: ...
    async def unlink(self, node_id: str) -> Any: ...


class NodeCore:
    """The log, the members and circles, and the node's links: what every feature uses."""

    def __init__(self, config: Config, store: Store, key: SigningKey, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.key = key
        self.clock = clock
        self.node_id = node_id_of(key)
        # Called after every change this service commits (federation wakes its delivery).
        self.listeners: list[Callable[[], None]] = []
        # Called after governance state may have changed (live updates of the web UI).
        self.governance_listeners: list[Callable[[], None]] = []
        # Set by the federation when it is installed (the composition root): links with
        # other organizations' nodes, for the web UI's admin pages.
        self.links: Links | None = None
        self._peer_names: dict[str, str] = {}
        self._people: dict[str, str] = {}

    def notify(self) -> None:
        for listener in self.listeners:
            listener()
        self.notify_governance()

    def notify_governance(self) -> None:
        for listener in self.governance_listeners:
            listener()

    # --- the log ------------------------------------------------------------------------

    async def author(
        self,
        kind: str,
        scope: str,
        body: dict[str, Any],
        *,
        actor: str | None = None,
        refs: Sequence[str] = (),
    ) -> AppendResult:
        """Sign and append an envelope of ours; raises RemoteProtocolError if it breaks
        a protocol rule (e.g. a body from a form that fails its schema)."""
        draft = LocalDraft(kind, scope, body, actor, tuple(refs))
        result = await self.store.append_local(draft, self.key, self.clock.now())
        self.notify()
        return result

    def org_names(self) -> dict[str, str]:
        """Node id -> organization name: this node's and its peers' (as last loaded)."""
        return {**self._peer_names, self.node_id: self.config.name}

    async def load_org_names(self) -> dict[str, str]:
        rows = await self.store.fetchall("SELECT node_id, name FROM peers")
        self._peer_names = {n: name for n, name in rows if name}
        return self.org_names()

    def people_names(self) -> dict[str, str]:
        """This node's handles -> display names (as last loaded)."""
        return self._people

    async def load_names(self) -> None:
        """Load the names pages show: organizations' and this node's members'."""
        await self.load_org_names()
        rows = await self.store.fetchall("SELECT handle, display_name FROM members")
        self._people = {handle: name for handle, name in rows if name}

    def actor_of(self, handle: str) -> str:
        return f"{handle}@{self.node_id}"

    # --- members ------------------------------------------------------------------------

    async def add_member(
        self, handle: str, display_name: str, role: str = "member", password: str | None = None
    ) -> Member:
        hashed = await self._hash(password) if password is not None else None
        now = self.clock.now().isoformat()

        def run(conn: sqlite3.Connection) -> Member:
            member = new_member(load_member(conn, handle), handle, display_name, role)
            conn.execute(
                "INSERT INTO members (handle, display_name, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (member.handle, member.display_name, member.role, hashed, now),
            )
            return member

        return await self.store.write(run)

    async def members(self) -> list[Member]:
        rows = await self.store.fetchall(
            "SELECT handle, display_name, role, disabled FROM members ORDER BY handle"
        )
        return [Member(h, n, r, bool(d)) for h, n, r, d in rows]

    async def member(self, handle: str) -> Member | None:
        row = await self.store.fetchone(
            "SELECT handle, display_name, role, disabled FROM members WHERE handle = ?",
            (handle,),
        )
        return Member(row[0], row[1], row[2], bool(row[3])) if row else None

    async def set_disabled(self, handle: str, disabled: bool) -> Member:
        def run(conn: sqlite3.Connection) -> Member:
            member = require(load_member(conn, handle), handle)
            conn.execute(
                "UPDATE members SET disabled = ? WHERE handle = ?", (int(disabled), handle)
            )
            return Member(member.handle, member.display_name, member.role, disabled)

        return await self.store.write(run)

    async def set_password(self, handle: str, password: str) -> None:
        hashed = await self._hash(password)

        def run(conn: sqlite3.Connection) -> None:
            require(load_member(conn, handle), handle)
            conn.execute("UPDATE members SET password_hash = ? WHERE handle = ?", (hashed, handle))

        await self.store.write(run)

    async def check_login(self, handle: str, password: str) -> Member | None:
        """The member if the password is right and the account enabled, else None."""
        row = await self.store.fetchone(
            "SELECT password_hash, disabled FROM members WHERE handle = ?", (handle,)
        )
        stored = row[0] if row else None
        if stored is None or row[1]:
            # Spend the same time as a real check so a wrong handle is not told apart.
            await asyncio.to_thread(_verify, _dummy_hash(), password)
            return None
        if not await asyncio.to_thread(_verify, stored, password):
            return None
        return await self.member(handle)

    async def _hash(self, password: str) -> str:
        check_password(password)
        return await asyncio.to_thread(_HASHER.hash, password)

    # --- circles ------------------------------------------------------------------------

    async def create_circle(
        self,
        name: str,
        aim: str,
        *,
        domain: str = "",
        parent: str | None = None,
        federated: bool = False,
        silence: str = "absent",
        round_hours: int = 72,
        quorum: int = 0,
        roles: Sequence[Mapping[str, Any]] = (),
    ) -> CircleState:
        """A new circle homed here; ``silence``, ``round_hours`` and ``quorum`` are its
        consent rounds' rules (PROTOCOL.md §13.2-13.3), ``roles`` its role register (§8.2)."""
        scope = new_circle_id(self.node_id)
        now = self.clock.now()

        def run(conn: sqlite3.Connection) -> CircleState:
            parent_state = None
            if parent is not None:
                parent_state = load_circle(conn, parent)
                if parent_state is None:
                    raise DomainError("circle.unknown", f"no circle {parent}")
            body = circle_body(name, aim, domain, parent_state, federated)
            if silence not in ("absent", "consent", "object"):
                raise DomainError("circle.bad_silence", "silence is absent, consent or object")
            if not 1 <= round_hours <= 2160:
                raise DomainError("circle.bad_round", "a round lasts 1 to 2160 hours")
            if silence != "absent":
                body["silence"] = silence
            if round_hours != 72:
                body["round_hours"] = round_hours
            if quorum:
                body["quorum"] = quorum  # the body's schema holds it to 0-100
            if roles:
                body["roles"] = [dict(r) for r in roles]
            _append(conn, LocalDraft("circle", scope, body), self.key, now)
            state = load_circle(conn, scope)
            assert state is not None
            return state

        state = await self.store.write(run)
        self.notify()
        return state

    async def set_membership(
        self,
        circle_id: str,
        member: str,
        roles: Sequence[str] = (),
        status: str = "active",
        refs: Sequence[str] = (),
        chosen_by: Sequence[Mapping[str, Any]] = (),
    ) -> CircleState:
        """Add a member (a local handle, ``handle@<node id>`` or a node id) to a circle,
        change their roles, or remove them (double-link invariants checked against the
        state inside the same transaction). In a federated circle other nodes joined, it
        must carry out what ``refs`` names (an adopted decision, a delegation request, an
        election's result), else nothing is written: ``circle.not_decided`` (§13.14).
        ``chosen_by``: the parent's election that chose the leader (§13.16)."""
        if "@" not in member and not member.startswith(NODE_PREFIX):
            member = self.actor_of(member)
        now = self.clock.now()

        def run(conn: sqlite3.Connection) -> CircleState:
            circle = load_circle(conn, circle_id)
            if circle is None:
                raise DomainError("circle.unknown", f"no circle {circle_id}")
            if circle.home != self.node_id:
                raise DomainError("circle.not_home", "only the circle's home node changes it")
            handle, _, node = member.partition("@")
            if node == self.node_id:
                found = require(load_member(conn, handle), handle)
                if found.disabled and status == "active":
                    raise DomainError("member.disabled", f"{handle} is disabled")
            elif not circle.federated:
                raise DomainError(
                    "circle.local_only", "members of other nodes join federated circles only"
                )
            parent = load_circle(conn, circle.parent) if circle.parent else None
            body = membership_body(
                circle, parent, load_children(conn, circle.id), member, roles, status
            )
            if status == "removed" and member.startswith(NODE_PREFIX):
                row = conn.execute(
                    "SELECT head_seq FROM feeds WHERE author = ? AND scope = ?",
                    (member, circle.id),
                ).fetchone()
                body["final_seq"] = row[0] if row else 0
            if chosen_by:
                body["chosen_by"] = [dict(e) for e in chosen_by]
            draft = LocalDraft("membership", circle.id, body, refs=tuple(refs))
            result = _append(conn, draft, self.key, now)
            assert result.id is not None
            try:
                require_applied(conn, result.id)
            except DomainError as exc:
                if exc.code != ErrorCode.CIRCLE_NOT_DECIDED:
                    raise
                raise DomainError(
                    exc.code,
                    f"other organizations' nodes take part in {circle.name}: its members,"
                    " roles and charter change by its decision. Make a structural proposal"
                    " in the circle; once it is adopted, this node carries it out.",
                ) from None
            state = load_circle(conn, circle.id)
            assert state is not None
            return state

        state = await self.store.write(run)
        self.notify()
        return state

    async def circles(self) -> list[dict[str, Any]]:
        return await self.store.circle_rows()

    async def circle(self, circle_id: str) -> CircleState | None:
        return await read_circle(self.store, circle_id)

    # --- operations ---------------------------------------------------------------------

    async def link_invites(self) -> list[dict[str, Any]]:
        """The invites this node made for other organizations' nodes."""
        from node.peers import Peers

        return await Peers(self.store, self.clock, self.node_id).invites()

    async def revoke_link_invite(self, token_hash: str) -> bool:
        from node.peers import Peers

        return await Peers(self.store, self.clock, self.node_id).revoke_invite(token_hash)

    async def peer_list(self) -> list[dict[str, Any]]:
        """Every peer with its link's health (state, last contact, failures, queue)."""
        from node.peers import Peers

        return [
            {
                "node_id": p.node_id,
                "url": p.url,
                "name": p.name,
                "state": p.state,
                "last_contact": p.last_contact,
                "failures": p.failures,
                "queued": p.queued,
                "last_error": p.last_error,
            }
            for p in await Peers(self.store, self.clock, self.node_id).all()
        ]


def _append(conn: sqlite3.Connection, draft: LocalDraft, key: SigningKey, now: Any) -> AppendResult:
    try:
        return append_local(conn, draft, key, now)
    except RemoteProtocolError as exc:
        raise DomainError(str(exc.code), exc.message) from None


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a real password, only for timing")
