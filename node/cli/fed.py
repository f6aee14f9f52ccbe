"""``nst admin invite|link|unlink|peer``: linking this node with other organizations' nodes.

The command line is where the layers meet, so these commands use ``federation/`` (the
handshake and the unlink notice are federation requests). It is imported inside the
commands that need it: the others stay as light as the rest of ``nst admin``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

from node.address import PUBLIC_URL_FIX, address_problem
from node.cli.errors import CliError
from node.cli.node import Sub, node_of, opened, print_json, run_async
from node.peers import Peer, Peers
from node.service import Node
from protocol import RemoteProtocolError, format_ts, node_id_of, verify_key_of

if TYPE_CHECKING:
    from federation.service import Federation

MAX_INVITE_LIFE = dt.timedelta(days=90)
_DURATION = re.compile(r"(-?[0-9]+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    """``30m``, ``12h`` or ``7d``: more than nothing and at most 90 days."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise CliError("usage", f"a duration is like 30m, 12h or 7d, not {text!r}")
    value = dt.timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if value <= dt.timedelta(0) or value > MAX_INVITE_LIFE:
        raise CliError("usage", f"an invite lasts more than 0 and at most 90d, not {text}")
    return value


@asynccontextmanager
async def federation_of(node: Node) -> AsyncIterator[Federation]:
    """The node's store opened and a Federation over the real HTTP transport."""
    from federation.service import Federation
    from federation.transport import HttpTransport

    transport = HttpTransport(dev_mode=node.config.dev_mode)
    try:
        async with opened(node.store):
            yield Federation(node, transport)
    finally:
        await transport.close()


def peers_of(node: Node) -> Peers:
    return Peers(node.store, node.clock, node.node_id)


def _node_id(value: str) -> str:
    try:
        verify_key_of(value)
    except RemoteProtocolError:
        raise CliError("usage", f"{value!r} is not a node id (ed25519:…)") from None
    return value


# --- invites ------------------------------------------------------------------------------


def _invite_create(args: argparse.Namespace) -> int:
    life = parse_duration(args.expires)
    node = node_of(args)

    async def go() -> str:
        async with federation_of(node) as fed:
            return str(await fed.create_invite(life, args.note or ""))

    invite = run_async(go())
    url = node.config.url
    problem = None if node.config.dev_mode else address_problem(url)
    if problem:
        print(
            f"warning: other nodes cannot reach this node at {url}: {problem}; {PUBLIC_URL_FIX}",
            file=sys.stderr,
        )
    until = format_ts(node.clock.now() + life)
    print(f"An invite to link with {node.config.name} ({node.node_id}) at {url}.")
    print(f"It works once, until {until}. Send it privately; the other node's admin runs")
    print("`nst admin link -` and pastes it (or `nst admin link INVITE`).")
    print(invite)
    return 0


def invite_state(row: dict[str, Any], now: dt.datetime) -> str:
    if row["revoked"]:
        return "revoked"
    if row["used_by"]:
        return "used"
    return "expired" if dt.datetime.fromisoformat(row["expires_at"]) < now else "open"


def _invite_list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> list[dict[str, Any]]:
        async with opened(node.store):
            return await peers_of(node).invites()

    now = node.clock.now()
    rows = [{**r, "state": invite_state(r, now)} for r in run_async(go())]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        used = f" by {r['used_by']}" if r["used_by"] else ""
        note = f"  {r['note']}" if r["note"] else ""
        print(f"{r['token_hash']}  {r['state']}{used}  until {r['expires_at']}{note}")
    return 0


def _invite_revoke(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> bool:
        async with opened(node.store):
            return await peers_of(node).revoke_invite(args.token_hash)

    if not run_async(go()):
        raise CliError(
            "invite.unknown",
            f"no unused invite {args.token_hash} (see `nst admin invite list`)",
        )
    print(f"revoked {args.token_hash}")
    return 0


# --- links --------------------------------------------------------------------------------


def _read_invite(value: str) -> str:
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise CliError("usage", "stdin ended before the invite")
    return line


# What the admin of the linking node does about a refusal, by its code.
_LINK_HINTS = {
    "link.url_unreachable": "start this node first (`nst run`), and if other nodes reach it"
    " at another address than {url}, set server.public_url (NST_PUBLIC_URL) to that address",
    "link.url_wrong_node": "another node listens at {url}: give this node its own port"
    " (--listen or [server] port) or set server.public_url (NST_PUBLIC_URL) to its address",
}


def _link(args: argparse.Namespace) -> int:
    from federation.client import PeerError
    from federation.transport import TransportError, UnsafeAddressError

    text = _read_invite(args.invite)
    node = node_of(args)
    url = node.config.url

    async def go() -> Peer:
        async with federation_of(node) as fed:
            try:
                return await fed.link(text)
            except PeerError as exc:  # the inviting node refused, and said why
                hint = _LINK_HINTS.get(exc.code, "").format(url=url)
                said = f"{exc.message}. What to do: {hint}" if hint else exc.message
                raise CliError(exc.code, said) from None
            except UnsafeAddressError as exc:
                if node.config.dev_mode:
                    raise CliError("link.unreachable", str(exc)) from None
                raise CliError(
                    "link.unreachable",
                    f"{exc}; this command runs outside development mode: for a development"
                    " node set dev_mode = true under [server] in config.toml (or NST_DEV_MODE=1)",
                ) from None
            except TransportError as exc:
                raise CliError("link.unreachable", str(exc)) from None

    peer = run_async(go())
    print(f"linked with {peer.name or 'a node without a name'}")
    print(f"node  {peer.node_id}")
    print(f"name  {peer.name}")
    print(f"url   {peer.url}")
    return 0


def _unlink(args: argparse.Namespace) -> int:
    node_id = _node_id(args.node_id)
    node = node_of(args)

    async def go() -> tuple[Peer | None, list[dict[str, Any]]]:
        async with federation_of(node) as fed:
            peer = await fed.unlink(node_id)
            return peer, list(fed.last_errors)

    peer, errors = run_async(go())
    if peer is None:
        raise CliError("peer.unknown", f"{node_id} was never linked with this node")
    for e in errors:
        print(f"warning: the peer was not told ({e['error']}); unlinked here", file=sys.stderr)
    print(f"unlinked {peer.node_id} ({peer.url}): its requests are refused from now on")
    return 0


def _key_rotate(args: argparse.Namespace) -> int:
    from federation.rotation import rotate_key
    from node.cli.node import config_of, passphrase, store_of
    from node.clock import SystemClock
    from node.keyfile import read_key

    cfg = config_of(args)
    key_passphrase = passphrase(args)
    node = Node(cfg, store_of(cfg), read_key(cfg.key_path, key_passphrase), SystemClock())
    old_id = node.node_id

    async def go() -> str:
        async with federation_of(node) as fed:
            new_key = await rotate_key(node, fed, reason=args.reason, passphrase=key_passphrase)
            return node_id_of(new_key)

    new_id = run_async(go())
    print(f"rotated {old_id}")
    print(f"     to {new_id}")
    print("Linked nodes are told by `nst run` (a key.rotate queued for each).")
    print("The old key is kept as node.key.old-<time>: keep it secret, it still opens old")
    print("direct messages.")
    return 0


# --- peers --------------------------------------------------------------------------------


def peer_json(peer: Peer, policy: str | None) -> dict[str, Any]:
    return {**peer.to_json(), "policy": policy}


def _peer_list(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def go() -> tuple[list[Peer], dict[str, str]]:
        async with opened(node.store):
            peers = peers_of(node)
            return await peers.all(), await peers.policies()

    peers, policies = run_async(go())
    if args.json:
        print_json([peer_json(p, policies.get(p.node_id)) for p in peers])
        return 0
    for p in peers:
        policy = f"  ({policies[p.node_id]})" if p.node_id in policies else ""
        print(f"{p.node_id}  {p.state:<8}  {p.url}  {p.name}{policy}")
        health = f"last contact {p.last_contact or 'never'}, {p.queued} queued"
        if p.failures:
            health += f", {p.failures} failed deliveries: {p.last_error}"
        print(f"    {health}")
    known = {p.node_id for p in peers}
    for node_id, policy in sorted(policies.items()):
        if node_id not in known:
            print(f"{node_id}  {policy} (never linked)")
    return 0


_POLICY_SAID = {
    "allow": "allowed {id}; while any node is allowed, only allowed nodes may link or send",
    "deny": "denied {id}: it may not link and its requests are refused (unlinked if it was)",
    None: "cleared the policy for {id}",
}


def _peer_policy(
    policy: Literal["allow", "deny"] | None,
) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        node_id = _node_id(args.node_id)
        node = node_of(args)

        async def go() -> None:
            async with opened(node.store):
                await peers_of(node).set_policy(node_id, policy)

        run_async(go())
        print(_POLICY_SAID[policy].format(id=node_id))
        return 0

    return command


def add_parsers(asub: Sub, common: argparse.ArgumentParser) -> None:
    """``invite``, ``link``, ``unlink`` and ``peer`` under ``nst admin``."""
    invite = asub.add_parser("invite", help="invites other nodes link with")
    isub = invite.add_subparsers(dest="invite_cmd", required=True, metavar="COMMAND")
    p = isub.add_parser(
        "create", parents=[common], help="a single-use invite; printed alone on the last line"
    )
    p.add_argument("--expires", default="7d", metavar="DURATION", help="30m, 12h, 7d (≤ 90d)")
    p.add_argument("--note", help="who it is for (kept here, never sent)")
    p.set_defaults(run=_invite_create)
    p = isub.add_parser("list", parents=[common], help="invites with their state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_invite_list)
    p = isub.add_parser("revoke", parents=[common], help="revoke an unused invite")
    p.add_argument("token_hash", metavar="TOKEN_HASH", help="as `invite list` shows it")
    p.set_defaults(run=_invite_revoke)

    p = asub.add_parser("link", parents=[common], help="link with the node that made an invite")
    p.add_argument("invite", metavar="INVITE", help="the invite, or - to read it from stdin")
    p.set_defaults(run=_link)
    p = asub.add_parser("unlink", parents=[common], help="stop exchanging with a linked node")
    p.add_argument("node_id", metavar="NODE_ID")
    p.set_defaults(run=_unlink)

    key = asub.add_parser("key", help="this node's identity key")
    ksub = key.add_subparsers(dest="key_cmd", required=True, metavar="COMMAND")
    p = ksub.add_parser(
        "rotate",
        parents=[common],
        help="move to a new key, announced to linked nodes by a key.rotate (stop nst run first)",
    )
    p.add_argument("--reason", default="", help="why (sent to linked nodes)")
    p.set_defaults(run=_key_rotate)

    peer = asub.add_parser("peer", help="linked nodes and the allow/deny policy")
    psub = peer.add_subparsers(dest="peer_cmd", required=True, metavar="COMMAND")
    p = psub.add_parser("list", parents=[common], help="linked nodes, their health and queues")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_peer_list)
    policies: tuple[tuple[str, Literal["allow", "deny"] | None, str], ...] = (
        ("allow", "allow", "only allowed nodes may link or send (once any is allowed)"),
        ("deny", "deny", "refuse a node's link and requests; unlink it"),
        ("clear", None, "remove a node from the allow and deny lists"),
    )
    for name, policy, help_text in policies:
        p = psub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("node_id", metavar="NODE_ID")
        p.set_defaults(run=_peer_policy(policy))
