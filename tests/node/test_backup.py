"""``nst backup`` and ``nst restore`` as an admin runs them: real ``python -m node``
processes on real SQLite files, and for the linked case real ``nst run --dev`` servers on
127.0.0.1. A restore brings back the same node (key, members and passwords, peers,
circles it is home of), refuses to replace a node, and leaves nothing of a bad archive."""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import json
import os
import re
import select
import signal
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct horse battery"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def env_of(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(root / "xdg")
    env["NST_DEV_MODE"] = "1"  # peers on 127.0.0.1 over plain HTTP
    env.update(extra)
    return env


def nst(
    *args: str | Path, root: Path, stdin: str = "", ok: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "node", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env_of(root, **extra),
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def fails(proc: subprocess.CompletedProcess[str], code: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    m = re.search(rf"^error: {re.escape(code)}: (.+)$", proc.stderr, re.M)
    assert m, proc.stderr
    return m.group(1)


def node_id(data_dir: Path) -> str:
    out = nst("status", "--json", "--data-dir", data_dir, root=data_dir.parent).stdout
    return str(json.loads(out)["node_id"])


def table(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(data_dir / "nst.sqlite3")
    try:
        return sorted(conn.execute(sql).fetchall())
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Server:
    """``nst run --dev`` for one data directory, at a port given or picked by the system."""

    def __init__(self, data_dir: Path, address: str = "127.0.0.1:0") -> None:
        log = (data_dir.parent / f"{data_dir.name}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "node", "run", "--listen", address, "--data-dir", data_dir],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env_of(data_dir.parent),
        )
        log.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if m := LISTENING.search(self.proc.stdout.readline().decode() if ready else ""):
                self.url = m.group(1)
                return
            if self.proc.poll() is not None:
                break
        self.proc.kill()
        raise AssertionError(f"{data_dir} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=15) == 0
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.2)


def log_in(url: str, handle: str, password: str) -> str:
    """The page a browser without JavaScript lands on after logging in."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{url}/login", timeout=30) as r:
        page = r.read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert csrf is not None
    form = {"_csrf": csrf.group(1), "handle": handle, "password": password}
    with opener.open(f"{url}/login", data=urllib.parse.urlencode(form).encode()) as r:
        return str(r.read().decode())


# --- the same node back, with its peer --------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    running: list[Server] = []
    yield running
    for server in running:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def on(data_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``nst`` on one node's directory."""

    def run(*args: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
        return nst(*args, "--data-dir", data_dir, root=data_dir.parent, **options)

    return run


def test_restore_brings_back_the_same_node_its_peer_accepts(
    tmp_path: Path, servers: list[Server]
) -> None:
    river, east, restored = tmp_path / "river", tmp_path / "east", tmp_path / "restored"
    at_river, at_east, at_restored = on(river), on(east), on(restored)
    at_river("init", "--name", "Riverside")
    at_east("init", "--name", "Eastside")
    at_river("admin", "member", "add", "ana", "--admin", stdin=PASSWORD)
    at_river("admin", "member", "add", "bob", "--no-password")
    general = at_river(
        "admin", "circle", "create", "General", "--aim", "All", "--federated"
    ).stdout.strip()
    at_river("admin", "circle", "member", general, "ana", "--role", "facilitator")
    servers.append(Server(river))
    servers.append(Server(east))
    old, peer = servers
    invite = at_river("admin", "invite", "create", NST_PUBLIC_URL=old.url).stdout.splitlines()[-1]
    at_east("admin", "link", invite, NST_PUBLIC_URL=peer.url)
    east_id = node_id(east)
    at_river("admin", "circle", "member", general, east_id)

    def east_holds(member: str) -> bool:
        proc = at_east("admin", "circle", "show", general, "--json", ok=False)
        return proc.returncode == 0 and member in proc.stdout

    def east_invited() -> bool:
        return general in at_east("admin", "circle", "invitations").stdout

    wait_for(east_invited, "the peer's invitation to the circle")
    at_east("admin", "circle", "accept", general)
    wait_for(lambda: east_holds(east_id), "the peer holds the circle")

    archive = tmp_path / "river.tar.gz"
    assert at_river("backup", "--out", archive).stdout.strip() == str(archive)
    assert mode(archive) == 0o600
    old.stop()  # the old machine is gone
    before = {
        sql: table(river, sql)
        for sql in (
            "SELECT handle, display_name, role, password_hash FROM members",
            "SELECT node_id, url, name, state FROM peers",
            "SELECT id, home, name FROM circles",
            "SELECT circle_id, member, status, roles FROM circle_members",
            "SELECT id FROM envelopes",
            "SELECT scope, pos, envelope_id FROM circle_order",
        )
    }

    out = at_restored("restore", archive).stdout
    river_id = node_id(river)
    assert f"node {river_id}" in out.splitlines()
    assert node_id(restored) == river_id
    assert (restored / "node.key").read_bytes() == (river / "node.key").read_bytes()
    assert mode(restored) == 0o700
    for name in ("config.toml", "node.key", "nst.sqlite3"):
        assert mode(restored / name) == 0o600
    assert sorted(p.name for p in restored.iterdir()) == ["config.toml", "node.key", "nst.sqlite3"]
    assert {sql: table(restored, sql) for sql in before} == before
    home = at_restored("admin", "circle", "show", general, "--json").stdout
    assert json.loads(home)["home"] == river_id

    # At the old address, the restored node is the same node to its members and its peer.
    servers.append(Server(restored, old.url.removeprefix("http://")))
    assert "Log out ana<" in log_in(old.url, "ana", PASSWORD)
    # The peer has joined the circle: its roles change by the circle's decision only
    # (PROTOCOL.md §13.14), after the restore as before.
    refused = at_restored(
        "admin", "circle", "member", general, "bob", "--role", "secretary", ok=False
    )
    assert refused.returncode == 1
    assert "error: circle.not_decided: " in refused.stderr + refused.stdout
    # What the restored node may do alone reaches its peer: an invitation to a new circle.
    assembly = at_restored(
        "admin", "circle", "create", "Assembly", "--aim", "More", "--federated"
    ).stdout.strip()
    at_restored("admin", "circle", "member", assembly, east_id)
    wait_for(
        lambda: assembly in at_east("admin", "circle", "invitations").stdout,
        "the peer takes the restored node's invitation",
    )
    peers = json.loads(at_restored("admin", "peer", "list", "--json").stdout)
    assert [(p["node_id"], p["state"]) for p in peers] == [(east_id, "linked")]


# --- refusals ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A node with a member and a circle, its archive, and another node's key."""
    root = tmp_path_factory.mktemp("made")
    node, other = root / "node", root / "other"
    nst("init", "--name", "Riverside", "--data-dir", node, root=root)
    nst("admin", "member", "add", "ana", "--data-dir", node, root=root, stdin=PASSWORD)
    nst("admin", "circle", "create", "General", "--aim", "All", "--data-dir", node, root=root)
    nst("init", "--name", "Other", "--data-dir", other, root=root)
    archive = root / "node.tar.gz"
    nst("backup", "--out", archive, "--data-dir", node, root=root)
    bare = root / "bare.tar.gz"
    nst("backup", "--out", bare, "--no-key", "--data-dir", node, root=root)
    return {"node": node, "other": other, "archive": archive, "bare": bare}


def members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        out = {}
        for member in tar:
            data = tar.extractfile(member)
            assert data is not None
            out[member.name] = data.read()
        return out


def rewritten(
    archive: Path, out: Path, change: Callable[[dict[str, bytes]], None], *, rehash: bool
) -> Path:
    """A copy of ``archive`` with its files changed; ``rehash`` keeps the manifest true to
    them (so only the deeper checks can catch the change)."""
    files = members_of(archive)
    change(files)
    if rehash:
        manifest = json.loads(files["nst-backup.json"])
        manifest["files"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in files.items()
            if name != "nst-backup.json"
        }
        files["nst-backup.json"] = json.dumps(manifest).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def flip_page(files: dict[str, bytes]) -> None:
    """Scribble over the database's second page (a b-tree page of some table)."""
    db = bytearray(files["nst.sqlite3"])
    db[4096 + 8 : 4096 + 64] = b"\xff" * 56
    files["nst.sqlite3"] = bytes(db)


def other_key(other: Path) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        files["node.key"] = (other / "node.key").read_bytes()

    return change


def test_restore_refuses_to_replace_a_node(made: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "here"
    nst("init", "--name", "Already here", "--data-dir", target, root=tmp_path)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    proc = nst("restore", made["archive"], "--data-dir", target, root=tmp_path, ok=False)
    assert "a node is here already" in fails(proc, "restore.exists")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("cut short", "restore.bad_archive"),
        ("not an archive", "restore.bad_archive"),
        ("a byte of the database changed", "restore.bad_archive"),
        ("a damaged database, hashes made to match", "restore.bad_database"),
        ("another node's key", "restore.bad_archive"),
        ("another node's key, hashes made to match", "restore.wrong_key"),
        ("no key, none given", "restore.no_key"),
        ("no key, another node's given", "restore.wrong_key"),
    ],
)
@pytest.mark.parametrize("target_exists", [False, True], ids=["new dir", "empty dir"])
def test_a_bad_archive_is_refused_and_leaves_nothing(
    made: dict[str, Path], tmp_path: Path, damage: str, code: str, target_exists: bool
) -> None:
    archive, key = made["archive"], []
    bad = tmp_path / "bad.tar.gz"
    if damage == "cut short":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif damage == "not an archive":
        bad = made["node"] / "nst.sqlite3"
    elif damage == "a byte of the database changed":
        rewritten(archive, bad, flip_page, rehash=False)
    elif damage == "a damaged database, hashes made to match":
        rewritten(archive, bad, flip_page, rehash=True)
    elif damage.startswith("another node's key"):
        rewritten(archive, bad, other_key(made["other"]), rehash="match" in damage)
    elif damage == "no key, none given":
        bad = made["bare"]
    else:
        bad, key = made["bare"], ["--key", str(made["other"] / "node.key")]
    target = tmp_path / "new" / "node"
    if target_exists:
        target.mkdir(parents=True)
    proc = nst("restore", bad, *key, "--data-dir", target, root=tmp_path, ok=False)
    fails(proc, code)
    if target_exists:
        assert list(target.iterdir()) == []
    else:
        assert not (tmp_path / "new").exists()


# --- what goes with the node ------------------------------------------------------------------


def test_a_backup_without_the_key_restores_with_the_key_given(
    made: dict[str, Path], tmp_path: Path
) -> None:
    assert "node.key" not in members_of(made["bare"])
    assert "node.key" in members_of(made["archive"])
    target = tmp_path / "restored"
    key = made["node"] / "node.key"
    nst("restore", made["bare"], "--key", key, "--data-dir", target, root=tmp_path)
    assert node_id(target) == node_id(made["node"])
    assert (target / "node.key").read_bytes() == key.read_bytes()
    assert mode(target / "node.key") == 0o600


def test_an_encrypted_key_stays_encrypted_and_retired_keys_come_along(tmp_path: Path) -> None:
    node, target = tmp_path / "node", tmp_path / "restored"
    at_node, at_target = on(node), on(target)
    passphrase = "a passphrase for the key"
    at_node("init", "--passphrase-stdin", stdin=passphrase + "\n")
    at_node("admin", "key", "rotate", NST_KEY_PASSPHRASE=passphrase)
    archive = Path(at_node("backup").stdout.strip())
    assert archive.parent == node / "backups"
    assert re.fullmatch(r"nst-\d{8}T\d{6}Z\.tar\.gz", archive.name)
    assert mode(archive) == 0o600
    [retired] = node.glob("node.key.old-*")
    inside = members_of(archive)
    assert inside["node.key"] == (node / "node.key").read_bytes()  # as it is: encrypted
    assert inside[retired.name] == retired.read_bytes()

    assert "passphrase" in at_target("restore", archive).stdout
    for name in ("node.key", retired.name):
        assert (target / name).read_bytes() == (node / name).read_bytes()
        assert mode(target / name) == 0o600
    fails(at_target("status", ok=False), "key.passphrase_required")
    status = json.loads(at_target("status", "--json", NST_KEY_PASSPHRASE=passphrase).stdout)
    assert status["node_id"] == json.loads((node / "node.key").read_text())["node_id"]


def test_a_config_naming_its_data_dir_names_the_new_one(tmp_path: Path) -> None:
    node, config = tmp_path / "node", tmp_path / "etc" / "nst.toml"
    config.parent.mkdir()
    where = ("--data-dir", node, "--config", config)
    nst("init", "--name", "Riverside", *where, root=tmp_path)
    nst("admin", "member", "add", "ana", *where, root=tmp_path, stdin=PASSWORD)
    archive = tmp_path / "node.tar.gz"
    nst("backup", "--out", archive, *where, root=tmp_path)
    target = tmp_path / "moved"
    out = nst("restore", archive, "--data-dir", target, root=tmp_path).stdout
    assert f"it now names {target.resolve()}" in out
    text = (target / "config.toml").read_text()
    assert f'data_dir = "{target.resolve()}"' in text
    assert "# The organization this node belongs to" in text  # the comments are kept
    # The restored node reads its own files, not the old directory's.
    (node / "nst.sqlite3").rename(node / "elsewhere.sqlite3")
    listed = nst("admin", "member", "list", "--json", "--data-dir", target, root=tmp_path).stdout
    assert [m["handle"] for m in json.loads(listed)] == ["ana"]


def test_the_public_forms_secret_comes_along_with_the_key(tmp_path: Path) -> None:
    """The links of mails already sent (an issue's unsubscribe link) still check after a
    restore: the secret that signs them is in the archive, beside the key."""
    node, target = tmp_path / "node", tmp_path / "restored"
    at_node = on(node)
    at_node("init")
    secret = node / "public-forms.key"
    secret.write_text("00" * 32 + "\n")
    secret.chmod(0o600)
    archive = Path(at_node("backup").stdout.strip())
    assert members_of(archive)["public-forms.key"] == secret.read_bytes()
    on(target)("restore", archive)
    assert (target / "public-forms.key").read_bytes() == secret.read_bytes()
    assert mode(target / "public-forms.key") == 0o600
    bare = tmp_path / "bare.tar.gz"
    at_node("backup", "--no-key", "--out", bare)
    assert "public-forms.key" not in members_of(bare)
