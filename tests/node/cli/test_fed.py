"""``nst admin invite|link|unlink|peer`` and ``nst status`` between real nodes: ``nst init``
and ``nst run --dev`` processes on 127.0.0.1, each with its own directory, key and SQLite
file; the test only drives the command line (and one signed request of its own)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from nacl.signing import SigningKey

from federation.client import PeerClient, PeerError
from federation.invites import PREFIX, Invite, new_token, parse_invite
from federation.transport import HttpTransport
from node.cli.errors import CliError
from node.cli.fed import MAX_INVITE_LIFE, parse_duration
from node.keyfile import read_key
from protocol import b64decode, b64encode, node_id_of
from protocol.canonical import encode

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class NodeProc:
    """One organization's node: ``nst`` commands on its directory, and its server.

    The server first listens on a port the system picks, and restarts on the same one;
    the node's other commands take its URL from where the server listens (no
    NST_PUBLIC_URL here: ``nst run`` records the address it really listens on).
    """

    def __init__(self, root: Path, name: str) -> None:
        self.dir = root / name
        self.log = root / f"{name}.log"
        self.url = ""
        self.server: subprocess.Popen[bytes] | None = None
        self.nst("init", "--name", name)
        self.node_id = node_id_of(self.key)

    @property
    def key(self) -> SigningKey:
        return read_key(self.dir / "node.key")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        env["XDG_DATA_HOME"] = str(self.dir.parent / "xdg")
        env["NST_DEV_MODE"] = "1"
        return env

    def nst(
        self, *args: str, ok: bool = True, stdin: str = "", **env: str
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "node", *args, "--data-dir", str(self.dir)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**self.env(), **env},
        )
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def status(self) -> dict[str, Any]:
        return dict(json.loads(self.nst("status", "--json").stdout))

    def peer(self, node_id: str) -> dict[str, Any]:
        found = [p for p in self.status()["peers"] if p["node_id"] == node_id]
        assert len(found) == 1, found
        return found[0]

    def invite(self, *args: str) -> str:
        return self.nst("admin", "invite", "create", *args).stdout.splitlines()[-1]

    def start(self, timeout: float = 15.0) -> None:
        port = self.url.rsplit(":", 1)[1] if self.url else "0"
        argv = [sys.executable, "-m", "node", "run", "--dev", "--listen", f"127.0.0.1:{port}"]
        with self.log.open("ab") as log:
            self.server = subprocess.Popen(
                [*argv, "--data-dir", str(self.dir)],
                stdout=subprocess.PIPE,
                stderr=log,
                env=self.env(),
            )
        assert self.server.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.server.stdout], [], [], deadline - time.monotonic())
            line = self.server.stdout.readline() if ready else b""
            if m := LISTENING.search(line.decode()):
                self.url = m.group(1)
                return
            if self.server.poll() is not None:
                break
        self.kill()
        raise AssertionError(f"{self.dir.name} did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM: the server drains and exits 0."""
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        assert self.server.wait(timeout=15) == 0, self.log.read_text()
        assert self.server.stdout is not None
        self.server.stdout.close()
        self.server = None

    def kill(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait()
            if self.server.stdout is not None:
                self.server.stdout.close()
            self.server = None


def fails(proc: subprocess.CompletedProcess[str], *codes: str) -> str:
    """The code of a failure, which must be one of ``codes``, in the CLI's format."""
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    m = re.fullmatch(r"error: ([a-z_.]+): (.+)", proc.stderr.strip())
    assert m, proc.stderr
    assert m.group(1) in codes, proc.stderr
    return m.group(1)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NodeProc]]:
    """A and B serving; C only runs commands (a node that tries to link with A)."""
    root = tmp_path_factory.mktemp("fed")
    a, b, c = NodeProc(root, "Alpha"), NodeProc(root, "Beta"), NodeProc(root, "Gamma")
    try:
        a.start()
        b.start()
        yield {"a": a, "b": b, "c": c}
        a.stop()
        b.stop()
    finally:
        a.kill()
        b.kill()


def set_invite_expiry(node: NodeProc, invite: str, when: dt.datetime) -> None:
    """Test setup straight in the database: the command line only makes future invites."""
    conn = sqlite3.connect(node.dir / "nst.sqlite3")
    try:
        with conn:
            cur = conn.execute(
                "UPDATE invites SET expires_at = ? WHERE token_hash = ?",
                (when.strftime("%Y-%m-%dT%H:%M:%SZ"), parse_invite(invite).token_hash),
            )
        assert cur.rowcount == 1
    finally:
        conn.close()


def with_field(invite: str, **changes: str) -> str:
    doc = orjson.loads(b64decode(invite.removeprefix(PREFIX)))
    return PREFIX + b64encode(encode({**doc, **changes}))


# --- invites ------------------------------------------------------------------------------


def test_invite_create_prints_the_invite_alone_on_the_last_line(
    nodes: dict[str, NodeProc],
) -> None:
    a = nodes["a"]
    out = a.nst("admin", "invite", "create", "--expires", "12h", "--note", "for Beta").stdout
    *explanation, last = out.splitlines()
    assert explanation, "a word on what to do with it comes first"
    invite = parse_invite(last)
    assert (invite.node, invite.url) == (a.node_id, a.url)
    assert last == str(invite)

    listed = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    row = next(r for r in listed if r["token_hash"] == invite.token_hash)
    assert (row["note"], row["state"], row["used_by"]) == ("for Beta", "open", None)
    life = dt.datetime.fromisoformat(row["expires_at"]) - dt.datetime.fromisoformat(
        row["created_at"]
    )
    assert abs(life - dt.timedelta(hours=12)) < dt.timedelta(seconds=5)
    assert invite.token not in a.nst("admin", "invite", "list").stdout

    fails(a.nst("admin", "invite", "create", "--expires=-1d", ok=False), "usage")


def test_invite_lifetimes() -> None:
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("12h") == dt.timedelta(hours=12)
    assert parse_duration("90d") == MAX_INVITE_LIFE == dt.timedelta(days=90)
    for bad in ("0d", "0m", "-1d", "91d", "2161h", "5x", "7", "1.5d", "d", ""):
        with pytest.raises(CliError) as err:
            parse_duration(bad)
        assert err.value.code == "usage"


def test_a_revoked_invite_links_nobody(nodes: dict[str, NodeProc]) -> None:
    a, c = nodes["a"], nodes["c"]
    invite = a.invite()
    token_hash = parse_invite(invite).token_hash
    assert a.nst("admin", "invite", "revoke", token_hash).stdout.strip() == f"revoked {token_hash}"
    fails(c.nst("admin", "link", invite, ok=False), "link.invite_invalid")
    unknown = "sha256:" + "A" * 43
    fails(a.nst("admin", "invite", "revoke", unknown, ok=False), "invite.unknown")
    listed = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    assert next(r for r in listed if r["token_hash"] == token_hash)["state"] == "revoked"


# --- linking ------------------------------------------------------------------------------


async def test_link_status_reuse_and_unlink(nodes: dict[str, NodeProc]) -> None:
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    invite = a.invite("--note", "Beta")

    out = b.nst("admin", "link", "-", stdin=invite + "\n").stdout  # kept out of `ps`
    assert a.node_id in out
    assert "Alpha" in out
    assert a.url in out

    on_a, on_b = a.peer(b.node_id), b.peer(a.node_id)
    assert (on_a["state"], on_a["url"], on_a["name"]) == ("linked", b.url, "Beta")
    assert (on_b["state"], on_b["url"], on_b["name"]) == ("linked", a.url, "Alpha")
    for peer in (on_a, on_b):
        assert {"last_contact", "failures", "queued", "last_error"} <= set(peer)
        assert (peer["failures"], peer["queued"]) == (0, 0)
    assert a.status()["queues"] == {}
    text = a.nst("status").stdout
    assert b.node_id in text
    assert b.url in text

    listed = json.loads(b.nst("admin", "peer", "list", "--json").stdout)
    assert [(p["node_id"], p["state"], p["url"], p["policy"]) for p in listed] == [
        (a.node_id, "linked", a.url, None)
    ]
    used = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    row = next(r for r in used if r["token_hash"] == parse_invite(invite).token_hash)
    assert (row["state"], row["used_by"]) == ("used", b.node_id)

    # An invite links one node only.
    fails(c.nst("admin", "link", invite, ok=False), "link.invite_used")

    # B's requests are answered while linked, refused once B unlinked.
    client = PeerClient(b.key, HttpTransport(dev_mode=True))
    try:
        assert await client.heads(a.node_id, a.url, f"direct:{b.node_id}") == {}
        proc = b.nst("admin", "unlink", a.node_id)
        assert "warning" not in proc.stderr  # A was told
        after = {p["node_id"]: p["state"] for p in a.status()["peers"]}
        assert after[b.node_id] == "unlinked"
        assert c.node_id not in after
        assert b.peer(a.node_id)["state"] == "unlinked"
        with pytest.raises(PeerError) as err:
            await client.heads(a.node_id, a.url, f"direct:{b.node_id}")
        assert (err.value.status, err.value.code) == (403, "auth.not_linked")
    finally:
        await client.transport.close()
    fails(b.nst("admin", "unlink", c.node_id, ok=False), "peer.unknown")


def test_an_expired_invite_is_refused(nodes: dict[str, NodeProc]) -> None:
    a, c = nodes["a"], nodes["c"]
    invite = a.invite("--expires", "1m")
    set_invite_expiry(a, invite, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    fails(c.nst("admin", "link", invite, ok=False), "link.invite_expired")
    listed = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    row = next(r for r in listed if r["token_hash"] == parse_invite(invite).token_hash)
    assert (row["state"], row["used_by"]) == ("expired", None)


def test_forged_and_altered_invites_are_refused(nodes: dict[str, NodeProc]) -> None:
    a, c = nodes["a"], nodes["c"]
    forged = str(Invite(a.node_id, a.url, new_token()))
    fails(c.nst("admin", "link", forged, ok=False), "link.invite_invalid")

    # A real invite sent to another node id: A answers, but not as that node.
    invite = a.invite()
    other = node_id_of(SigningKey.generate())
    altered = with_field(invite, node=other)
    fails(c.nst("admin", "link", altered, ok=False), "link.wrong_node")
    listed = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    row = next(r for r in listed if r["token_hash"] == parse_invite(invite).token_hash)
    assert row["state"] == "open"  # nothing was spent

    not_an_id = with_field(invite, node="ed25519:x")
    fails(
        c.nst("admin", "link", not_an_id, ok=False), "link.invite_invalid", "envelope.bad_node_id"
    )
    # Nobody listens there.
    nowhere = str(Invite(a.node_id, "http://127.0.0.1:9", new_token()))
    fails(c.nst("admin", "link", nowhere, ok=False), "link.unreachable")


def test_a_link_from_an_address_where_the_node_does_not_answer_is_refused(
    nodes: dict[str, NodeProc],
) -> None:
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    invite = a.invite()
    # C does not run: nothing answers at its address, and A refuses to link it there.
    proc = c.nst("admin", "link", invite, ok=False, NST_PUBLIC_URL="http://127.0.0.1:9")
    fails(proc, "link.url_unreachable")
    assert "What to do: start this node first (`nst run`)" in proc.stderr
    # C gives B's address: B answers there, as itself.
    proc = c.nst("admin", "link", invite, ok=False, NST_PUBLIC_URL=b.url)
    fails(proc, "link.url_wrong_node")
    assert f"{b.url} answers as {b.node_id}, not as {c.node_id}" in proc.stderr
    assert "What to do: another node listens at" in proc.stderr
    # Nothing was stored and the invite is still good.
    listed = json.loads(a.nst("admin", "invite", "list", "--json").stdout)
    row = next(r for r in listed if r["token_hash"] == parse_invite(invite).token_hash)
    assert (row["state"], row["used_by"]) == ("open", None)
    assert c.node_id not in {p["node_id"] for p in a.status()["peers"]}
    assert c.status()["peers"] == []


def test_deny_refuses_a_link_and_clear_lifts_it(nodes: dict[str, NodeProc], tmp_path: Path) -> None:
    a = nodes["a"]
    d = NodeProc(tmp_path, "Delta")
    a.nst("admin", "peer", "deny", d.node_id)
    assert d.node_id in a.nst("admin", "peer", "list").stdout
    fails(d.nst("admin", "link", a.invite(), ok=False), "auth.denied")
    fails(a.nst("admin", "peer", "deny", "ed25519:nope", ok=False), "usage")

    # An allow list admits only those on it.
    a.nst("admin", "peer", "clear", d.node_id)
    someone = node_id_of(SigningKey.generate())
    a.nst("admin", "peer", "allow", someone)
    fails(d.nst("admin", "link", a.invite(), ok=False), "auth.denied")
    a.nst("admin", "peer", "allow", d.node_id)
    d.start()  # A checks the URL D gives: D must answer there
    try:
        d.nst("admin", "link", a.invite())
    finally:
        d.stop()
    assert a.peer(d.node_id)["state"] == "linked"

    # Denying a linked node unlinks it.
    a.nst("admin", "peer", "deny", d.node_id)
    assert a.peer(d.node_id)["state"] == "unlinked"
    listed = json.loads(a.nst("admin", "peer", "list", "--json").stdout)
    assert next(p for p in listed if p["node_id"] == d.node_id)["policy"] == "deny"
    for node_id in (someone, d.node_id):  # A open to all again, for the other tests
        a.nst("admin", "peer", "clear", node_id)
    assert someone not in a.nst("admin", "peer", "list").stdout
