"""``nst demo`` as a newcomer runs it: three real node processes, ready quickly, with the
story's content on every node's web UI, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

LINE = re.compile(r"^(.+?)\s+(http://127\.0\.0\.1:(\d+)/)\s+(\S+) (\S+)$")


def _free_base() -> int:
    for _ in range(50):
        # Below the system's ephemeral range (32768 and up on Linux), so that no test's
        # outgoing connection takes one of these ports between the check and the demo.
        base = random.randint(20000, 32000)
        ok = True
        for port in range(base, base + 3):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
        if ok:
            return base
    raise AssertionError("no three free ports")


class Member:
    """A member's browser without JavaScript: cookies, forms, pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path.lstrip("/"), timeout=30) as r:
            return r.read().decode()

    def login(self, handle: str, password: str) -> str:
        page = self.get("login")
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert csrf is not None
        data = urllib.parse.urlencode(
            {"_csrf": csrf.group(1), "handle": handle, "password": password}
        ).encode()
        with self.opener.open(self.base + "login", data=data, timeout=30) as r:
            return r.read().decode()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[str], float]]:
    base = _free_base()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "demo", "--base-port", str(base), "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        while True:
            line = proc.stdout.readline()
            assert line, f"the demo ended early: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.rstrip("\n"))
            if "Ctrl-C" in line:
                break
        yield proc, lines, time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_the_demo_runs_three_linked_organizations_with_their_story(
    demo: tuple[subprocess.Popen[str], list[str], float],
) -> None:
    proc, lines, seconds = demo
    rows = [m for m in (LINE.match(line) for line in lines) if m]
    members, admins = rows[:3], rows[3:]
    assert [m.group(1).strip() for m in members] == [
        "Riverside Tenants Union",
        "Northend Food Co-op",
        "Eastside Youth Network",
    ]
    assert len(admins) == 3
    assert seconds < 60  # ready within 10 s on a quiet machine; CI shares its cores

    pages = {}
    for row in members:
        member = Member(row.group(2))
        home = member.login(row.group(4), row.group(5))
        assert "What needs you now" in home
        assert "Coalition general circle" in home
        assert "Share one meeting space" in home  # the adopted decision, on every node
        pages[row.group(1).strip()] = member

    east = pages["Eastside Youth Network"]
    circles = east.get("circles")
    general = re.search(r'href="/circles/(circle:[^"]+)">Coalition general circle', circles)
    assert general is not None
    circle = east.get(f"circles/{general.group(1)}")
    for org in ("Riverside Tenants Union", "Northend Food Co-op", "Eastside Youth Network"):
        assert org in circle  # members by organization: two delegates each
    assert circle.count(">delegate<") == 6
    assert "Joint rent and food campaign" in circle
    assert "facilitator" in circle  # the election under way
    proposal = re.search(r'href="/proposals/([^"]+)">Joint rent and food campaign', circle)
    assert proposal is not None
    for member in pages.values():  # the same process state on all three nodes
        page = member.get(f"proposals/{proposal.group(1)}")
        assert ">integrating<" in page
        assert "We cannot pay a third of the printing" in page
        assert "Who speaks for the coalition to the press?" in page
    logbook = east.get(f"circles/{general.group(1)}/logbook")
    assert "Minutes: 4 attending" in logbook
    assert "review by" in logbook
    riverside = pages["Riverside Tenants Union"]
    peers = riverside.get("messages")
    eastside = re.search(r'href="/messages/(ed25519:[^"]+)"[^>]*>Eastside Youth Network', peers)
    assert eastside is not None
    assert "Could Riverside lend us its megaphone?" in riverside.get(
        f"messages/{eastside.group(1)}"
    )

    admin = Member(admins[0].group(2))
    page = admin.login(admins[0].group(4), admins[0].group(5))
    assert "Admin" in page
    status = admin.get("admin")
    assert status.count(">linked<") == 2

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def test_a_taken_port_is_a_clear_error() -> None:
    base = _free_base()
    with socket.socket() as s:
        s.bind(("127.0.0.1", base + 1))
        s.listen()
        proc = subprocess.run(
            [sys.executable, "-m", "node", "demo", "--base-port", str(base)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 1
    assert f"error: demo.port_taken: 127.0.0.1:{base + 1} is in use" in proc.stderr


def _run_until_ready(args: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    while True:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        lines.append(line.rstrip("\n"))
        if "Ctrl-C" in line:
            return proc, lines


def test_a_kept_demo_starts_again_with_the_same_logins(tmp_path: Path) -> None:
    base = _free_base()
    args = ["--base-port", str(base), "--dir", str(tmp_path / "demo")]
    proc, first = _run_until_ready(args)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    proc, again = _run_until_ready(args)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    logins = [line for line in first if LINE.match(line)]
    assert len(logins) == 6
    assert [line for line in again if LINE.match(line)] == logins
    assert f"kept in {tmp_path / 'demo'}" in again[-1]
    proc, fresh = _run_until_ready([*args, "--reset"])
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert [line for line in fresh if LINE.match(line)] != logins  # new passwords


def test_status_gives_each_demo_node_the_address_it_listens_on(tmp_path: Path) -> None:
    base = _free_base()
    proc, _ = _run_until_ready(["--base-port", str(base), "--dir", str(tmp_path)])
    try:
        urls = [f"http://127.0.0.1:{base + i}" for i in range(3)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
        for slug, url in zip(("riverside", "northend", "eastside"), urls, strict=True):
            out = subprocess.run(
                [sys.executable, "-m", "node", "status", "--json", "--data-dir", tmp_path / slug],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                env=env,
            ).stdout
            status = json.loads(out)
            assert status["url"] == url
            assert sorted(p["url"] for p in status["peers"]) == [u for u in urls if u != url]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
