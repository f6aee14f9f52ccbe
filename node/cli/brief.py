"""``nst brief``: the Coalition Brief's subscribers for the node's admin (docs/admin.md,
"The Coalition Brief"): ``export`` as CSV (to a new file only its owner reads, or to
standard output), ``erase ADDRESS`` to forget one person."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from node.brief.subscribers import csv_text
from node.cli.node import Sub, common_options, create_private, node_of, opened, run_async


def _export(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> str:
        async with opened(node.store):
            rows = await node.brief.export_rows()
        return csv_text(rows)

    if args.output:
        out = Path(args.output)
        fd = create_private(out)
        try:
            text = run_async(go())
        except BaseException:
            os.close(fd)
            out.unlink()
            raise
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        print(f"{text.count(chr(10)) - 1} subscribers written to {out}", file=sys.stderr)
        return 0
    sys.stdout.write(run_async(go()))
    return 0


def _erase(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> int:
        async with opened(node.store):
            return await node.brief.erase(args.address)

    touched = run_async(go())
    if touched:
        print(f"{args.address} is forgotten ({touched} records erased or reduced to a hash)")
    else:
        print(f"nothing about {args.address} was kept")
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=True)
    p = sub.add_parser("brief", help="the Coalition Brief's subscribers: export, erase")
    bsub = p.add_subparsers(dest="brief_cmd", required=True, metavar="COMMAND")
    q = bsub.add_parser("export", parents=[common], help="the subscribers as CSV")
    q.add_argument(
        "--output", metavar="FILE", help="write to this new file (mode 0600), not to stdout"
    )
    q.set_defaults(run=_export)
    q = bsub.add_parser("erase", parents=[common], help="forget one person's address")
    q.add_argument("address")
    q.set_defaults(run=_erase)
