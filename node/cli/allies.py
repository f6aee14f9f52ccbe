"""``nst allies``: the allies' entries as CSV for a spreadsheet, and erasing one person on
request (docs/admin.md, "Allies"). A CSV written to a file is readable by its owner only."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from node.allies.personal import csv_text
from node.cli.errors import CliError
from node.cli.node import Sub, common_options, create_private, node_of, opened, run_async


def _export(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> list[dict[str, str]]:
        async with opened(node.store):
            return await node.allies.export()

    rows = run_async(go())
    text = csv_text(rows)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        fd = create_private(Path(args.output))
    except CliError as exc:
        if exc.code == "io.exists":
            raise CliError("io.exists", f"{args.output} exists; choose another --output") from None
        raise
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink:
        sink.write(text)
    print(f"wrote {len(rows)} all{'y' if len(rows) == 1 else 'ies'} to {args.output}")
    return 0


def _erase(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> int:
        async with opened(node.store):
            return await node.allies.erase(args.address)

    gone = run_async(go())
    print(f"erased {args.address}: {gone} record{'s' if gone != 1 else ''} held it")
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=True)
    p = sub.add_parser("allies", help="export the allies, erase one on request")
    asub = p.add_subparsers(dest="allies_cmd", required=True, metavar="COMMAND")
    q = asub.add_parser("export", parents=[common], help="every ally as CSV")
    q.add_argument("--output", metavar="FILE", help="a new file (mode 0600); else stdout")
    q.set_defaults(run=_export)
    q = asub.add_parser("erase", parents=[common], help="forget one person, by address")
    q.add_argument("address", help="their e-mail address (any case)")
    q.set_defaults(run=_erase)
