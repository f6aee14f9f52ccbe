"""``nst admin circle``: a node's circles, their members and roles, who on the node reads
them, and the invitations to other nodes' circles, through the Node service.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from node import visibility
from node.cli import home_moves
from node.cli.node import Sub, node_of, opened, print_json, run_async
from node.domain import DomainError
from node.domain.circles import ROLES, CircleState
from node.service import Node
from protocol.ids import NODE_PREFIX


def circle_json(circle: CircleState) -> dict[str, Any]:
    return {
        "id": circle.id,
        "home": circle.home,
        "name": circle.name,
        "aim": circle.aim,
        "domain": circle.domain,
        "parent": circle.parent,
        "federated": circle.federated,
        "members": [
            {"member": m.member, "status": m.status, "roles": list(m.roles)}
            for m in sorted(circle.members.values(), key=lambda m: m.member)
        ],
    }


async def _require_circle(node: Node, circle_id: str) -> CircleState:
    circle = await node.circle(circle_id)
    if circle is None:
        raise DomainError("circle.unknown", f"no circle {circle_id}")
    return circle


def _circle_create(args: argparse.Namespace) -> int:
    node = node_of(args)

    if args.federated and args.visibility == "organization":
        raise DomainError(
            "circle.visibility_fixed", "a federated circle is read by its members only"
        )

    async def go() -> None:
        async with opened(node.store):
            circle = await node.create_circle(
                args.name,
                args.aim,
                domain=args.domain or "",
                parent=args.parent,
                federated=args.federated,
                silence=args.silence,
                round_hours=args.round_hours,
                quorum=args.quorum,
            )
            if args.visibility != "members":
                await visibility.set_visibility(node, circle.id, args.visibility)
        print(circle.id)

    run_async(go())
    return 0


def _circle_list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            circles = await node.circles()
        if args.json:
            print_json(circles)
            return
        for c in circles:
            scope = "federated" if c["federated"] else "local"
            print(f"{c['id']}  {scope:<9}  {c['name']}")

    run_async(go())
    return 0


def _circle_show(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            circle = await _require_circle(node, args.circle_id)
            doc = circle_json(circle)
            doc["visibility"] = await visibility.visibility(node, circle)
        if args.json:
            print_json(doc)
            return
        for label in ("id", "name", "aim", "domain", "parent", "home", "federated", "visibility"):
            value = doc[label]
            shown = ("yes" if value else "no") if isinstance(value, bool) else value or "-"
            print(f"{label:<10} {shown}")
        print("members")
        for m in doc["members"]:
            print(f"  {m['member']:<40} {m['status']:<8} {', '.join(m['roles']) or '-'}")

    run_async(go())
    return 0


def _circle_member(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            status = "removed" if args.remove else "active"
            circle = await node.set_membership(args.circle_id, args.handle, args.role, status)
        # A member node of a federated circle is named by its node id alone.
        named = "@" in args.handle or args.handle.startswith(NODE_PREFIX)
        actor = args.handle if named else node.actor_of(args.handle)
        held = circle.members[actor]
        if held.invited:
            print(f"{actor} in {circle.name}: invited; it joins once its admin accepts")
            return
        roles = ", ".join(held.roles) or "no role"
        print(f"{actor} in {circle.name}: {held.status}, {roles}")

    run_async(go())
    return 0


def _circle_visibility(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            await visibility.set_visibility(node, args.circle_id, args.visibility)
        print(f"{args.circle_id} is read by {_READERS[args.visibility]}")

    run_async(go())
    return 0


_READERS = {"members": "its members only", "organization": "everyone on this node"}


def _circle_invitations(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> list[Any]:
        async with opened(node.store):
            return await node.circle_invitations.pending()

    invitations = run_async(go())
    if args.json:
        print_json([i.to_json() for i in invitations])
        return 0
    if not invitations:
        print("no invitations waiting")
    for i in invitations:
        print(f"{i.circle_id}  {i.name!r} from {i.home_name}, since {i.received_at}")
        print(f"  aim: {i.aim}")
    return 0


def _circle_answer(what: str) -> Callable[[argparse.Namespace], int]:
    """``accept``, ``decline`` or ``leave`` a federated circle of another node."""

    def command(args: argparse.Namespace) -> int:
        node = node_of(args)

        async def go() -> str:
            async with opened(node.store):
                invitations = node.circle_invitations
                if what == "leave":
                    name = await invitations.name_of(args.circle_id)
                    await invitations.leave(args.circle_id, "cli")
                    return f"left {name}: its home is told; this node writes nothing there now"
                if what == "accept":
                    i = await invitations.accept(args.circle_id, "cli")
                    return (
                        f"joined {i.name} of {i.home_name}: the acceptance goes to its home,"
                        " and the circle comes from there (while the node runs)"
                    )
                i = await invitations.decline(args.circle_id, "cli")
                return f"declined {i.name} of {i.home_name}: its home is told"

        print(run_async(go()))
        return 0

    return command


def add_parsers(asub: Sub, common: argparse.ArgumentParser) -> None:
    circle = asub.add_parser("circle", help="circles, their members and roles")
    csub = circle.add_subparsers(dest="circle_cmd", required=True, metavar="COMMAND")
    p = csub.add_parser("create", parents=[common], help="create a circle; print its id")
    p.add_argument("name")
    p.add_argument("--aim", required=True, help="what the circle is for")
    p.add_argument("--domain", help="what it decides on")
    p.add_argument("--parent", metavar="CIRCLE_ID", help="the circle it belongs to")
    p.add_argument("--federated", action="store_true", help="shared with other nodes")
    p.add_argument(
        "--silence",
        choices=("absent", "consent", "object"),
        default="absent",
        help="what a member's silence in a consent round counts as once the deadline passed",
    )
    p.add_argument(
        "--round-hours", type=int, default=72, help="a consent round's length (1-2160 hours)"
    )
    p.add_argument(
        "--quorum",
        type=int,
        default=0,
        help="the percentage of members (0-100) who must answer before a round may be"
        " decided with anyone silent",
    )
    p.add_argument(
        "--visibility",
        choices=visibility.VISIBILITIES,
        default="members",
        help="who on this node reads what happens in it: its members (default), or"
        " everyone (organization; local circles only)",
    )
    p.set_defaults(run=_circle_create)
    p = csub.add_parser("list", parents=[common], help="list circles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_circle_list)
    p = csub.add_parser("show", parents=[common], help="a circle with its members and roles")
    p.add_argument("circle_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_circle_show)
    p = csub.add_parser("member", parents=[common], help="add, change or remove a member")
    p.add_argument("circle_id")
    p.add_argument(
        "handle",
        help="a handle of this node, handle@node for another, or a node id (a member node)",
    )
    p.add_argument(
        "--role",
        action="extend",
        nargs="+",
        default=[],
        metavar="ROLE",
        help=f"roles held: {', '.join(ROLES)}, or a role the circle's charter declares",
    )
    p.add_argument("--remove", action="store_true", help="remove from the circle")
    p.set_defaults(run=_circle_member)
    p = csub.add_parser(
        "visibility", parents=[common], help="who on this node reads a local circle"
    )
    p.add_argument("circle_id")
    p.add_argument("visibility", choices=visibility.VISIBILITIES)
    p.set_defaults(run=_circle_visibility)
    p = csub.add_parser(
        "invitations", parents=[common], help="invitations to other nodes' circles, waiting"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_circle_invitations)
    for name, help_text in (
        ("accept", "join another node's circle this node is invited to"),
        ("decline", "refuse an invitation to another node's circle"),
        ("leave", "leave another node's circle this node is a member node of"),
    ):
        p = csub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("circle_id")
        p.set_defaults(run=_circle_answer(name))
    home_moves.add_parsers(csub, common)
