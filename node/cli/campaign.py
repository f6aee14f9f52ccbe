"""``nst campaign``: a node's campaigns from the shell, through ``node.campaigns``: list
them, import officials from CSV or Open States files (with a dry run), export a
campaign's officials as CSV, and print the CSV template.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from node.campaigns.imports_csv import template_csv
from node.campaigns.records import ImportReport
from node.cli.errors import CliError
from node.cli.node import Sub, common_options, create_private, node_of, opened, run_async
from protocol import ErrorCode


def _list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> list[str]:
        async with opened(node.store):
            found = await node.campaigns.campaigns(args.circle)
        return [
            f"{c.id}  {c.name}  ({c.circle_name}; {c.status}; {c.targets} targets,"
            f" {c.demands} demands; {'draft' if c.standing.draft else 'adopted'})"
            for c in found
        ]

    for line in run_async(go()):
        print(line)
    return 0


def _read(name: str) -> tuple[str, bytes]:
    try:
        return name, Path(name).read_bytes()
    except OSError as exc:
        raise CliError("io", f"cannot read {name}: {exc.strerror}") from None


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError("usage", f"--as-of takes a date written YYYY-MM-DD, not {text!r}") from None


def _print_report(report: ImportReport) -> None:
    for t in report.plan.targets:
        changed = f" ({', '.join(t.changed)})" if t.changed else ""
        print(f"{t.record.file}:{t.record.line}: {t.action} {t.body['name']}{changed}")
    plan = report.plan
    counts = ", ".join(f"{plan.count(a)} {a}" for a in ("new", "changed", "unchanged"))
    if report.dry_run:
        print(f"{counts}; dry run: nothing recorded")
    elif report.ok:
        print(f"{counts}; recorded {len(report.recorded)} targets")


def _import(args: argparse.Namespace) -> int:
    files = [_read(name) for name in args.files]
    as_of = _date(args.as_of)
    node = node_of(args)

    async def go() -> ImportReport:
        async with opened(node.store):
            return await node.campaigns.import_targets(
                args.campaign, args.handle, files, dry_run=args.dry_run, as_of=as_of
            )

    report = run_async(go())
    if report.ok:
        _print_report(report)
        return 0
    for p in report.plan.problems:
        print(f"{p.file}:{p.line}: {p.reason}", file=sys.stderr)
    n = len(report.plan.problems)
    raise CliError(
        ErrorCode.IMPORT_PROBLEMS,
        f"{n} problem{'s' if n != 1 else ''} (above); nothing was imported",
    )


def _export(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> str:
        async with opened(node.store):
            return await node.campaigns.export_csv(args.campaign)

    data = run_async(go()).encode()
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with os.fdopen(create_private(Path(args.out)), "wb") as sink:
            sink.write(data)
    return 0


def _template(args: argparse.Namespace) -> int:
    sys.stdout.write(template_csv())
    sys.stdout.flush()
    return 0


def add_parser(sub: Sub) -> None:
    signing = common_options(passphrase=True)
    p = sub.add_parser("campaign", help="list campaigns, import and export their officials")
    csub = p.add_subparsers(dest="campaign_command", required=True, metavar="COMMAND")
    q = csub.add_parser("list", parents=[signing], help="the node's campaigns")
    q.add_argument("--circle", help="only the campaigns of this circle (its id)")
    q.set_defaults(run=_list)
    q = csub.add_parser(
        "import",
        parents=[signing],
        help="officials from CSV (.csv) or Open States person files (.yml) into a campaign",
    )
    q.add_argument("campaign", help="the campaign's id")
    q.add_argument("files", nargs="+", metavar="FILE", help="the files to import")
    q.add_argument(
        "--as",
        dest="handle",
        required=True,
        metavar="HANDLE",
        help="the member of the owning circle on whose behalf the import is recorded",
    )
    q.add_argument("--dry-run", action="store_true", help="show what would change, record nothing")
    q.add_argument(
        "--as-of",
        metavar="DATE",
        help="the day whose roles an Open States file's current office is read for"
        " (default: today)",
    )
    q.set_defaults(run=_import)
    q = csub.add_parser("export", parents=[signing], help="a campaign's officials as CSV")
    q.add_argument("campaign", help="the campaign's id")
    q.add_argument("--out", help="file to create, or - for stdout (the default)")
    q.set_defaults(run=_export)
    # Needs no node; takes the common options all the same, so scripts may pass them.
    q = csub.add_parser(
        "template",
        parents=[common_options(passphrase=False)],
        help="the CSV template for importing officials",
    )
    q.set_defaults(run=_template)
