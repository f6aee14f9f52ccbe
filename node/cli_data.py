"""``nst backup``, ``nst restore``, ``nst export`` and ``nst import``: the node's data out
and back in.

A backup is the whole node (database copied online, config, key) in one archive, and
``nst restore`` brings back the same node from it (``node.backup``). An export is every
envelope as canonical JSON lines, each verifiable on its own (``nst proto verify``),
followed by the positions of the circle orders (``{"circle_order": …}`` lines), from
which the governance state is derived again on import.
An import verifies every line before it stores any, then stores all of them in one
transaction, so a node never holds half an import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path
from typing import BinaryIO

import msgspec

from node.cli_node import Sub, common_options, config_of, opened, run_async, store_of
from node.cli_proto import CliError
from node.config import CONFIG_NAME, resolve_data_dir
from node.store import Store, governance
from node.store.log import append_remote
from protocol import Envelope, ErrorCode, RemoteProtocolError, loads, open_envelope
from protocol.bodies import Int, decode


def _create_private(path: Path) -> int:
    """A new file only its owner reads (backups hold password hashes)."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CliError("io.exists", f"{path} exists; choose another --out") from None
    except OSError as exc:
        raise CliError("io", f"cannot create {path}: {exc.strerror}") from None


def _backup(args: argparse.Namespace) -> int:
    from node.backup import BackupError, write_backup

    cfg = config_of(args)
    config_path = (
        Path(args.config) if args.config else resolve_data_dir(args.data_dir) / CONFIG_NAME
    )
    if args.out:
        out = Path(args.out)
    else:
        cfg.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = cfg.backup_dir / f"nst-{stamp}.tar.gz"
    fd = _create_private(out)

    async def go(sink: BinaryIO) -> None:
        async with opened(store_of(cfg)) as store:
            await write_backup(store, cfg, config_path, sink, with_key=not args.no_key)

    try:
        with os.fdopen(fd, "wb") as sink:
            run_async(go(sink))
    except BaseException as exc:
        out.unlink(missing_ok=True)
        if isinstance(exc, BackupError):
            raise CliError(exc.code, exc.message) from None
        raise
    print(out)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from node.backup import BackupError, restore

    target = resolve_data_dir(args.data_dir)
    try:
        done = restore(Path(args.file), target, Path(args.key) if args.key else None)
    except BackupError as exc:
        raise CliError(exc.code, exc.message) from None
    where = "" if args.data_dir is None else f" --data-dir {target}"
    print(f"node {done.node_id}")
    print(f"restored {done.name} into {target}")
    if done.moved_data_dir is not None:
        print(f"config.toml named data_dir {done.moved_data_dir}; it now names {target.resolve()}")
    if done.retired_keys:
        print(f"with {done.retired_keys} retired key(s) of earlier rotations")
    if done.encrypted_key:
        print("the key is encrypted: nst run needs its passphrase (NST_KEY_PASSPHRASE)")
    print(f"next: nst run{where}")
    return 0


async def _write_lines(store: Store, sink: BinaryIO) -> int:
    n = 0
    async for line in store.export_lines():
        sink.write(line + b"\n")
        n += 1
    async for line in store.order_lines():
        sink.write(line + b"\n")
    sink.flush()
    return n


def _export(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    to_stdout = args.out in (None, "-")
    out = Path(args.out or "-")
    partial = out.with_name(f".{out.name}.partial")
    if not to_stdout:
        partial.unlink(missing_ok=True)  # left by an interrupted export

    async def go() -> int:
        async with opened(store_of(cfg)) as store:
            if to_stdout:
                return await _write_lines(store, sys.stdout.buffer)
            with os.fdopen(_create_private(partial), "wb") as sink:
                n = await _write_lines(store, sink)
                sink.flush()
                os.fsync(sink.fileno())
                return n

    try:
        n = run_async(go())
    except BaseException:
        if not to_stdout:
            partial.unlink(missing_ok=True)
        raise
    if not to_stdout:
        os.replace(partial, out)
        print(f"exported {n} envelopes to {out}", file=sys.stderr)
    return 0


class ImportLinesError(Exception):
    """Lines of an import that do not verify, each as ``line N: <code>: <message>``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} bad lines")
        self.problems = problems


class _Position(msgspec.Struct, forbid_unknown_fields=True):
    at: str
    id: str
    pos: Int
    scope: str


class _OrderLine(msgspec.Struct, forbid_unknown_fields=True):
    circle_order: _Position


_ORDER_LINE = msgspec.json.Decoder(_OrderLine)


def parse_lines(data: bytes) -> list[tuple[int, Envelope, str]]:
    """Decode and verify every envelope line (retracted bodies allowed): (line number,
    envelope, id). Every bad line is reported together, so one run shows all that is
    wrong. Circle order lines are skipped here (see ``parse_order``)."""
    return _parse(data)[0]


def parse_order(data: bytes) -> list[tuple[int, str, int, str, str]]:
    """The circle order lines: (line number, scope, pos, envelope id, at)."""
    return _parse(data)[1]


def _parse(
    data: bytes,
) -> tuple[list[tuple[int, Envelope, str]], list[tuple[int, str, int, str, str]]]:
    good: list[tuple[int, Envelope, str]] = []
    order: list[tuple[int, str, int, str, str]] = []
    bad: list[str] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line:
            continue
        if line.startswith(b'{"circle_order":'):
            try:
                p = decode(_ORDER_LINE, line).circle_order
            except RemoteProtocolError as exc:
                code = "import.bad_order" if exc.code is ErrorCode.REQUEST_MALFORMED else exc.code
                bad.append(f"line {number}: {code}: {exc.message}")
                continue
            order.append((number, p.scope, p.pos, p.id, p.at))
            continue
        try:
            env, env_id = open_envelope(loads(line))
        except RemoteProtocolError as exc:
            bad.append(f"line {number}: {exc.code}: {exc.message}")
            continue
        good.append((number, env, env_id))
    if bad:
        raise ImportLinesError(bad)
    return good, order


_NOT_EMPTY = "this node holds envelopes already; import needs a fresh node (nst init)"


def _import(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError("io", f"cannot read {args.file}: {exc.strerror}") from None
    now = dt.datetime.now(dt.UTC)

    def store_all(
        items: list[tuple[int, Envelope, str]],
        order: list[tuple[int, str, int, str, str]],
        conn: sqlite3.Connection,
    ) -> int:
        if conn.execute("SELECT 1 FROM envelopes LIMIT 1").fetchone():
            raise CliError("import.not_empty", _NOT_EMPTY)
        for number, env, env_id in items:
            try:
                result = append_remote(conn, env, env_id, now)
            except sqlite3.IntegrityError as exc:  # e.g. a membership of a circle not held
                raise CliError(
                    "import.rejected", f"line {number}: {exc}; nothing was imported"
                ) from None
            if result.status != "accepted":
                # Raising rolls the whole import back: nothing is half-imported.
                why = f"{result.code}: {result.message}" if result.code else result.status
                raise CliError("import.rejected", f"line {number}: {why}; nothing was imported")
        for number, scope, pos, env_id, at in order:
            try:
                governance.record(conn, scope, pos, env_id, at)
            except RemoteProtocolError as exc:
                raise CliError(
                    "import.rejected", f"line {number}: {exc.code}: {exc.message}"
                ) from None
        for scope in sorted({o[1] for o in order}):
            governance.apply_pending(conn, scope)
        return len(items)

    async def go() -> int:
        async with opened(store_of(cfg)) as store:
            if sum((await store.counts()).values()):
                raise CliError("import.not_empty", _NOT_EMPTY)
            items, order = _parse(data)
            return await store.write(lambda conn: store_all(items, order, conn))

    try:
        n = run_async(go())
    except ImportLinesError as exc:
        for problem in exc.problems:
            print(f"error: import.bad_line: {problem}", file=sys.stderr)
        return 1
    print(f"imported {n} envelopes")
    return 0


def _logbook_export(args: argparse.Namespace) -> int:
    from node import logbook

    cfg = config_of(args)

    async def go() -> bytes:
        async with opened(store_of(cfg)) as store:
            if args.format == "html":
                return (await logbook.export_html(store, args.circle)).encode()
            return b"".join(line + b"\n" for line in await logbook.export_jsonl(store, args.circle))

    try:
        data = run_async(go())
    except logbook.LogbookError as exc:
        raise CliError(exc.code, exc.message) from None
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with os.fdopen(_create_private(Path(args.out)), "wb") as sink:
            sink.write(data)
    return 0


def _circle_named(data: bytes) -> object:
    """The circle a logbook export's header names; None when the header cannot be read
    (``verify_export`` then says what is wrong with it)."""
    try:
        return loads(data.split(b"\n", 1)[0])["logbook"]["circle"]
    except (RemoteProtocolError, KeyError, TypeError):
        return None


def _logbook_verify(args: argparse.Namespace) -> int:
    from node import logbook

    async def from_node() -> bytes:
        async with opened(store_of(config_of(args))) as store:
            return b"\n".join(await logbook.export_jsonl(store, args.circle))

    try:
        if args.source is None:
            if args.circle is None:
                raise CliError("logbook.which_circle", "name the circle, or give --from FILE")
            data = run_async(from_node())
        else:
            try:
                raw = (
                    sys.stdin.buffer.read()
                    if args.source == "-"
                    else Path(args.source).read_bytes()
                )
            except OSError as exc:
                raise CliError("io", f"cannot read {args.source}: {exc.strerror}") from None
            data = (
                raw
                if raw.startswith(b'{"logbook":')
                else logbook.from_node_export(raw, args.circle)
            )
            named = _circle_named(data)
            if args.circle is not None and named not in (None, args.circle):
                raise CliError("logbook.unknown_circle", f"the file is not {args.circle}'s")
        report = run_async(logbook.verify_export(data))
    except logbook.LogbookError as exc:
        raise CliError(exc.code, exc.message) from None
    print(
        f"verified: {report.circle}: {report.envelopes} envelopes, {report.entries} logbook"
        f" entries, head {report.head}"
    )
    for pos, code in report.refused:
        print(f"  position {pos}: refused ({code})")
    for pos, code in report.disputed:
        print(f"  position {pos}: disputed decision ({code})")
    return 0


def add_parsers(sub: Sub) -> None:
    common = common_options(passphrase=False)
    p = sub.add_parser(
        "backup", parents=[common], help="the whole node in one archive, taken online"
    )
    p.add_argument("--out", help="file to create (default: DATA_DIR/backups/nst-STAMP.tar.gz)")
    p.add_argument(
        "--no-key", action="store_true", help="leave the keys out (for copies kept elsewhere)"
    )
    p.set_defaults(run=_backup)
    p = sub.add_parser("restore", help="bring a node back from `nst backup` into a new directory")
    p.add_argument("file", help="an archive from `nst backup`")
    p.add_argument(
        "--data-dir", metavar="DIR", help="where to put it (default: NST_DATA_DIR, else XDG)"
    )
    p.add_argument("--key", metavar="FILE", help="the node's key, for an archive without one")
    p.set_defaults(run=_restore)
    p = sub.add_parser("export", parents=[common], help="every envelope as JSON lines")
    p.add_argument("--out", help="file to write, or - for stdout (the default)")
    p.set_defaults(run=_export)
    p = sub.add_parser("logbook", help="export a circle's logbook, or verify an export offline")
    lsub = p.add_subparsers(dest="logbook_command", required=True, metavar="COMMAND")
    q = lsub.add_parser("export", parents=[common], help="a circle's logbook")
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
    q.set_defaults(run=_logbook_verify)
    p = sub.add_parser("import", parents=[common], help="verify and load an export")
    p.add_argument("file", help="an export from `nst export`, or - for stdin")
    p.set_defaults(run=_import)
