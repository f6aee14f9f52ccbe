"""A circle's history exported (``nst logbook export``, ``nst export``) and verified
offline (``nst logbook verify``): only a complete, untouched export signed by the node
that made it verifies; every way of cutting, editing or re-signing one is refused with
its own code."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from nacl.signing import SigningKey

from node.clock import FixedClock
from node.config import load_config
from node.governance import logbook
from node.keyfile import read_key
from node.service import Node
from node.store import SQLiteStore
from protocol import b64encode, node_id_of
from protocol.canonical import dumps

START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
STRANGER = SigningKey(b"\x5a" * 32)


def nst(
    *args: str | Path, data_dir: Path | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, "-m", "node", *map(str, args)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NST_")} | env
    return subprocess.run(argv, capture_output=True, timeout=60, check=False, env=environ)


def ok(*args: str | Path, data_dir: Path | None = None, **env: str) -> bytes:
    proc = nst(*args, data_dir=data_dir, **env)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@dataclass(frozen=True)
class Exports:
    node_id: str
    circle: str
    logbook: list[bytes]  # `nst logbook export CIRCLE`, line by line
    whole: list[bytes]  # `nst export`, line by line
    tmp: Path


async def _history(data_dir: Path) -> str:
    """A circle with a decision in its logbook, then what follows the last entry: a
    proposal's position and the latest messages."""
    cfg = load_config(data_dir, env={})
    store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir)
    node = Node(cfg, store, read_key(cfg.key_path), FixedClock(START))
    async with store:
        for handle in ("ana", "ben"):
            await node.add_member(handle, handle.title())
        circle = (await node.create_circle("Housing", "Fair rents")).id
        await node.set_membership(circle, "ana", ["facilitator"])
        await node.set_membership(circle, "ben")
        root = await node.gov.propose(circle, "ben", "Rent strike fund", "Five a month.")
        for phase in ("presented", "questions", "reactions", "consent"):
            await node.gov.move(root, "ana", phase)
        await node.author("message", circle, {"text": "agreed"}, actor=node.actor_of("ben"))
        for handle in ("ana", "ben"):
            await node.gov.stance(root, handle, "consent")
        await node.gov.decide(root, "ana")
        await node.gov.propose(circle, "ana", "Quiet hours", "After ten.")
        for text in ("see you thursday", "bring the keys"):
            await node.author("message", circle, {"text": text}, actor=node.actor_of("ana"))
    return circle


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Exports:
    tmp = tmp_path_factory.mktemp("logbook")
    data_dir = tmp / "node"
    ok("init", "--name", "Riverside", data_dir=data_dir)
    circle = asyncio.run(_history(data_dir))
    node_id = node_id_of(read_key(data_dir / "node.key"))
    book = ok("logbook", "export", circle, data_dir=data_dir).splitlines()
    whole = ok("export", data_dir=data_dir).splitlines()
    return Exports(node_id, circle, book, whole, tmp)


def verify(data: list[bytes], **options: Any) -> logbook.Report:
    return asyncio.run(logbook.verify_export(b"\n".join(data) + b"\n", **options))


def refused(data: list[bytes], **options: Any) -> str:
    with pytest.raises(logbook.LogbookError) as exc:
        verify(data, **options)
    return str(exc.value.code)


def where(lines: list[bytes], prefix: bytes) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith(prefix)]


def header(lines: list[bytes], change: Any) -> list[bytes]:
    head = orjson.loads(lines[0])
    change(head["logbook"])
    return [orjson.dumps(head), *lines[1:]]


def trailer_of(lines: list[bytes]) -> dict[str, Any]:
    obj: dict[str, Any] = orjson.loads(lines[-1])["trailer"]
    return obj


def with_trailer(lines: list[bytes], trailer: dict[str, Any]) -> list[bytes]:
    return [*lines[:-1], orjson.dumps({"trailer": trailer})]


def resigned(lines: list[bytes], key: SigningKey) -> list[bytes]:
    """The same trailer, signed by another node: valid, but not the exporter's."""
    trailer = {k: v for k, v in trailer_of(lines).items() if k != "sig"}
    trailer["signer"] = node_id_of(key)
    trailer["sig"] = b64encode(key.sign(dumps(trailer, max_depth=4)).signature)
    return with_trailer(lines, trailer)


def test_an_untouched_logbook_export_verifies_and_names_its_signer(exports: Exports) -> None:
    book = exports.logbook
    assert book[-1].startswith(b'{"trailer":')
    report = verify(book)
    assert (report.circle, report.entries, report.signer) == (exports.circle, 2, exports.node_id)
    assert report.head == orjson.loads(book[0])["logbook"]["head"]
    assert report.envelopes == len(where(book, b'{"at":'))
    assert verify(book, signer=exports.node_id).signer == exports.node_id


def test_every_tamper_of_a_logbook_export_is_refused_with_its_code(exports: Exports) -> None:
    book = exports.logbook
    positions, messages = where(book, b'{"at":'), where(book, b'{"envelope":')
    entries = where(book, b'{"entry":')
    assert len(messages) == 3
    assert len(entries) == 2
    last_pos = book[positions[-1]]
    assert orjson.loads(last_pos)["envelope"]["kind"] == "proposal"  # after the last entry
    first_hash = orjson.loads(book[entries[0]])["entry"]["hash"]
    without_entries = [line for i, line in enumerate(book) if i not in entries]
    at_edited = last_pos.replace(b'"at":"2026-11-22T10:00:00Z"', b'"at":"2026-11-23T10:00:00Z"')
    assert at_edited != last_pos
    swapped = list(book)
    swapped[messages[0]], swapped[messages[1]] = book[messages[1]], book[messages[0]]
    reordered = list(book)
    reordered[positions[2]], reordered[positions[3]] = book[positions[3]], book[positions[2]]
    sig = trailer_of(book)["sig"]
    other_sig = ("B" if sig[0] != "B" else "C") + sig[1:]
    cases = {
        "head changed": (
            header(book, lambda h: h.update(head=first_hash)),
            "logbook.head_mismatch",
        ),
        "entries changed": (header(book, lambda h: h.update(entries=99)), "logbook.count_mismatch"),
        "entries deleted": (header(book, lambda h: h.pop("entries")), "logbook.bad_header"),
        "entries deleted, entry lines dropped": (
            header(without_entries, lambda h: h.pop("entries")),
            "logbook.bad_header",
        ),
        "entry lines dropped": (without_entries, "export.truncated"),
        "last position cut": (
            [*book[: positions[-1]], *book[positions[-1] + 1 :]],
            "export.truncated",
        ),
        "latest message cut": (
            [*book[: messages[-1]], *book[messages[-1] + 1 :]],
            "export.truncated",
        ),
        "end cut off": (book[:-3], "export.unsigned"),
        "at edited": (
            [*book[: positions[-1]], at_edited, *book[positions[-1] + 1 :]],
            "export.digest_mismatch",
        ),
        "messages swapped": (swapped, "export.digest_mismatch"),
        "positions swapped": (reordered, "logbook.bad_order"),
        "message duplicated": ([*book[:-1], book[messages[0]], book[-1]], "export.duplicate_line"),
        "position duplicated": (
            [*book[: positions[1]], book[positions[1]], *book[positions[1] :]],
            "export.duplicate_line",
        ),
        "trailer duplicated": ([*book, book[-1]], "export.duplicate_line"),
        "signature changed": (
            with_trailer(book, {**trailer_of(book), "sig": other_sig}),
            "export.bad_signature",
        ),
        "signer changed": (
            with_trailer(book, {**trailer_of(book), "signer": node_id_of(STRANGER)}),
            "export.bad_signature",
        ),
        "trailer malformed": (
            with_trailer(book, {**trailer_of(book), "lines": "all"}),
            "export.bad_trailer",
        ),
    }
    codes = {name: refused(lines) for name, (lines, _) in cases.items()}
    assert codes == {name: code for name, (_, code) in cases.items()}


def test_a_logbook_export_signed_by_another_node_is_refused_when_the_signer_is_named(
    exports: Exports,
) -> None:
    forged = resigned(exports.logbook, STRANGER)
    assert verify(forged).signer == node_id_of(STRANGER)  # it vouches for it, as anyone may
    assert refused(forged, signer=exports.node_id) == "export.wrong_signer"


def test_an_unsigned_logbook_export_is_refused_unless_allowed(exports: Exports) -> None:
    book = exports.logbook[:-1]  # as versions before the trailer wrote them
    assert refused(book) == "export.unsigned"
    report = verify(book, unsigned=True)
    assert (report.entries, report.signer) == (2, None)
    # Allowed, it is still checked line by line: the header's claims hold.
    assert refused(header(book, lambda h: h.pop("entries")), unsigned=True) == "logbook.bad_header"
    assert refused(book[:-1], unsigned=True) == "logbook.count_mismatch"


def _verify_file(exports: Exports, name: str, lines: list[bytes], *args: str) -> Any:
    path = exports.tmp / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return nst("logbook", "verify", *args, "--from", path)


def _code(proc: subprocess.CompletedProcess[bytes]) -> str:
    assert proc.returncode == 1, proc.stdout
    m = re.match(rb"error: ([a-z_.]+): ", proc.stderr)
    assert m, proc.stderr
    return m.group(1).decode()


def test_nst_logbook_verify_checks_the_logbook_export_file(exports: Exports) -> None:
    proc = _verify_file(exports, "book.jsonl", exports.logbook, "--signer", exports.node_id)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert f"verified: {exports.circle}: " in out
    assert "2 logbook entries" in out
    assert re.search(rf"exported and signed by {exports.node_id} at \S+ \(the circle's home\)", out)
    forged = header(exports.logbook, lambda h: h.update(entries=99))
    assert _code(_verify_file(exports, "forged.jsonl", forged)) == "logbook.count_mismatch"
    unsigned = exports.logbook[:-1]
    assert _code(_verify_file(exports, "old.jsonl", unsigned)) == "export.unsigned"
    proc = _verify_file(exports, "old.jsonl", unsigned, "--allow-unsigned")
    assert proc.returncode == 0, proc.stderr
    assert "unsigned export" in proc.stdout.decode()


def test_nst_logbook_verify_checks_a_whole_node_export(exports: Exports) -> None:
    whole, circle = exports.whole, exports.circle
    assert whole[-1].startswith(b'{"trailer":')
    proc = _verify_file(exports, "whole.jsonl", whole, circle)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "2 logbook entries" in out
    assert f"signed by {exports.node_id}" in out
    orders = [i for i in where(whole, b'{"circle_order":') if circle.encode() in whole[i]]
    envelopes = [i for i, line in enumerate(whole) if line.startswith(b'{"actor":')]
    last_order = whole[orders[-1]]
    swapped = list(whole)
    swapped[envelopes[-1]], swapped[envelopes[-2]] = whole[envelopes[-2]], whole[envelopes[-1]]
    cases = {
        "latest message cut": (
            [*whole[: envelopes[-1]], *whole[envelopes[-1] + 1 :]],
            "export.truncated",
        ),
        "last position cut": ([*whole[: orders[-1]], *whole[orders[-1] + 1 :]], "export.truncated"),
        "at edited": (
            [
                *whole[: orders[-1]],
                last_order.replace(b'"at":"2026-11-22', b'"at":"2026-11-29'),
                *whole[orders[-1] + 1 :],
            ],
            "export.digest_mismatch",
        ),
        "lines swapped": (swapped, "export.digest_mismatch"),
        "line duplicated": ([*whole[:-1], whole[0], whole[-1]], "export.duplicate_line"),
        "signer changed": (
            with_trailer(whole, {**trailer_of(whole), "signer": node_id_of(STRANGER)}),
            "export.bad_signature",
        ),
        "end cut off": (whole[:-1], "export.unsigned"),
    }
    codes = {
        name: _code(_verify_file(exports, "bad.jsonl", lines, circle))
        for name, (lines, _) in cases.items()
    }
    assert codes == {name: code for name, (_, code) in cases.items()}
    forged = resigned(whole, STRANGER)
    proc = _verify_file(exports, "forged.jsonl", forged, circle, "--signer", exports.node_id)
    assert _code(proc) == "export.wrong_signer"


def test_nst_import_refuses_a_cut_export_and_imports_nothing(exports: Exports) -> None:
    fresh = exports.tmp / "fresh"
    ok("init", "--name", "Copy", data_dir=fresh)
    envelopes = [i for i, line in enumerate(exports.whole) if line.startswith(b'{"actor":')]
    cut = [*exports.whole[: envelopes[-1]], *exports.whole[envelopes[-1] + 1 :]]
    dump = exports.tmp / "cut.jsonl"
    dump.write_bytes(b"\n".join(cut) + b"\n")
    assert _code(nst("import", dump, data_dir=fresh)) == "export.truncated"
    conn = sqlite3.connect(fresh / "nst.sqlite3")
    try:
        assert conn.execute("SELECT count(*) FROM envelopes").fetchone() == (0,)
    finally:
        conn.close()


def test_a_node_with_an_encrypted_key_signs_its_export_with_the_passphrase(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    ok("init", "--name", "Riverside", data_dir=data_dir, NST_KEY_PASSPHRASE="a long passphrase")
    assert _code(nst("export", data_dir=data_dir)) == "key.passphrase_required"
    whole = ok("export", data_dir=data_dir, NST_KEY_PASSPHRASE="a long passphrase")
    assert orjson.loads(whole.splitlines()[-1])["trailer"]["lines"] == {}
