"""``nst logbook export`` and ``nst logbook verify``: a circle's logbook out of the node,
and its whole history re-verified offline from an export (``node.governance.logbook``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from node.cli.errors import CliError
from node.cli.node import (
    Sub,
    common_options,
    config_of,
    create_private,
    key_of,
    opened,
    run_async,
    store_of,
)
from protocol import node_id_of, scope_owner


def _logbook_export(args: argparse.Namespace) -> int:
    from node.governance import logbook

    cfg = config_of(args)
    key = key_of(cfg, args)

    async def go() -> bytes:
        async with opened(store_of(cfg)) as store:
            if args.format == "html":
                # Whose node this is: its people by their names, itself by its own.
                me = node_id_of(key)
                page = await logbook.export_html(
                    store, args.circle, self_id=me, orgs={me: cfg.name}
                )
                return page.encode()
            lines = await logbook.export_jsonl(store, args.circle, key, dt.datetime.now(dt.UTC))
            return b"".join(line + b"\n" for line in lines)

    try:
        data = run_async(go())
    except logbook.LogbookError as exc:
        raise CliError(exc.code, exc.message) from None
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with os.fdopen(create_private(Path(args.out)), "wb") as sink:
            sink.write(data)
    return 0


def _logbook_verify(args: argparse.Namespace) -> int:
    from node.governance import logbook

    async def from_node() -> bytes:
        async with opened(store_of(config_of(args))) as store:
            return b"\n".join(await logbook.export_jsonl(store, args.circle))

    try:
        if args.source is None:
            if args.circle is None:
                raise CliError("logbook.which_circle", "name the circle, or give --from FILE")
            # The node's own data, read in place: no trailer is needed to prove it whole.
            report = run_async(logbook.verify_export(run_async(from_node()), unsigned=True))
        else:
            try:
                raw = (
                    sys.stdin.buffer.read()
                    if args.source == "-"
                    else Path(args.source).read_bytes()
                )
            except OSError as exc:
                raise CliError("io", f"cannot read {args.source}: {exc.strerror}") from None
            checks = {"signer": args.signer, "unsigned": args.allow_unsigned}
            report = run_async(
                logbook.verify_export(raw, circle=args.circle, **checks)
                if raw.startswith(b'{"logbook":')
                else logbook.verify_node_export(raw, args.circle, **checks)
            )
    except logbook.LogbookError as exc:
        raise CliError(exc.code, exc.message) from None
    print(
        f"verified: {report.circle}: {report.envelopes} envelopes, {report.entries} logbook"
        f" entries, head {report.head}"
    )
    if report.signer is not None:
        whose = (
            "the circle's home"
            if report.signer == scope_owner(report.circle)
            else "not the circle's home: the positions in it are the home's, as it received them"
        )
        print(f"  exported and signed by {report.signer} at {report.signed_at} ({whose})")
    elif args.source is not None:
        print("  unsigned export: its lines verify, but nothing proves it is complete")
    for pos, code in report.refused:
        print(f"  position {pos}: refused ({code})")
    for pos, code in report.disputed:
        print(f"  position {pos}: disputed decision ({code})")
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=False)
    signing = common_options(passphrase=True)
    p = sub.add_parser("logbook", help="export a circle's logbook, or verify an export offline")
    lsub = p.add_subparsers(dest="logbook_command", required=True, metavar="COMMAND")
    q = lsub.add_parser("export", parents=[signing], help="a circle's logbook")
    q.add_argument("circle", help="the circle id (circle:…@ed25519:…)")
    q.add_argument("--format", choices=("jsonl", "html"), default="jsonl")
    q.add_argument("--out", help="file to create, or - for stdout (the default)")
    q.set_defaults(run=_logbook_export)
    q = lsub.add_parser(
        "verify", parents=[common], help="re-verify a circle's whole history from an export"
    )
    q.add_argument("circle", nargs="?", help="the circle id (optional with a logbook export)")
    q.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="a `nst logbook export` or `nst export` file, or - for stdin"
        " (default: this node's own data)",
    )
    q.add_argument(
        "--signer",
        metavar="NODE_ID",
        help="refuse the file unless this node signed it (export.wrong_signer)",
    )
    q.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="check a file without a signed trailer (an older export); nothing then proves"
        " that it is complete",
    )
    q.set_defaults(run=_logbook_verify)
