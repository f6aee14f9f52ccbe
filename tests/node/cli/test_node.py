"""``nst init``, ``admin``, ``status``, ``backup``, ``export`` and ``import`` as an operator
runs them: real ``python -m node`` processes on real SQLite files in tmp_path."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from node.keyfile import ENCRYPTED_KEY_TYPE, KeyFileError, read_key, write_key
from node.store.migrate import latest_version
from protocol import Draft, circle_id, envelope_id, loads, node_id_of, open_envelope, sign

PASSWORD = "correct horse battery"


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment minus NST_* settings, with XDG pointed into tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(tmp / "xdg")
    env.update(extra)
    return env


def nst(
    *args: str | Path,
    data_dir: Path | None = None,
    stdin: str = "",
    env: dict[str, str] | None = None,
    ok: bool = True,
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "node", *map(str, args)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    proc = subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env if env is not None else clean_env(_parent(data_dir)),
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _parent(data_dir: Path | None) -> Path:
    assert data_dir is not None, "without --data-dir, pass env= (XDG would be the real one)"
    return data_dir.parent


def fails(proc: subprocess.CompletedProcess[str], code: str) -> str:
    """The message of a failure with ``code``, checked against the CLI's error format."""
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    m = re.search(rf"^error: {re.escape(code)}: (.+)$", proc.stderr, re.MULTILINE)
    assert m, proc.stderr
    return m.group(1)


def db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "nst.sqlite3")


def rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = db(data_dir)
    try:
        return sorted(conn.execute(sql).fetchall())
    finally:
        conn.close()


def projection_tables(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {t: rows(data_dir, f"SELECT * FROM {t}") for t in ("circles", "circle_members")}


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    return data_dir


@pytest.fixture(scope="module")
def populated_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three members, a circle and a sub-circle with roles; built once per module."""
    data_dir = tmp_path_factory.mktemp("populated") / "node"
    nst("init", "--name", "Riverside", data_dir=data_dir)
    nst(
        "admin",
        "member",
        "add",
        "ana",
        "--name",
        "Ana",
        "--admin",
        data_dir=data_dir,
        stdin=PASSWORD + "\n",
    )
    nst("admin", "member", "add", "bob", "--no-password", data_dir=data_dir)
    general = nst(
        "admin", "circle", "create", "General", "--aim", "Everything", data_dir=data_dir
    ).stdout.strip()
    ops = nst(
        "admin",
        "circle",
        "create",
        "Ops",
        "--aim",
        "Keep it running",
        "--parent",
        general,
        "--domain",
        "tools",
        data_dir=data_dir,
    ).stdout.strip()
    nst("admin", "circle", "member", general, "ana", "--role", "leader", data_dir=data_dir)
    nst("admin", "circle", "member", general, "bob", data_dir=data_dir)
    nst("admin", "circle", "member", ops, "bob", "--role", "leader", "secretary", data_dir=data_dir)
    return {"dir": data_dir, "general": general, "ops": ops}


@pytest.fixture
def populated(populated_template: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A private copy of the populated node, free to change."""
    target = tmp_path / "populated"
    shutil.copytree(populated_template["dir"], target)
    return {**populated_template, "dir": target}


# --- init ---------------------------------------------------------------------------------


def test_init_creates_a_private_node_and_says_what_next(tmp_path: Path) -> None:
    data_dir = tmp_path / "a" / "node"
    out = nst("init", "--name", "Riverside Tenants", data_dir=data_dir).stdout
    node_id = node_id_of(read_key(data_dir / "node.key"))
    assert node_id in out
    assert "nst admin member add" in out
    assert "nst run" in out
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("node.key", "config.toml", "nst.sqlite3"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    assert 'name = "Riverside Tenants"' in (data_dir / "config.toml").read_text()
    assert "# " in (data_dir / "config.toml").read_text()  # commented for the operator
    assert rows(data_dir, "PRAGMA user_version") == [(latest_version(),)]
    status = json.loads(nst("status", "--json", data_dir=data_dir).stdout)
    assert status["node_id"] == node_id
    assert status["name"] == "Riverside Tenants"


def test_init_refuses_an_existing_node_and_changes_nothing(fresh: Path) -> None:
    before = {p.name: p.read_bytes() for p in fresh.iterdir()}
    message = fails(nst("init", "--name", "Other", data_dir=fresh, ok=False), "init.exists")
    assert "nothing was changed" in message
    assert {p.name: p.read_bytes() for p in fresh.iterdir()} == before


def test_data_dir_comes_from_nst_data_dir_else_xdg(tmp_path: Path) -> None:
    via_env = tmp_path / "from-env"
    env = clean_env(tmp_path, NST_DATA_DIR=str(via_env))
    nst("init", env=env)
    assert (via_env / "node.key").exists()
    assert json.loads(nst("status", "--json", env=env).stdout)["node_id"]

    nst("init", env=clean_env(tmp_path))
    assert (tmp_path / "xdg" / "nst" / "node.key").exists()


def test_a_config_kept_elsewhere_points_at_its_data_dir(tmp_path: Path) -> None:
    data_dir, config = tmp_path / "data", tmp_path / "etc" / "nst.toml"
    config.parent.mkdir()
    env = clean_env(tmp_path)
    nst("init", "--data-dir", data_dir, "--config", config, env=env)
    assert not (data_dir / "config.toml").exists()
    status = json.loads(nst("status", "--json", "--config", config, env=env).stdout)
    assert status["node_id"] == node_id_of(read_key(data_dir / "node.key"))


def test_a_command_without_a_node_says_to_init(tmp_path: Path) -> None:
    message = fails(nst("status", data_dir=tmp_path / "none", ok=False), "config")
    assert "nst init" in message


# --- the key at rest ----------------------------------------------------------------------


def test_encrypted_key_file_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "node.key"
    write_key(path, key, "a long passphrase")
    doc = json.loads(path.read_text())
    assert doc["type"] == ENCRYPTED_KEY_TYPE
    assert "seed" not in doc
    assert {"salt", "n", "r", "p"} <= doc["kdf"].keys()
    assert bytes(key).hex() not in path.read_text()
    assert read_key(path, "a long passphrase") == key
    with pytest.raises(KeyFileError) as wrong:
        read_key(path, "not the passphrase")
    assert wrong.value.code == "key.bad_passphrase"
    with pytest.raises(KeyFileError) as missing:
        read_key(path)
    assert missing.value.code == "key.passphrase_required"


def test_encrypted_key_file_binds_its_node_id(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    write_key(path, SigningKey.generate(), "a long passphrase")
    doc = json.loads(path.read_text())
    doc["node_id"] = node_id_of(SigningKey.generate())
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError) as swapped:
        read_key(path, "a long passphrase")
    assert swapped.value.code == "key.bad_passphrase"


def test_plain_key_files_still_read_and_never_overwritten(tmp_path: Path) -> None:
    key, path = SigningKey.generate(), tmp_path / "node.key"
    write_key(path, key)
    assert read_key(path) == key == read_key(path, "ignored for a plain key")
    with pytest.raises(KeyFileError):
        write_key(path, SigningKey.generate(), "x" * 12)
    assert read_key(path) == key


def test_init_with_a_passphrase_from_stdin_then_commands_need_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--passphrase-stdin", data_dir=data_dir, stdin="open sesame 42\n")
    assert json.loads((data_dir / "node.key").read_text())["type"] == ENCRYPTED_KEY_TYPE
    fails(nst("status", data_dir=data_dir, ok=False), "key.passphrase_required")
    wrong = clean_env(tmp_path, NST_KEY_PASSPHRASE="open sesame 43")
    fails(nst("status", data_dir=data_dir, env=wrong, ok=False), "key.bad_passphrase")
    right = clean_env(tmp_path, NST_KEY_PASSPHRASE="open sesame 42")
    assert json.loads(nst("status", "--json", data_dir=data_dir, env=right).stdout)["node_id"]
    # Passphrase first, then the password: both from stdin, neither in argv.
    nst(
        "admin",
        "member",
        "add",
        "ana",
        "--passphrase-stdin",
        data_dir=data_dir,
        stdin=f"open sesame 42\n{PASSWORD}\n",
    )
    members = json.loads(
        nst("admin", "member", "list", "--json", data_dir=data_dir, env=right).stdout
    )
    assert [m["handle"] for m in members] == ["ana"]


# --- members ------------------------------------------------------------------------------


def test_member_commands(fresh: Path) -> None:
    nst(
        "admin",
        "member",
        "add",
        "ana",
        "--name",
        "Ana Lima",
        "--admin",
        data_dir=fresh,
        stdin=PASSWORD + "\n",
    )
    fails(
        nst("admin", "member", "add", "ana", data_dir=fresh, stdin=PASSWORD + "\n", ok=False),
        "member.exists",
    )
    fails(
        nst("admin", "member", "add", "cem", data_dir=fresh, stdin="short\n", ok=False),
        "member.weak_password",
    )
    fails(nst("admin", "member", "add", "cem", data_dir=fresh, ok=False), "usage")
    fails(
        nst("admin", "member", "add", "Not Valid", "--no-password", data_dir=fresh, ok=False),
        "member.bad_handle",
    )
    nst("admin", "member", "disable", "ana", data_dir=fresh)
    listed = json.loads(nst("admin", "member", "list", "--json", data_dir=fresh).stdout)
    assert listed == [
        {"handle": "ana", "display_name": "Ana Lima", "role": "admin", "disabled": True}
    ]
    nst("admin", "member", "enable", "ana", data_dir=fresh)
    assert "disabled" not in nst("admin", "member", "list", data_dir=fresh).stdout
    fails(nst("admin", "member", "disable", "zoe", data_dir=fresh, ok=False), "member.unknown")
    before = rows(fresh, "SELECT password_hash FROM members")
    nst("admin", "member", "passwd", "ana", data_dir=fresh, stdin="another good one\n")
    after = rows(fresh, "SELECT password_hash FROM members")
    assert before != after
    assert after[0][0].startswith("$argon2")
    assert PASSWORD not in str(before)


async def test_password_from_stdin_is_the_one_that_logs_in(fresh: Path) -> None:
    from node.cli.node import node_of, opened

    nst("admin", "member", "add", "ana", data_dir=fresh, stdin=PASSWORD + "\n")
    node = node_of(_args(fresh))
    async with opened(node.store):
        assert await node.check_login("ana", PASSWORD) is not None
        assert await node.check_login("ana", PASSWORD + "x") is None


def _args(data_dir: Path) -> Any:
    import argparse

    return argparse.Namespace(data_dir=str(data_dir), config=None, passphrase_stdin=False)


# --- circles ------------------------------------------------------------------------------


def test_circle_commands(populated: dict[str, Any]) -> None:
    data_dir, general, ops = populated["dir"], populated["general"], populated["ops"]
    node_id = node_id_of(read_key(data_dir / "node.key"))
    circles = json.loads(nst("admin", "circle", "list", "--json", data_dir=data_dir).stdout)
    assert {c["name"]: c["id"] for c in circles} == {"General": general, "Ops": ops}
    shown = json.loads(nst("admin", "circle", "show", ops, "--json", data_dir=data_dir).stdout)
    assert shown["parent"] == general
    assert shown["domain"] == "tools"
    assert shown["members"] == [
        {"member": f"bob@{node_id}", "status": "active", "roles": ["leader", "secretary"]}
    ]
    text = nst("admin", "circle", "show", general, data_dir=data_dir).stdout
    assert f"ana@{node_id}" in text
    assert "leader" in text

    fails(
        nst(
            "admin",
            "circle",
            "member",
            general,
            "bob",
            "--role",
            "leader",
            data_dir=data_dir,
            ok=False,
        ),
        "circle.role_taken",
    )
    fails(
        nst("admin", "circle", "member", general, "bob", "--remove", data_dir=data_dir, ok=False),
        "circle.double_link",
    )
    fails(
        nst("admin", "circle", "show", general + "x", data_dir=data_dir, ok=False), "circle.unknown"
    )
    fails(
        nst("admin", "circle", "create", "Nameless", "--aim", " ", data_dir=data_dir, ok=False),
        "circle.no_aim",
    )
    nst("admin", "circle", "member", general, "ana", "--remove", data_dir=data_dir)
    shown = json.loads(nst("admin", "circle", "show", general, "--json", data_dir=data_dir).stdout)
    assert {m["member"]: m["status"] for m in shown["members"]} == {
        f"ana@{node_id}": "removed",
        f"bob@{node_id}": "active",
    }


def test_rebuild_recomputes_the_same_read_tables(populated: dict[str, Any]) -> None:
    data_dir = populated["dir"]
    before = projection_tables(data_dir)
    members_before = rows(data_dir, "SELECT * FROM members")
    assert before["circles"]
    assert before["circle_members"]
    conn = db(data_dir)
    with conn:  # lose the read tables: only the log is left
        conn.execute("DELETE FROM circle_members")
        conn.execute("DELETE FROM circles")
        conn.execute("UPDATE kind_counts SET n = 0")
    conn.close()
    out = nst("admin", "rebuild", data_dir=data_dir).stdout
    assert "2 circles" in out
    assert projection_tables(data_dir) == before
    assert rows(data_dir, "SELECT * FROM members") == members_before
    assert sum(n for (_, n) in rows(data_dir, "SELECT * FROM kind_counts")) == 5


# --- status -------------------------------------------------------------------------------


def test_status(populated: dict[str, Any]) -> None:
    data_dir = populated["dir"]
    status = json.loads(nst("status", "--json", data_dir=data_dir).stdout)
    assert status["node_id"] == node_id_of(read_key(data_dir / "node.key"))
    assert status["peers"] == []
    assert status["envelopes"] == {"circle": 2, "membership": 3}
    assert (status["members"], status["circles"]) == (2, 2)
    assert status["schema_version"] == latest_version()
    assert status["equivocations"] == []
    assert status["last_errors"] == []
    text = nst("status", data_dir=data_dir).stdout
    assert status["node_id"] in text
    assert "5 (circle 2, membership 3)" in text


# --- backup, export, import ---------------------------------------------------------------


def envelope_ids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM envelopes ORDER BY rowid")]
    finally:
        conn.close()


def database_in(archive: Path, tmp: Path) -> Path:
    """The database copy inside a ``nst backup`` archive, written out to ``tmp``."""
    with tarfile.open(archive) as tar:
        data = tar.extractfile("nst.sqlite3")
        assert data is not None
        out = tmp / "from-archive.sqlite3"
        out.write_bytes(data.read())
    return out


def test_backup_is_a_complete_private_copy(populated: dict[str, Any], tmp_path: Path) -> None:
    data_dir = populated["dir"]
    out = Path(nst("backup", data_dir=data_dir).stdout.strip())
    assert out.parent == data_dir / "backups"
    assert re.fullmatch(r"nst-\d{8}T\d{6}Z\.tar\.gz", out.name)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    copy = database_in(out, tmp_path)
    assert envelope_ids(copy) == envelope_ids(data_dir / "nst.sqlite3")
    assert len(envelope_ids(copy)) == 5
    fails(nst("backup", "--out", out, data_dir=data_dir, ok=False), "io.exists")


def test_backup_while_another_process_writes(populated: dict[str, Any], tmp_path: Path) -> None:
    data_dir = populated["dir"]
    holder = subprocess.Popen(  # holds the database open inside a write transaction
        [sys.executable, "-c", HOLD_OPEN, str(data_dir / "nst.sqlite3")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        out = tmp_path / "copy.tar.gz"
        nst("backup", "--out", out, data_dir=data_dir)
    finally:
        holder.communicate("", timeout=30)
    copy = database_in(out, tmp_path)
    assert envelope_ids(copy) == envelope_ids(data_dir / "nst.sqlite3")
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT count(*) FROM members").fetchone() == (2,)
    conn.close()


HOLD_OPEN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE members SET display_name = display_name")
print("holding", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def test_export_lines_each_verify_with_nst_proto(populated: dict[str, Any], tmp_path: Path) -> None:
    data_dir = populated["dir"]
    *every, last = nst("export", data_dir=data_dir).stdout.splitlines()
    assert last.startswith('{"trailer":')  # the node's signature over the whole export
    lines = [ln for ln in every if not ln.startswith('{"circle_order":')]
    order = every[len(lines) :]  # the circle order follows the envelopes
    assert len(lines) == 5
    assert len(order) == 5  # two charters, three memberships: each has its position
    assert lines == [ln.decode() for ln in _exported_bytes(data_dir)]
    for line in lines:
        verified = nst("proto", "verify", "-", stdin=line, env=clean_env(tmp_path))
        assert verified.stdout.strip() == open_envelope(loads(line.encode()))[1]
    assert [open_envelope(loads(ln.encode()))[1] for ln in lines] == envelope_ids(
        data_dir / "nst.sqlite3"
    )
    out = tmp_path / "export.jsonl"
    nst("export", "--out", out, data_dir=data_dir)
    assert out.read_text().splitlines()[:-1] == every
    assert not list(tmp_path.glob(".*.partial"))


def _exported_bytes(data_dir: Path) -> list[bytes]:
    from protocol.canonical import encode

    conn = db(data_dir)
    try:
        out = []
        for header, body in conn.execute("SELECT header, body FROM envelopes ORDER BY rowid"):
            obj = loads(header)
            obj["body"] = loads(body)
            out.append(encode(obj))
        return out
    finally:
        conn.close()


def test_import_into_a_fresh_node_reproduces_it(populated: dict[str, Any], fresh: Path) -> None:
    source = populated["dir"]
    exported = nst("export", data_dir=source).stdout
    dump = fresh.parent / "dump.jsonl"
    dump.write_text(exported)
    assert nst("import", dump, data_dir=fresh).stdout.strip() == "imported 5 envelopes"
    assert projection_tables(fresh) == projection_tables(source)
    assert unsigned(nst("export", data_dir=fresh).stdout) == unsigned(exported)
    listed = nst("admin", "circle", "list", "--json", data_dir=fresh).stdout
    assert listed == nst("admin", "circle", "list", "--json", data_dir=source).stdout
    for circle in (populated["general"], populated["ops"]):
        show = ("admin", "circle", "show", circle, "--json")
        assert nst(*show, data_dir=fresh).stdout == nst(*show, data_dir=source).stdout
    message = fails(nst("import", dump, data_dir=fresh, ok=False), "import.not_empty")
    assert "fresh node" in message
    assert unsigned(nst("export", data_dir=fresh).stdout) == unsigned(exported)


def unsigned(export: str) -> list[str]:
    """An export's lines without its trailer (which names who exported it, and when)."""
    *lines, last = export.split("\n")[:-1]  # LF alone ends a line (strings may hold U+2028)
    assert last.startswith('{"trailer":')
    return lines


def test_import_reports_every_bad_line_and_imports_nothing(
    populated: dict[str, Any], fresh: Path
) -> None:
    lines = nst("export", data_dir=populated["dir"]).stdout.splitlines()
    lines[2] = lines[2].replace('"status":"active"', '"status":"removed"')  # body altered
    lines[4] = lines[4][:-1]  # cut short
    dump = fresh.parent / "bad.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    proc = nst("import", dump, data_dir=fresh, ok=False)
    assert proc.returncode == 1
    bad = re.findall(r"^error: import\.bad_line: line (\d+): ([a-z_.]+): ", proc.stderr, re.M)
    assert bad == [("3", "sig.body_hash_mismatch"), ("5", "json.syntax")]
    assert rows(fresh, "SELECT count(*) FROM envelopes") == [(0,)]


def test_import_is_all_or_nothing(populated: dict[str, Any], fresh: Path) -> None:
    # Without its trailer (an older export), so that the store meets the gap.
    lines = nst("export", data_dir=populated["dir"]).stdout.splitlines()[:-1]
    dump = fresh.parent / "gap.jsonl"
    dump.write_text("\n".join(lines[:2] + lines[3:]) + "\n")  # General's seq 2 missing
    message = fails(nst("import", dump, data_dir=fresh, ok=False), "import.rejected")
    assert message.startswith("line 3: feed.gap")
    assert "nothing was imported" in message
    assert rows(fresh, "SELECT count(*) FROM envelopes") == [(0,)]
    assert projection_tables(fresh) == {"circles": [], "circle_members": []}


def test_import_accepts_a_retracted_body(fresh: Path) -> None:
    peer = SigningKey.generate()
    scope = circle_id("coalition", node_id_of(peer))
    env = sign(
        Draft("message", scope, 1, None, {"text": "later retracted"}, "2026-11-22T10:00:00Z"), peer
    )
    header = env.without_body().to_bytes().decode()
    dump = fresh.parent / "retracted.jsonl"
    dump.write_text(header + "\n")
    assert nst("import", dump, data_dir=fresh).stdout.strip() == "imported 1 envelopes"
    assert envelope_ids(fresh / "nst.sqlite3") == [envelope_id(env)]
    assert unsigned(nst("export", data_dir=fresh).stdout) == [header]


LONG = "9" * 5000


def _lines_of(text: str) -> list[str]:
    """An export's lines: split on LF only, as a reader must (strings may hold U+2028)."""
    return text.split("\n")[:-1]


def test_import_refuses_integers_of_any_length_as_int_range(
    populated: dict[str, Any], fresh: Path
) -> None:
    lines = _lines_of(nst("export", data_dir=populated["dir"]).stdout)
    envelope = next(i for i, ln in enumerate(lines) if '"seq":1,' in ln)
    position = next(i for i, ln in enumerate(lines) if ln.startswith('{"circle_order":'))
    assert '"pos":1,' in lines[position]
    lines[envelope] = lines[envelope].replace('"seq":1,', f'"seq":{LONG},')
    lines[position] = lines[position].replace('"pos":1,', f'"pos":-{LONG},')
    dump = fresh.parent / "long.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    proc = nst("import", dump, data_dir=fresh, ok=False)
    bad = re.findall(r"^error: import\.bad_line: line (\d+): ([a-z_.]+): (.*)$", proc.stderr, re.M)
    assert [(n, code) for n, code, _ in bad] == [
        (str(envelope + 1), "json.int_range"),
        (str(position + 1), "json.int_range"),
    ]
    assert all(len(message) < 200 for _, _, message in bad)
    assert "Traceback" not in proc.stderr
    assert rows(fresh, "SELECT count(*) FROM envelopes") == [(0,)]


def test_logbook_verify_refuses_integers_of_any_length_as_int_range(
    populated: dict[str, Any], tmp_path: Path
) -> None:
    data_dir, general = populated["dir"], populated["general"]
    book = _lines_of(nst("logbook", "export", general, data_dir=data_dir).stdout)
    whole = _lines_of(nst("export", data_dir=data_dir).stdout)
    entry = next(i for i, ln in enumerate(book) if ln.startswith('{"entry":'))
    order = next(i for i, ln in enumerate(whole) if ln.startswith('{"circle_order":'))
    changes = [
        (book, 0, '"entries":', f'"long":{LONG},"entries":'),
        (book, 1, '"pos":1', f'"pos":{LONG}'),
        (book, 1, '"seq":1,', f'"seq":-{LONG},'),
        (book, entry, '"n":1,', f'"n":{LONG},'),
        (whole, order, '"pos":1,', f'"pos":{LONG},'),
    ]
    for i, (lines, at, old, new) in enumerate(changes):
        assert old in lines[at], (old, lines[at])
        changed = [*lines[:at], lines[at].replace(old, new, 1), *lines[at + 1 :]]
        path = tmp_path / f"long{i}.jsonl"
        path.write_text("\n".join(changed) + "\n")
        proc = nst("logbook", "verify", general, "--from", path, data_dir=data_dir, ok=False)
        assert len(fails(proc, "json.int_range")) < 200, proc.stderr
        assert "Traceback" not in proc.stderr


def test_the_printable_logbook_names_the_node_and_its_people(populated: dict[str, Any]) -> None:
    data_dir, general = populated["dir"], populated["general"]
    page = nst("logbook", "export", general, "--format", "html", data_dir=data_dir).stdout
    assert "recorded by Riverside" in page  # not a fragment of its node id


def test_exports_split_on_line_feeds_only(fresh: Path, tmp_path: Path) -> None:
    """Strings in an export hold U+2028, U+2029 and NEL as raw characters (canonical
    JSON escapes only what is below U+0020): a reader splits lines on LF alone."""
    name, aim = "Gen\u2028eral", "One\u2029two\x85three\x1cfour"
    circle = nst("admin", "circle", "create", name, "--aim", aim, data_dir=fresh).stdout.strip()
    exported = nst("export", data_dir=fresh).stdout
    assert "\u2028" in exported
    assert "\u2029" in exported
    assert "\x85" in exported
    assert len(exported.splitlines()) > len(_lines_of(exported))  # str.splitlines would cut
    dump = tmp_path / "whole.jsonl"
    dump.write_text(exported)
    book = tmp_path / "book.jsonl"
    book.write_text(nst("logbook", "export", circle, data_dir=fresh).stdout)
    assert "\u2028" in book.read_text()
    for source in (dump, book):
        out = nst("logbook", "verify", "--from", source, env=clean_env(tmp_path)).stdout
        assert out.startswith(f"verified: {circle}: 1 envelopes, 1 logbook entries")
    target = tmp_path / "target"
    nst("init", "--name", "Copy", data_dir=target)
    assert nst("import", dump, data_dir=target).stdout.strip() == "imported 1 envelopes"
    assert unsigned(nst("export", data_dir=target).stdout) == unsigned(exported)
    listed = nst("admin", "circle", "list", "--json", data_dir=target).stdout
    assert json.loads(listed)[0]["name"] == name
