"""``nst admin circle move-home``: this node's vote to move a federated circle's home
while the home has been silent past the charter's timeout (PROTOCOL.md §13.15)."""

from __future__ import annotations

import argparse

from node.cli.node import Sub, node_of, opened, run_async


def _move_home(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> str:
        async with opened(node.store):
            names = await node.load_org_names()
            to = names.get(args.to, args.to)
            await node.gov.vote_home_move(args.circle_id, args.to, withdraw=args.withdraw)
            silence = await node.gov.home_silence(args.circle_id)
            if args.withdraw:
                return f"withdrew this node's vote to move the home to {to}"
            if silence is None:
                return f"the home moved to {to}: it orders the circle now"
            held = sum(1 for v in silence.votes.values() if v == args.to)
            return (
                f"voted to move the home of {silence.circle.name} to {to}"
                f" ({held} of {len(silence.voters)} votes held here); {to}'s node moves it"
                " once it holds every member node's vote"
            )

    print(run_async(go()))
    return 0


def add_parsers(csub: Sub, common: argparse.ArgumentParser) -> None:
    p = csub.add_parser(
        "move-home",
        parents=[common],
        help="vote to move a circle's home that has been silent past its charter's timeout",
    )
    p.add_argument("circle_id")
    p.add_argument("--to", required=True, metavar="NODE_ID", help="the new home: a member node")
    p.add_argument("--withdraw", action="store_true", help="withdraw this node's vote")
    p.set_defaults(run=_move_home)
