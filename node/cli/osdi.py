"""``nst admin osdi-token``: the tokens with which campaign tools read this node's
campaigns through the OSDI API (docs/developers.md, "OSDI").

``create`` prints the new token once (or writes it to a new file only its owner reads,
``--out``); the node keeps only its hash, so a lost token is revoked and made anew.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from node.cli.node import Sub, create_private, node_of, opened, print_json, run_async


def _create(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> str:
        async with opened(node.store):
            return await node.osdi.tokens.create(args.name)

    if args.out:
        out = Path(args.out)
        fd = create_private(out)  # before the token exists: no token is made unwritten
        try:
            secret = run_async(go())
        except BaseException:
            os.close(fd)
            out.unlink()
            raise
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        print(f"token {args.name} written to {args.out}")
        return 0
    secret = run_async(go())
    print(secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            tokens = await node.osdi.tokens.tokens()
        if args.json:
            print_json([asdict(t) for t in tokens])
            return
        for t in tokens:
            state = f"revoked {t.revoked_at}" if t.revoked_at else "live"
            used = f"last used {t.last_used_at}" if t.last_used_at else "never used"
            print(f"{t.name:<24} made {t.created_at}  {used}  {state}")

    run_async(go())
    return 0


def _revoke(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            await node.osdi.tokens.revoke(args.name)
        print(f"token {args.name} revoked")

    run_async(go())
    return 0


def add_parsers(asub: Sub, common: argparse.ArgumentParser) -> None:
    token = asub.add_parser(
        "osdi-token", help="tokens with which campaign tools read campaigns (OSDI API)"
    )
    tsub = token.add_subparsers(dest="osdi_cmd", required=True, metavar="COMMAND")
    p = tsub.add_parser("create", parents=[common], help="make a token for a tool; print it once")
    p.add_argument("name", help="who the token is for (letters, digits, . _ -)")
    p.add_argument("--out", metavar="FILE", help="write the token to this new file (mode 0600)")
    p.set_defaults(run=_create)
    p = tsub.add_parser("list", parents=[common], help="tokens, live and revoked (never the token)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_list)
    p = tsub.add_parser("revoke", parents=[common], help="revoke a token: it opens nothing more")
    p.add_argument("name")
    p.set_defaults(run=_revoke)
