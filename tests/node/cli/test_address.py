"""The address a node gives others, as a newcomer meets it on one machine: two nodes made
with ``nst init --dev``, served by ``nst run`` on ports other than the default (one from
NST_LISTEN, one from --listen), then every other command run later, as its own process
and without those settings, gives and uses the address the node really listens on."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from federation.invites import parse_invite
from node.config import DEFAULT_PORT

pytestmark = pytest.mark.timeout(120)

PASSWORD = "a long enough password"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """No NST_* setting at all: what the commands do comes from the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(root / "xdg")
    env.update(extra)
    return env


def nst(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "node", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(data_dir.parent),
    )
    assert proc.returncode == 0, proc.stderr
    return proc


class Server:
    """``nst run`` on a data directory; its stderr (the log) goes to a file."""

    def __init__(self, data_dir: Path, *args: str, **env: str) -> None:
        self.log = data_dir.parent / f"{data_dir.name}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "node", "run", "--data-dir", str(data_dir), *args],
                stdout=subprocess.PIPE,
                stderr=log,
                env=clean_env(data_dir.parent, **env),
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            ready = select.select([self.proc.stdout], [], [], 0.2)[0]
            if ready and (m := LISTENING.search(self.proc.stdout.readline().decode())):
                self.url, self.port = m.group(1), int(m.group(2))
                return
        self.stop()
        raise AssertionError(f"nst run did not start:\n{self.log.read_text()}")

    def stop(self) -> str:
        """SIGTERM, then the whole log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.log.read_text()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def admin_page(url: str) -> str:
    """The web UI's admin page, logged in as the node's admin."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{url}/login", timeout=10) as resp:
        m = re.search(r'name="_csrf" value="([^"]+)"', resp.read().decode())
    assert m is not None
    form = {"_csrf": m.group(1), "handle": "ana", "password": PASSWORD}
    with opener.open(f"{url}/login", urllib.parse.urlencode(form).encode(), timeout=10):
        pass
    with opener.open(f"{url}/admin", timeout=10) as resp:
        return str(resp.read().decode())


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_nodes_on_one_machine_link_and_deliver(tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "riverside", tmp_path / "eastside"
    assert "development mode" in nst(a_dir, "init", "--dev", "--name", "Riverside").stdout
    nst(b_dir, "init", "--dev", "--name", "Eastside")
    assert "dev_mode = true" in (a_dir / "config.toml").read_text()
    nst(a_dir, "admin", "member", "add", "ana", "--admin", stdin=PASSWORD + "\n")
    a = Server(a_dir, NST_LISTEN="127.0.0.1:0")
    b = Server(b_dir, "--listen", "127.0.0.1:0")
    try:
        assert DEFAULT_PORT not in (a.port, b.port)
        # One address for A, whichever command or page gives it.
        status = json.loads(nst(a_dir, "status", "--json").stdout)
        assert status["url"] == a.url
        assert re.search(rf"^url\s+{re.escape(a.url)}$", nst(a_dir, "status").stdout, re.M)
        assert get_json(f"{a.url}/fed/v1/node")["url"] == a.url
        page = admin_page(a.url)
        assert a.url in page
        assert f":{DEFAULT_PORT}" not in page
        created = nst(a_dir, "admin", "invite", "create")
        assert created.stderr == ""  # a development node: no warning about its address
        invite = created.stdout.splitlines()[-1]
        assert parse_invite(invite).url == a.url

        out = nst(b_dir, "admin", "link", invite).stdout
        assert f"url   {a.url}" in out
        [on_a] = json.loads(nst(a_dir, "admin", "peer", "list", "--json").stdout)
        assert (on_a["url"], on_a["name"], on_a["state"]) == (b.url, "Eastside", "linked")

        # An envelope delivered from A's running node to B's.
        b_id = json.loads(nst(b_dir, "status", "--json").stdout)["node_id"]
        created = nst(a_dir, "admin", "circle", "create", "General", "--aim", "x", "--federated")
        nst(a_dir, "admin", "circle", "member", created.stdout.strip(), b_id)

        def held_by_b() -> bool:
            status = json.loads(nst(b_dir, "status", "--json").stdout)
            return bool(status["circle_invitations"])

        wait_for(held_by_b, "B to receive the invitation to the circle")
        [on_a] = json.loads(nst(a_dir, "admin", "peer", "list", "--json").stdout)
        assert (on_a["failures"], on_a["last_error"]) == (0, None)
    finally:
        logs = a.stop() + b.stop()
    assert "url_not_public" not in logs
    # Stopped, A still gives the address it last listened on.
    assert json.loads(nst(a_dir, "status", "--json").stdout)["url"] == a.url


def test_nst_run_warns_once_about_a_loopback_address_outside_dev_mode(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    nst(data_dir, "init")
    log = Server(data_dir, "--listen", "127.0.0.1:0").stop()
    [warning] = [line for line in log.splitlines() if "url_not_public" in line]
    assert "loopback" in warning
    assert "public_url" in warning
    created = nst(data_dir, "admin", "invite", "create")
    assert "loopback" in created.stderr
    assert "public_url" in created.stderr
