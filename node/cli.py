"""The ``nst`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from node import cli_demo, cli_proto


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nst", description="Next Step Together: a federated node for coalitions."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_proto.add_parser(sub)
    cli_demo.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    runner = {"proto": cli_proto.run, "demo": cli_demo.run}[args.command]
    return runner(args)


if __name__ == "__main__":
    sys.exit(main())
