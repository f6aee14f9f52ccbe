"""``nst backup``, ``nst restore``, ``nst export`` and ``nst import``: the node's data out
and back in.

A backup is the whole node (database copied online, config, key) in one archive, and
``nst restore`` brings back the same node from it (``node.backup``). An export is every
envelope as canonical JSON lines, each verifiable on its own (``nst proto verify``),
followed by the positions of the circle orders (``{"circle_order": …}`` lines), from
which the governance state is derived again on import, the evidence of equivocations
(``{"equivocation": [a, b]}``), and the node's signed trailer (``node.trailer``).
An import verifies every line (and the trailer) before it stores any, then stores all
of them in one transaction, so a node never holds half an import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgspec
from nacl.signing import SigningKey

from node import trailer
from node.cli.node import (
    Sub,
    common_options,
    config_of,
    opened,
    passphrase,
    run_async,
    store_of,
)
from node.cli.proto import CliError
from node.config import CONFIG_NAME, Config, resolve_data_dir
from node.keyfile import read_key
from node.store import Store, governance
from node.store.log import append_remote, keep_equivocation
from node.trailer import Tally
from protocol import (
    Envelope,
    ErrorCode,
    RemoteProtocolError,
    envelope_id,
    format_ts,
    loads,
    open_envelope,
    parse_envelope,
    scope_owner,
)
from protocol.bodies import Int, decode
from protocol.feeds import EVIDENCE_BYTES, prove_equivocation


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


async def write_export(store: Store, sink: BinaryIO, key: SigningKey) -> int:
    """Every envelope, the circle orders, the equivocation evidence, then the trailer
    that commits to them all; how many envelopes."""
    tally = Tally()
    async for line in store.export_lines():
        env = parse_envelope(line)  # our own, verified when stored
        tally.line("envelope", line)
        tally.envelope(env, envelope_id(env))
        sink.write(line + b"\n")
    async for line in store.order_lines():
        p = _ORDER_LINE.decode(line).circle_order
        tally.line("circle_order", line)
        tally.position(p.scope, p.pos, p.id, p.at)
        sink.write(line + b"\n")
    async for line in store.equivocation_lines():
        tally.line("equivocation", line)
        sink.write(line + b"\n")
    now = format_ts(dt.datetime.now(dt.UTC))
    sink.write(trailer.sign_trailer(tally, "node", key, now) + b"\n")
    sink.flush()
    return tally.lines.get("envelope", 0)


def _key_of(cfg: Config, args: argparse.Namespace) -> SigningKey:
    """The node's key, which signs the trailer of what it exports."""
    return read_key(cfg.key_path, passphrase(args))


def _export(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    key = _key_of(cfg, args)
    to_stdout = args.out in (None, "-")
    out = Path(args.out or "-")
    partial = out.with_name(f".{out.name}.partial")
    if not to_stdout:
        partial.unlink(missing_ok=True)  # left by an interrupted export

    async def go() -> int:
        async with opened(store_of(cfg)) as store:
            if to_stdout:
                return await write_export(store, sys.stdout.buffer, key)
            with os.fdopen(_create_private(partial), "wb") as sink:
                n = await write_export(store, sink, key)
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


@dataclass
class _Parsed:
    """An export, read and verified line by line for import."""

    envelopes: list[tuple[int, Envelope, str]] = field(default_factory=list)
    order: list[tuple[int, str, int, str, str]] = field(default_factory=list)
    # (line number, the two envelopes of the evidence with their ids)
    equivocations: list[tuple[int, tuple[Envelope, str], tuple[Envelope, str]]] = field(
        default_factory=list
    )
    signer: str | None = None  # None: the export has no trailer
    signed_at: str | None = None


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
    return _parse(data).envelopes


def parse_order(data: bytes) -> list[tuple[int, str, int, str, str]]:
    """The circle order lines: (line number, scope, pos, envelope id, at)."""
    return _parse(data).order


def _parse(data: bytes) -> _Parsed:
    parsed, tally = _Parsed(), Tally()
    bad: list[str] = []
    body, last = trailer.split(data.split(b"\n"))
    for number, line in body:
        if line.startswith(b'{"circle_order":'):
            try:
                p = decode(_ORDER_LINE, line).circle_order
            except RemoteProtocolError as exc:
                code = "import.bad_order" if exc.code is ErrorCode.REQUEST_MALFORMED else exc.code
                bad.append(f"line {number}: {code}: {exc.message}")
                continue
            parsed.order.append((number, p.scope, p.pos, p.id, p.at))
            kind = "circle_order"
            tally.position(p.scope, p.pos, p.id, p.at)
        elif line.startswith(b'{"equivocation":'):
            try:
                a, b = prove_equivocation(loads(line, max_bytes=EVIDENCE_BYTES))
            except RemoteProtocolError as exc:
                bad.append(f"line {number}: {exc.code}: {exc.message}")
                continue
            parsed.equivocations.append((number, a, b))
            kind = "equivocation"
        else:
            try:
                env, env_id = open_envelope(loads(line))
            except RemoteProtocolError as exc:
                bad.append(f"line {number}: {exc.code}: {exc.message}")
                continue
            parsed.envelopes.append((number, env, env_id))
            kind = "envelope"
            tally.envelope(env, env_id)
        try:
            tally.line(kind, line, number)
        except RemoteProtocolError as exc:
            bad.append(f"line {number}: {exc.code}: {exc.message}")
    if bad:
        raise ImportLinesError(bad)
    if last is not None:
        found = trailer.read_trailer(last, "node")
        trailer.check_complete(found, tally)
        trailer.check_digest(found, tally)
        parsed.signer, parsed.signed_at = found.signer, found.signed_at
    return parsed


_NOT_EMPTY = "this node holds envelopes already; import needs a fresh node (nst init)"


def _import(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError("io", f"cannot read {args.file}: {exc.strerror}") from None
    now = dt.datetime.now(dt.UTC)

    def store_all(parsed: _Parsed, conn: sqlite3.Connection) -> int:
        if conn.execute("SELECT 1 FROM envelopes LIMIT 1").fetchone():
            raise CliError("import.not_empty", _NOT_EMPTY)
        items, order = parsed.envelopes, parsed.order
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
        for number, a, b in parsed.equivocations:
            _keep_evidence(conn, number, a, b, now)
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

    async def go() -> tuple[_Parsed, int]:
        async with opened(store_of(cfg)) as store:
            if sum((await store.counts()).values()):
                raise CliError("import.not_empty", _NOT_EMPTY)
            parsed = _parse(data)
            return parsed, await store.write(lambda conn: store_all(parsed, conn))

    try:
        parsed, n = run_async(go())
    except ImportLinesError as exc:
        for problem in exc.problems:
            print(f"error: import.bad_line: {problem}", file=sys.stderr)
        return 1
    if parsed.signer is None:
        print(_UNSIGNED, file=sys.stderr)
    else:
        print(f"the export is signed by {parsed.signer} at {parsed.signed_at}", file=sys.stderr)
    if parsed.equivocations:
        print(f"kept {len(parsed.equivocations)} proof(s) of equivocation", file=sys.stderr)
    print(f"imported {n} envelopes")
    return 0


_UNSIGNED = (
    "note: unsigned export (made before exports were signed, or by hand): each envelope"
    " verifies, but nothing proves the export is complete"
)


def _keep_evidence(
    conn: sqlite3.Connection,
    number: int,
    a: tuple[Envelope, str],
    b: tuple[Envelope, str],
    now: dt.datetime,
) -> None:
    """Keep a proven equivocation: the envelope the import holds at that place, and the
    other one as evidence against it (its feed frozen, as on the node exported)."""
    env = a[0]
    row = conn.execute(
        "SELECT id FROM envelopes WHERE author = ? AND scope = ? AND seq = ?",
        (env.author, env.scope, env.seq),
    ).fetchone()
    held = row[0] if row else None
    if held not in (a[1], b[1]):
        raise CliError(
            "import.rejected",
            f"line {number}: evidence against seq {env.seq} of {env.author} in {env.scope},"
            " which the export does not hold; nothing was imported",
        )
    second, second_id = b if held == a[1] else a
    keep_equivocation(conn, second, second_id, held, now)


def _logbook_export(args: argparse.Namespace) -> int:
    from node import logbook

    cfg = config_of(args)
    key = None if args.format == "html" else _key_of(cfg, args)

    async def go() -> bytes:
        async with opened(store_of(cfg)) as store:
            if key is None:
                return (await logbook.export_html(store, args.circle)).encode()
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
        with os.fdopen(_create_private(Path(args.out)), "wb") as sink:
            sink.write(data)
    return 0


def _logbook_verify(args: argparse.Namespace) -> int:
    from node import logbook

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
    signing = common_options(passphrase=True)
    p = sub.add_parser(
        "export", parents=[signing], help="every envelope as JSON lines, signed by the node"
    )
    p.add_argument("--out", help="file to write, or - for stdout (the default)")
    p.set_defaults(run=_export)
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
    p = sub.add_parser("import", parents=[common], help="verify and load an export")
    p.add_argument("file", help="an export from `nst export`, or - for stdin")
    p.set_defaults(run=_import)
