"""``nst proto``: canonicalize, sign, verify and identify envelopes from the shell.

A stable interface others script against: results on stdout, and on failure exit
status 1 with ``error: <code>: <message>`` on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from node.cli.errors import CliError
from node.keyfile import KeyFileError, read_key, write_key
from protocol import (
    CURRENT,
    ErrorCode,
    RemoteProtocolError,
    decode_envelope,
    envelope_id,
    format_ts,
    loads,
    node_id_of,
    open_envelope,
)
from protocol.canonical import encode
from protocol.feeds import EVIDENCE_BYTES, prove_equivocation
from protocol.signing import sign_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("proto", help="canonicalize, sign, verify and identify envelopes")
    ps = p.add_subparsers(dest="proto_cmd", required=True, metavar="COMMAND")

    c = ps.add_parser("canon", help="print the canonical bytes of a JSON document")
    c.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin")
    c.set_defaults(run=_canon)

    k = ps.add_parser("keygen", help="write a new Ed25519 key file (mode 0600)")
    k.add_argument("--out", required=True, type=Path, help="key file to create")
    k.add_argument("--seed-hex", help="derive the key from this 32-byte seed (for vectors)")
    k.set_defaults(run=_keygen)

    s = ps.add_parser("sign", help="fill author, body_hash and sig of an envelope draft")
    s.add_argument("--key", required=True, type=Path, help="key file from keygen")
    s.add_argument("file", nargs="?", default="-", help="draft JSON, or - for stdin")
    s.set_defaults(run=_sign)

    v = ps.add_parser("verify", help="verify an envelope (or proof of equivocation)")
    v.add_argument("file", nargs="?", default="-", help="envelope JSON, or - for stdin")
    v.add_argument(
        "--equivocation",
        action="store_true",
        help='FILE is a pair of envelopes, [a, b] or an export\'s {"equivocation": [a, b]}:'
        " check that it proves equivocation",
    )
    v.set_defaults(run=_verify)

    i = ps.add_parser("id", help="print an envelope's id (structure checked, not signature)")
    i.add_argument("file", nargs="?", default="-", help="envelope JSON, or - for stdin")
    i.set_defaults(run=_id)


def run(args: argparse.Namespace) -> int:
    try:
        out: bytes = args.run(args)
    except RemoteProtocolError as exc:
        return _fail(str(exc.code), exc.message)
    except CliError as exc:
        return _fail(exc.code, str(exc))
    except KeyFileError as exc:
        return _fail("key", str(exc))
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


def _fail(code: str, message: str) -> int:
    print(f"error: {code}: {message}", file=sys.stderr)
    return 1


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise CliError("io", f"cannot read {name}: {exc.strerror}") from None


def _canon(args: argparse.Namespace) -> bytes:
    return encode(loads(_read(args.file)))


def _keygen(args: argparse.Namespace) -> bytes:
    if args.seed_hex is not None:
        try:
            seed = bytes.fromhex(args.seed_hex)
        except ValueError:
            raise CliError("usage", "--seed-hex takes 64 hexadecimal digits") from None
        if len(seed) != 32:
            raise CliError("usage", "--seed-hex takes 64 hexadecimal digits")
        key = SigningKey(seed)
    else:
        key = SigningKey.generate()
    write_key(args.out, key)
    return (node_id_of(key) + "\n").encode()


_DEFAULTS: dict[str, Any] = {"v": CURRENT.number, "actor": None, "prev": None, "refs": []}


def _sign(args: argparse.Namespace) -> bytes:
    key = read_key(args.key)
    draft = loads(_read(args.file))
    if type(draft) is not dict:
        raise RemoteProtocolError(ErrorCode.NOT_OBJECT, "a draft is a JSON object")
    filled = {**_DEFAULTS, "ts": format_ts(dt.datetime.now(dt.UTC)), **draft}
    return sign_json(filled, key).to_bytes() + b"\n"


def _verify(args: argparse.Namespace) -> bytes:
    if args.equivocation:
        (a, a_id), (_, b_id) = prove_equivocation(loads(_read(args.file), max_bytes=EVIDENCE_BYTES))
        return (
            f"proven equivocation: {a.author} signed two envelopes at seq {a.seq}"
            f" of {a.scope}\n{a_id}\n{b_id}\n"
        ).encode()
    _, env_id = open_envelope(loads(_read(args.file)))
    return (env_id + "\n").encode()


def _id(args: argparse.Namespace) -> bytes:
    return (envelope_id(decode_envelope(loads(_read(args.file)))) + "\n").encode()
