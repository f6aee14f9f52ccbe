"""``nst admin``: members, circles (``node.cli.circles``), links with other nodes (through
federation, ``node.cli.fed``), the OSDI API's tokens (``node.cli.osdi``) and maintenance
of a node, through the Node service.

Works on a stopped node or beside a running one (SQLite in WAL mode lets both write,
one transaction at a time).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict

from node import second_factor
from node.cli import circles, fed, osdi
from node.cli.node import Sub, common_options, node_of, opened, print_json, run_async, secret_line


def _password(args: argparse.Namespace) -> str | None:
    if getattr(args, "no_password", False):
        return None
    return secret_line("Password: ", confirm=True)


# --- members ------------------------------------------------------------------------------


def _member_add(args: argparse.Namespace) -> int:
    node = node_of(args)
    password = _password(args)

    async def go() -> None:
        async with opened(node.store):
            role = "admin" if args.admin else "member"
            member = await node.add_member(args.handle, args.name or args.handle, role, password)
        print(f"added {member.handle} ({member.role}) as {node.actor_of(member.handle)}")

    run_async(go())
    return 0


def _member_list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            members = await node.members()
        if args.json:
            print_json([asdict(m) for m in members])
            return
        for m in members:
            flag = " disabled" if m.disabled else ""
            print(f"{m.handle:<20} {m.role:<7}{flag:<9} {m.display_name}")

    run_async(go())
    return 0


def _member_disabled(disabled: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        node = node_of(args)

        async def go() -> None:
            async with opened(node.store):
                member = await node.set_disabled(args.handle, disabled)
            print(f"{member.handle} {'disabled' if disabled else 'enabled'}")

        run_async(go())
        return 0

    return command


def _member_passwd(args: argparse.Namespace) -> int:
    node = node_of(args)
    password = secret_line("New password: ", confirm=True)

    async def go() -> None:
        async with opened(node.store):
            await node.set_password(args.handle, password)
        print(f"password of {args.handle} changed")

    run_async(go())
    return 0


def _member_totp_reset(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            was_on = await second_factor.reset(node, args.handle)
        said = "turned off" if was_on else "was not set"
        print(f"second factor of {args.handle} {said}: the password alone logs in")

    run_async(go())
    return 0


# --- maintenance --------------------------------------------------------------------------


def _rebuild(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            n = await node.store.rebuild_projections()
            circles = await node.circles()
            memberships = [m for c in circles for m in await node.store.circle_member_rows(c["id"])]
        print(f"replayed {n} envelopes: {len(circles)} circles, {len(memberships)} memberships")

    run_async(go())
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=True)
    admin = sub.add_parser("admin", help="members, circles, links with other nodes, maintenance")
    asub = admin.add_subparsers(dest="admin_cmd", required=True, metavar="COMMAND")

    member = asub.add_parser("member", help="this node's member accounts")
    msub = member.add_subparsers(dest="member_cmd", required=True, metavar="COMMAND")
    p = msub.add_parser(
        "add", parents=[common], help="add a member (password from a prompt or stdin)"
    )
    p.add_argument("handle")
    p.add_argument("--name", help="display name (default: the handle)")
    p.add_argument("--admin", action="store_true", help="may administer the node")
    p.add_argument("--no-password", action="store_true", help="no login until passwd")
    p.set_defaults(run=_member_add)
    p = msub.add_parser("list", parents=[common], help="list members")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_member_list)
    for name, disabled in (("disable", True), ("enable", False)):
        p = msub.add_parser(name, parents=[common], help=f"{name} a member's login")
        p.add_argument("handle")
        p.set_defaults(run=_member_disabled(disabled))
    p = msub.add_parser("passwd", parents=[common], help="set a member's password")
    p.add_argument("handle")
    p.set_defaults(run=_member_passwd)
    p = msub.add_parser(
        "totp-reset",
        parents=[common],
        help="turn off a member's second factor (a lost authenticator app)",
    )
    p.add_argument("handle")
    p.set_defaults(run=_member_totp_reset)

    circles.add_parsers(asub, common)
    fed.add_parsers(asub, common)
    osdi.add_parsers(asub, common)

    p = asub.add_parser("rebuild", parents=[common], help="recompute read tables from the log")
    p.set_defaults(run=_rebuild)
