"""``nst demo`` as a newcomer runs it: three real node processes, ready quickly, with the
story's content on every node's web UI, every printed login working, stopped cleanly by
Ctrl-C."""

from __future__ import annotations

import email
import email.policy
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PASSWORD = re.compile(r"^Every login below has the password\s+(\S+)$")
ORG = re.compile(r"^(\S.*?)\s+(http://127\.0\.0\.1:\d+/)$")
PEOPLE = re.compile(r"^  (delegates|others|node admin)\s+(.+)$")
FACILITATES = re.compile(r"^(\S+) \((.+?)\) facilitates the Coalition general circle\.")


@dataclass
class Printed:
    """What the demo printed: the password, and each organization's address and people."""

    password: str = ""
    orgs: dict[str, tuple[str, dict[str, list[str]]]] = field(default_factory=dict)
    facilitator: tuple[str, str] = ("", "")

    @classmethod
    def parse(cls, lines: list[str]) -> Printed:
        printed, org = cls(), ""
        for line in lines:
            if m := PASSWORD.match(line):
                printed.password = m.group(1)
            elif m := ORG.match(line):
                org = m.group(1)
                printed.orgs[org] = (m.group(2), {})
            elif (m := PEOPLE.match(line)) and org:
                printed.orgs[org][1][m.group(1)] = m.group(2).split()
            elif m := FACILITATES.match(line):
                printed.facilitator = (m.group(1), m.group(2))
        return printed

    def logins(self) -> list[tuple[str, str, str]]:
        """(organization, web UI, handle) of every printed login."""
        return [
            (org, url, handle)
            for org, (url, people) in self.orgs.items()
            for group in people.values()
            for handle in group
        ]


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
    demo: tuple[subprocess.Popen[str], list[str], float], tmp_path: Path
) -> None:
    proc, lines, seconds = demo
    paths = [line for line in lines if "kept in" in line or line.startswith("  /")]
    assert max(len(line) for line in lines if line not in paths) <= 80
    printed = Printed.parse(lines)
    assert list(printed.orgs) == [
        "Riverside Tenants Union",
        "Northend Food Co-op",
        "Eastside Youth Network",
    ]
    assert seconds < 60  # ready within 10 s on a quiet machine; CI shares its cores

    # Every printed login works, with the one printed password: 3 people and an admin each.
    logins = printed.logins()
    assert len(logins) == 12
    pages = {}
    for org, url, handle in logins:
        member = Member(url)
        home = member.login(handle, printed.password)
        assert f"Log out {handle}<" in home, (org, handle)
        if handle in printed.orgs[org][1]["delegates"]:
            assert "What needs you now" in home
            assert "Coalition general circle" in home
            assert "Share one meeting space" in home  # the adopted decision, on every node
            pages.setdefault(org, member)
        if handle in printed.orgs[org][1]["node admin"]:
            assert "Admin" in home
            if org == "Riverside Tenants Union":
                assert member.get("admin").count(">linked<") == 2

    # The printed delegates are the general circle's, and its facilitator is the one said.
    listed = _nst_json(tmp_path / "riverside", "admin", "circle", "list", "--json")
    [general_id] = [c["id"] for c in listed if c["name"] == "Coalition general circle"]
    shown = _nst_json(tmp_path / "riverside", "admin", "circle", "show", general_id, "--json")
    holders = {m["member"]: m["roles"] for m in shown["members"]}
    by_org = {}
    for org in printed.orgs:
        slug = org.split()[0].lower()
        by_org[org] = _nst_json(tmp_path / slug, "status", "--json")["node_id"]
    delegates = {m for m, roles in holders.items() if "delegate" in roles}
    assert delegates == {
        f"{handle}@{by_org[org]}"
        for org, (_, people) in printed.orgs.items()
        for handle in people["delegates"]
    }
    handle, org = printed.facilitator
    assert [m for m, roles in holders.items() if "facilitator" in roles] == [
        f"{handle}@{by_org[org]}"
    ]

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
    # The general circle chose the leader of its rent campaign team (a sub-circle).
    mine = riverside.get("circles")
    team = re.search(r'href="/circles/(circle:[^"]+)">Rent campaign team', mine)
    assert team is not None
    roles = riverside.get(f"circles/{team.group(1)}/roles")
    assert "Chosen by" in roles
    assert "Coalition general circle" in roles
    assert "Ravi" in roles
    peers = riverside.get("messages")
    eastside = re.search(r'href="/messages/(ed25519:[^"]+)"[^>]*>Eastside Youth Network', peers)
    assert eastside is not None
    assert "Could Riverside lend us its megaphone?" in riverside.get(
        f"messages/{eastside.group(1)}"
    )

    # The mail the nodes send arrives in the printed folder, addressed to the demo's people.
    [folder] = [Path(line.strip()) for line in lines if line.startswith("  /")]
    assert folder == tmp_path / "mail"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(folder.glob("*.eml")):
        time.sleep(0.5)
    received = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]
    assert received, "no mail reached the demo's mailbox within a minute"
    people = {f"{h}@{org.split()[0].lower()}.example" for org, _, h in printed.logins()}
    assert all(str(m["To"]) in people for m in received)
    assert all(m.get_body(("plain",)) is not None for m in received)

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def _nst_json(data_dir: Path, *args: str) -> Any:
    """A ``nst … --json`` answer about one demo node, beside its running server."""
    proc = subprocess.run(
        [sys.executable, "-m", "node", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)


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
    logins = Printed.parse(first)
    assert len(logins.logins()) == 12
    assert Printed.parse(again) == logins
    assert f"kept in {tmp_path / 'demo'}" in again[-1]
    proc, fresh = _run_until_ready([*args, "--reset"])
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    renewed = Printed.parse(fresh)
    assert renewed.password != logins.password
    assert renewed.orgs.keys() == logins.orgs.keys()


def test_a_demo_kept_by_an_earlier_version_asks_for_a_reset(tmp_path: Path) -> None:
    kept = tmp_path / "demo"
    kept.mkdir()
    base = _free_base()
    earlier = {"ports": [base, base + 1, base + 2], "orgs": [{"member_password": "x"}]}
    (kept / "demo.json").write_text(json.dumps(earlier))
    proc = subprocess.run(
        [sys.executable, "-m", "node", "demo", "--base-port", str(base), "--dir", str(kept)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "error: demo.outdated: " in proc.stderr
    assert "--reset" in proc.stderr


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
