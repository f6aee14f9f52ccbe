"""``nst mail``: try the mail settings with a test message, see the outbox, clear a
bouncing address (docs/admin.md, "Mail")."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from node.cli.errors import CliError
from node.cli.node import Sub, common_options, node_of, opened, print_json, run_async
from node.mail.smtp import SendError


def _test(args: argparse.Namespace) -> int:
    node = node_of(args)
    mail = node.config.mail
    if not mail.enabled:
        raise CliError("mail.off", "mail is not configured: set [mail] host and from")
    print(
        f"sending a test message to {args.address} through {mail.host}:{mail.real_port}"
        f" ({mail.security}{', as ' + mail.user if mail.user else ''})"
    )
    try:
        message_id = run_async(node.mail.send_test(args.address))
    except SendError as exc:
        raise CliError(exc.code, exc.message) from None
    print(f"sent: the server accepted it (Message-ID {message_id})")
    return 0


def _status(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            status = await node.mail.status()
        if args.json:
            print_json(asdict(status))
            return
        print(f"{'server':<10} {status.server}")
        for state in ("queued", "sending", "sent", "failed", "dropped"):
            print(f"{state:<10} {status.counts.get(state, 0)}")
        print(f"{'bouncing':<10} {len(status.bouncing) or 'none'}")
        for address, at, reason in status.bouncing:
            print(f"  {address}  since {at}: {reason}")
        for mail_id, kind, _recipient, subject, attempts, error in status.failed:
            print(f"failed #{mail_id} {kind} {subject!r} after {attempts} attempts: {error}")

    run_async(go())
    return 0


def _clear(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> None:
        async with opened(node.store):
            await node.mail.clear_bounce(args.address)

    run_async(go())
    print(f"{args.address} receives mail again")
    return 0


def add_parser(sub: Sub) -> None:
    common = common_options(passphrase=True)
    p = sub.add_parser("mail", help="test the mail settings, see the outbox")
    msub = p.add_subparsers(dest="mail_cmd", required=True, metavar="COMMAND")
    q = msub.add_parser("test", parents=[common], help="send a test message at once")
    q.add_argument("address", help="where to send it")
    q.set_defaults(run=_test)
    q = msub.add_parser("status", parents=[common], help="the outbox and bouncing addresses")
    q.add_argument("--json", action="store_true", help="one JSON object")
    q.set_defaults(run=_status)
    q = msub.add_parser("clear", parents=[common], help="send to a bouncing address again")
    q.add_argument("address")
    q.set_defaults(run=_clear)
