"""The ``nst`` command line.

Every failure a user can cause ends the same way: ``error: <code>: <message>`` on
stderr and exit status 1, so scripts can match on the code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from node import logging as nst_logging
from node.cli import (
    admin,
    allies,
    backup,
    brief,
    campaign,
    data,
    demo,
    logbook,
    mail,
    node,
    people,
    proto,
)
from node.cli.errors import CliError
from node.config import ConfigError
from node.domain import DomainError
from node.keyfile import KeyFileError
from node.store import SchemaTooNewError
from protocol import RemoteProtocolError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nst", description="Next Step Together: a federated node for coalitions."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In the order `nst --help` lists them.
    node.add_parsers(sub)
    admin.add_parser(sub)
    backup.add_parsers(sub)
    data.add_export_parser(sub)
    logbook.add_parser(sub)
    campaign.add_parser(sub)
    mail.add_parser(sub)
    brief.add_parser(sub)
    allies.add_parser(sub)
    people.add_parser(sub)
    data.add_import_parser(sub)
    proto.add_parser(sub)
    demo.add_parser(sub)
    return parser


def _fail(code: str, message: str) -> int:
    print(f"error: {code}: {message}", file=sys.stderr)
    return 1


def run_command(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command, turning every error that is the user's to fix into its code."""
    try:
        return command(args)
    except CliError as exc:
        return _fail(exc.code, str(exc))
    except DomainError as exc:
        return _fail(exc.code, exc.message)
    except RemoteProtocolError as exc:
        return _fail(str(exc.code), exc.message)
    except KeyFileError as exc:
        return _fail(exc.code, str(exc))
    except ConfigError as exc:
        return _fail(exc.code, str(exc))
    except SchemaTooNewError as exc:
        return _fail("store.schema_too_new", str(exc))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`nst export | head`): no traceback for that.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "proto":
        return proto.run(args)
    # Warnings only, and on stderr: stdout carries results (`nst export` writes data).
    nst_logging.configure("console", level=logging.WARNING)
    return run_command(args.run, args)


if __name__ == "__main__":
    sys.exit(main())
