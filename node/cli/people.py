"""``nst people erase ADDRESS``: forget a person of the public on their request, wherever
the node holds their address (the brief, the allies, the mail outbox), in one step."""

from __future__ import annotations

import argparse

from node.cli.node import Sub, common_options, node_of, opened, run_async
from node.people import Erased, erase_person


def _erase(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> Erased:
        async with opened(node.store):
            return await erase_person(node, args.address)

    erased = run_async(go())
    if not erased.total:
        print(f"nothing held {args.address}")
        return 0
    print(f"erased {args.address}:")
    print(f"  the Coalition Brief  {erased.brief} record(s)")
    print(f"  allies               {erased.allies} record(s)")
    print(f"  mail                 {erased.mail} message(s) and bounce record(s)")
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=True)
    p = sub.add_parser("people", help="erase a person of the public on their request")
    psub = p.add_subparsers(dest="people_cmd", required=True, metavar="COMMAND")
    q = psub.add_parser(
        "erase", parents=[common], help="forget one address: brief, allies and mail"
    )
    q.add_argument("address", help="their e-mail address (any case)")
    q.set_defaults(run=_erase)
