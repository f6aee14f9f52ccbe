"""``nst export`` and ``nst import``: the node's envelopes out and back in.

An export is every envelope as canonical JSON lines, each verifiable on its own (``nst
proto verify``), followed by the positions of the circle orders (``{"circle_order": …}``
lines), from which the governance state is derived again on import, the evidence of
equivocations (``{"equivocation": [a, b]}``), and the node's signed trailer
(``node.trailer``). An import verifies every line (and the trailer) before it stores any,
then stores all of them in one transaction, so a node never holds half an import.
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
)
from protocol.bodies import Int, decode
from protocol.feeds import EVIDENCE_BYTES, prove_equivocation


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


def _export(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    key = key_of(cfg, args)
    to_stdout = args.out in (None, "-")
    out = Path(args.out or "-")
    partial = out.with_name(f".{out.name}.partial")
    if not to_stdout:
        partial.unlink(missing_ok=True)  # left by an interrupted export

    async def go() -> int:
        async with opened(store_of(cfg)) as store:
            if to_stdout:
                return await write_export(store, sys.stdout.buffer, key)
            with os.fdopen(create_private(partial), "wb") as sink:
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


def add_export_parser(sub: Sub) -> None:
    signing = common_options(passphrase=True)
    p = sub.add_parser(
        "export", parents=[signing], help="every envelope as JSON lines, signed by the node"
    )
    p.add_argument("--out", help="file to write, or - for stdout (the default)")
    p.set_defaults(run=_export)


def add_import_parser(sub: Sub) -> None:
    common = common_options(passphrase=False)
    p = sub.add_parser("import", parents=[common], help="verify and load an export")
    p.add_argument("file", help="an export from `nst export`, or - for stdin")
    p.set_defaults(run=_import)
