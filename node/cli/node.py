"""How a command reaches its node: common options, config, key, store, secrets from
stdin or a prompt, files only their owner reads; and the commands about the node as a
whole: ``nst init``, ``nst run`` and ``nst status``.

Secrets never come from argv (other users see it in ``ps``): the key passphrase comes
from ``NST_KEY_PASSPHRASE`` or ``--passphrase-stdin``, passwords from a prompt or stdin.
When both come from stdin, the passphrase is the first line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import orjson
from nacl.signing import SigningKey

from node import logging as nst_logging
from node.cli.errors import CliError
from node.clock import SystemClock
from node.config import (
    CONFIG_NAME,
    Config,
    load_config,
    render_config,
    resolve_data_dir,
)
from node.keyfile import read_key, write_key
from node.service import Node
from node.store import SQLiteStore, Store
from protocol import node_id_of

T = TypeVar("T")
Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# --- options and plumbing -----------------------------------------------------------------


def common_options(*, passphrase: bool) -> argparse.ArgumentParser:
    """A parent parser: where the node is, and (for commands that sign) the passphrase."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir", metavar="DIR", help="the node's directory (default: NST_DATA_DIR, else XDG)"
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: DIR/config.toml)")
    if passphrase:
        p.add_argument(
            "--passphrase-stdin",
            action="store_true",
            help="read the key passphrase from stdin (else NST_KEY_PASSPHRASE)",
        )
    return p


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on uvloop when it is installed, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def print_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.buffer.flush()


def secret_line(prompt: str, *, confirm: bool = False) -> str:
    """A secret from a prompt on a terminal, else the next line of stdin."""
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != value:
            raise CliError("usage", "the two entries differ")
        return value
    line = sys.stdin.readline()
    if not line:
        raise CliError("usage", f"stdin ended before the {prompt.rstrip(': ').lower()}")
    return line.rstrip("\r\n")


def passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str | None:
    if getattr(args, "passphrase_stdin", False):
        return secret_line("Key passphrase: ", confirm=confirm)
    return os.environ.get("NST_KEY_PASSPHRASE") or None


def config_of(args: argparse.Namespace) -> Config:
    cfg = load_config(args.data_dir, args.config)
    if not cfg.db_path.exists():
        raise CliError("store.missing", f"no database at {cfg.db_path}: run `nst init` first")
    return cfg


def store_of(cfg: Config) -> Store:
    return SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir, synchronous=cfg.synchronous)


def node_of(args: argparse.Namespace) -> Node:
    """The node named by the options, its store not yet open (reads the passphrase)."""
    cfg = config_of(args)
    return Node(cfg, store_of(cfg), read_key(cfg.key_path, passphrase(args)), SystemClock())


@asynccontextmanager
async def opened(store: Store) -> AsyncIterator[Store]:
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def create_private(path: Path) -> int:
    """A new file only its owner reads (backups hold password hashes)."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CliError("io.exists", f"{path} exists; choose another --out") from None
    except OSError as exc:
        raise CliError("io", f"cannot create {path}: {exc.strerror}") from None


def key_of(cfg: Config, args: argparse.Namespace) -> SigningKey:
    """The node's key, which signs the trailer of what it exports."""
    return read_key(cfg.key_path, passphrase(args))


# --- nst init -----------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    config_path = Path(args.config) if args.config else data_dir / CONFIG_NAME
    # Only what was asked for goes into the file; NST_* overrides apply when it is read.
    asked: dict[str, Any] = {"dev_mode": True} if args.dev else {}
    if args.name is not None:
        asked["name"] = args.name
    cfg = Config(data_dir, **asked)
    present = [p for p in (config_path, cfg.key_path, cfg.db_path) if p.exists()]
    if present:
        raise CliError(
            "init.exists", f"{present[0]} exists: a node is here already; nothing was changed"
        )
    secret = passphrase(args, confirm=True)
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True)
    text = render_config(cfg)
    if config_path.resolve().parent != data_dir.resolve():
        # A config kept elsewhere must say where its node's files are.
        pointer = f"# Where node.key and the database live.\ndata_dir = {_q(data_dir.resolve())}\n"
        text = text.replace("[node]\n", f"[node]\n{pointer}", 1)
    key = SigningKey.generate()
    created: list[Path] = []
    try:
        write_key(cfg.key_path, key, secret)
        created.append(cfg.key_path)
        # An empty file is an empty database; creating it ourselves sets its mode (the
        # WAL files SQLite adds later copy it).
        os.close(os.open(cfg.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        created.append(cfg.db_path)
        run_async(_create_db(cfg))
        fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created.append(config_path)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except BaseException:
        for path in created:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    node_id = node_id_of(key)
    where = "" if args.data_dir is None else f" --data-dir {data_dir}"
    if args.config:
        where += f" --config {config_path}"
    print(f"node {node_id}")
    print(f"created {data_dir} ({cfg.name}){' with an encrypted key' if secret else ''}")
    if cfg.dev_mode:
        print("development mode: plain HTTP and loopback peers, for every command on this node")
    print("next steps:")
    print(f"  nst admin member add HANDLE --name 'Your Name' --admin{where}")
    print(f"  nst run{where}")
    return 0


def _q(path: Path) -> str:
    return orjson.dumps(str(path)).decode()


async def _create_db(cfg: Config) -> None:
    async with opened(store_of(cfg)):
        pass


# --- nst run ------------------------------------------------------------------------------


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise CliError("usage", f"--listen takes HOST:PORT, not {value!r}")
    return host, int(port)


def _run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from node.server import serve  # aiohttp and prometheus: only `nst run` needs them

    cfg = config_of(args)
    key_passphrase = passphrase(args)
    node = Node(cfg, store_of(cfg), read_key(cfg.key_path, key_passphrase), SystemClock())
    if args.listen:
        host, port = _listen(args.listen)
        cfg = replace(cfg, listen_host=host, listen_port=port)
    if args.dev:
        cfg = replace(cfg, dev_mode=True)
    node.config = cfg
    nst_logging.configure(cfg.log_format)  # INFO now: a server says what it does

    def ready(url: str) -> None:
        print(f"listening on {url}", flush=True)

    def with_federation(app: web.Application) -> None:
        # The command line is where the layers are put together.
        from federation.rotation import install_rotating_client
        from federation.routes import install
        from federation.transport import HttpTransport
        from node.rotation import load_retired_keys

        fed = install(
            app,
            node,
            HttpTransport(dev_mode=node.config.dev_mode),
            verify_workers=node.config.verify_workers,
        )
        # After a key rotation, peers not yet told are still addressed with the old key.
        retired = load_retired_keys(node.config, key_passphrase)
        if retired:
            install_rotating_client(fed, retired)
        from web_ui import install as install_web_ui

        install_web_ui(app, node)

    try:
        run_async(serve(node, cfg.listen_host, cfg.listen_port, ready, with_federation))
    except OSError as exc:
        raise CliError(
            "run.listen", f"cannot listen on {cfg.listen_host}:{cfg.listen_port}: {exc.strerror}"
        ) from None
    return 0


# --- nst status ---------------------------------------------------------------------------


def _status(args: argparse.Namespace) -> int:
    node = node_of(args)

    async def read() -> dict[str, Any]:
        async with opened(node.store):
            return await node.status()

    status = run_async(read())
    if args.json:
        print_json(status)
        return 0
    envelopes = status["envelopes"]
    kinds = ", ".join(f"{k} {n}" for k, n in envelopes.items()) or "none"
    peers = status["peers"]
    rows = [
        ("node", status["node_id"]),
        ("name", status["name"]),
        ("url", status["url"]),
        ("schema", status["schema_version"]),
        ("envelopes", f"{sum(envelopes.values())} ({kinds})"),
        ("members", status["members"]),
        ("circles", status["circles"]),
        ("peers", len(peers) or "none"),
        *((f"  {p['node_id']}", f"{p['url']} {p['state']}") for p in peers),
        ("queues", ", ".join(f"{k} {n}" for k, n in status["queues"].items()) or "empty"),
        ("equivocations", len(status["equivocations"])),
        ("disputes", len(status["disputes"]) or "none"),
        *(
            (" ", f"{d['code']}: decision {d['envelope_id']} in {d['scope']}")
            for d in status["disputes"]
        ),
        ("invitations", len(status["circle_invitations"]) or "none"),
        *(
            (" ", f"{i['circle_id']} {i['name']!r} from {i['home_name']}")
            for i in status["circle_invitations"]
        ),
        ("mail", _mail_line(status["mail"])),
        ("last errors", len(status["last_errors"]) or "none"),
        *((" ", e) for e in status["last_errors"]),
    ]
    for label, value in rows:
        print(f"{label:<14} {value}")
    return 0


def _mail_line(mail: dict[str, Any]) -> str:
    if not mail["enabled"]:
        return "off (no [mail] host and from in config.toml)"
    return (
        f"{mail['server']}: {mail['queued']} queued, {mail['sending']} sending,"
        f" {mail['failed']} failed, {mail['bouncing']} bouncing"
    )


def add_parsers(sub: Sub) -> None:
    signing = common_options(passphrase=True)
    p = sub.add_parser("init", parents=[signing], help="create a node: config, key, database")
    p.add_argument("--name", help="the organization's name, shown to members and peers")
    p.add_argument(
        "--dev",
        action="store_true",
        help="a development node: plain HTTP and loopback peers (dev_mode in config.toml)",
    )
    p.set_defaults(run=_init)

    p = sub.add_parser("run", parents=[signing], help="run the node until SIGTERM or SIGINT")
    p.add_argument("--listen", metavar="HOST:PORT", help="override server.host and port")
    p.add_argument(
        "--dev",
        action="store_true",
        help="development mode (as NST_DEV_MODE=1): plain HTTP and loopback peers, for every"
        " command on this node while it runs this way",
    )
    p.set_defaults(run=_run)

    p = sub.add_parser("status", parents=[signing], help="what the node holds and how it is")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=_status)
