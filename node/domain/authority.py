"""Authority: may this author write this envelope in this scope, given the scope's state?

Checked on receipt after the signature and the feed (PROTOCOL.md §6). Pure.

- A circle's charter (``circle``) and its ``membership`` are written by its home node;
  a member node of a federated circle may write a ``membership`` naming one of its own
  people (``handle@<itself>``), as a delegation request the home confirms (§13.9).
- A node the home invited answers with a ``membership`` naming itself: active (its
  acceptance, naming the invitation in ``refs``) or removed (it declines, or later
  leaves); until it accepts it is no member node (§13.10).
- Anything else in a circle is written by its home node or an active member node.
- A circle the receiver does not know yet accepts only its home node's charter.
- A ``direct:<node>`` scope is read by that node alone: a receiver accepts only envelopes
  addressed to itself (or to an id it rotated away from: what peers sent before they
  learned of the rotation).
"""

from __future__ import annotations

from collections.abc import Collection

from node.domain.circles import CircleState
from protocol import Envelope, ErrorCode, RemoteProtocolError, scope_owner
from protocol.ids import is_direct

HOME_KINDS = frozenset({"circle", "membership"})


def member_nodes(circle: CircleState) -> set[str]:
    """The nodes a circle's envelopes go to: its current home, the node that founded it
    (a member node still once the home moved, §13.15) and its active member nodes."""
    nodes = {m.member for m in circle.members.values() if m.active and "@" not in m.member}
    nodes.add(circle.home)
    nodes.add(scope_owner(circle.id))
    return nodes


def home_of(env: Envelope, circle: CircleState | None) -> str:
    """The circle's current home as the receiver knows it (§13.15); for a circle it holds
    no charter of, the node the circle id names."""
    return circle.home if circle is not None else scope_owner(env.scope)


def is_answer(env: Envelope, circle: CircleState | None = None) -> bool:
    """A node's ``membership`` naming itself in a circle of another node: its acceptance of
    an invitation (active), or its refusal or departure (removed)."""
    body = env.body
    return (
        env.kind == "membership"
        and body is not None
        and body.get("member") == env.author
        and env.author != home_of(env, circle)
    )


def is_delegation(env: Envelope, circle: CircleState | None) -> bool:
    """A member node's ``membership`` naming one of its own people into a federated circle
    (no role but delegate): a request the home confirms with its own membership."""
    body = env.body
    return (
        env.kind == "membership"
        and circle is not None
        and circle.federated
        and env.author != circle.home
        and body is not None
        and str(body.get("member", "")).endswith("@" + env.author)
        and set(body.get("roles", [])) <= {"delegate"}
        and env.author in member_nodes(circle)
    )


def check_authority(
    env: Envelope,
    circle: CircleState | None,
    self_id: str,
    former_ids: Collection[str] = (),
    sender: str | None = None,
    home_silent: bool = False,
    via: str | None = None,
) -> None:
    """Raise RemoteProtocolError (authority.*) unless ``env`` may stand in its scope;
    ``former_ids`` are this node's ids before its key rotations; ``sender`` is the node
    it came from (None: not received from a peer); ``home_silent``: the circle's home has
    been silent past its charter's timeout (§13.15); ``via``: the home a node catching
    up after its invitation takes the circle from (the node its invitation's charter
    names), which also wrote what the home writes, as the order will show."""
    if is_direct(env.scope):
        owner = scope_owner(env.scope)
        if owner != self_id and env.author != self_id and owner not in former_ids:
            raise RemoteProtocolError(
                ErrorCode.NOT_RECIPIENT, f"{env.scope} is not addressed to this node"
            )
        return
    owner = home_of(env, circle)
    if (
        env.kind in HOME_KINDS
        and env.author != owner
        and env.author != via
        and not is_delegation(env, circle)
        and not is_answer(env, circle)
    ):
        raise RemoteProtocolError(
            ErrorCode.NOT_HOME, f"only the home node {owner} writes a circle's {env.kind}"
        )
    source = via or owner
    if (
        sender is not None
        and owner != self_id
        and sender != source
        and not _direct(env, sender, home_silent, circle)
    ):
        # The home orders its circle: members hear its envelopes from the home alone, so
        # every member holds what the home accepted, in the home's judgement.
        raise RemoteProtocolError(
            ErrorCode.NOT_VIA_HOME, f"a circle's envelopes come from its home node {source}"
        )
    if circle is None:
        if env.kind != "circle":
            raise RemoteProtocolError(
                ErrorCode.UNKNOWN_SCOPE, f"{env.scope} is not a circle known here"
            )
        return
    if is_answer(env, circle):
        check_answer(env, circle)
        return
    if env.author not in member_nodes(circle):
        gone = circle.members.get(env.author)
        if gone is not None and gone.final_seq is not None and env.seq <= gone.final_seq:
            return  # written while it was a member, and accepted by the home then
        raise RemoteProtocolError(
            ErrorCode.NOT_MEMBER, f"{env.author} is not a member node of {circle.name}"
        )


def _direct(env: Envelope, sender: str, home_silent: bool, circle: CircleState | None) -> bool:
    """Taken from another node than the home (§13.15): a vote to move the home, and,
    while the home is silent, what an active member node sends: its own envelopes that
    chain its feed up to its vote, and those it holds that the new home catches up to."""
    if env.kind == "home.vote":
        return True
    return home_silent and circle is not None and sender in member_nodes(circle)


def check_answer(env: Envelope, circle: CircleState) -> None:
    """A node's answer stands only while it is invited (an acceptance naming the invitation
    it answers in ``refs``) or, for its removal, a member node."""
    held = circle.members.get(env.author)
    invited = held is not None and (held.invited or held.active)
    if env.body is not None and env.body.get("status") == "active":
        if not invited or held is None or held.invitation not in env.refs:
            raise RemoteProtocolError(
                ErrorCode.NOT_INVITED,
                f"{circle.name} has not invited {env.author}, or not by the invitation"
                " its acceptance names",
            )
    elif not invited:
        raise RemoteProtocolError(
            ErrorCode.NOT_MEMBER,
            f"{env.author} is neither invited to nor a member of {circle.name}",
        )


def may_read(scope: str, circle: CircleState | None, requester: str, self_id: str) -> bool:
    """May ``requester`` pull heads and feeds of ``scope`` from this node? A node invited
    to a circle may read it too, to see what it is invited to (it need not)."""
    if is_direct(scope):
        return scope_owner(scope) == requester
    if circle is None or not circle.federated:
        return False
    held = circle.members.get(requester)
    return requester in member_nodes(circle) or (held is not None and held.invited)
