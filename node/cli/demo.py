"""``nst demo``: a local federation of three organizations on this machine.

Three real nodes (each its own data directory, key and SQLite file, each its own `nst
run` process on 127.0.0.1), linked with each other, with sample content that tells the
product's story: each organization's own circles; a coalition general circle with two
delegates from each; a proposal in its consent round with an objection being integrated;
an adopted decision with a review date; an election under way; a meeting's minutes in
the logbook; messages between the organizations; a campaign for accountable policing
that the general circle adopted, with its demands, officials, statuses, a week of
actions from all three organizations and a call day every Tuesday. It prints each web
UI's address with everyone's login (one demo password for all) and who facilitates the
general circle, so a newcomer can carry a proposal to adoption in the browser, and runs
until Ctrl-C, then stops every node cleanly.

The content (``node.cli.demo_story``) is made once per directory, through the nodes' own
services and real federation over HTTP (the nodes briefly served in this process), before
the three node processes start. ``--dir`` keeps a demo between runs; ``--reset`` starts it over.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from node.cli.demo_mail import DemoMailbox, sender_of
from node.cli.demo_story import FACILITATOR, GENERAL, ORGS, seed
from node.cli.errors import CliError

DEFAULT_BASE_PORT = 8471
READY_SECONDS = 30.0
MARKER = "demo.json"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo", help="a local federation of three organizations, with sample content"
    )
    p.add_argument("--dir", help="keep the demo here (default: a throwaway directory)")
    p.add_argument("--reset", action="store_true", help="start the demo in --dir over")
    p.add_argument(
        "--base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        help=f"the first of three ports on 127.0.0.1 (default {DEFAULT_BASE_PORT})",
    )
    p.set_defaults(run=run)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["NST_DEV_MODE"] = "1"  # 127.0.0.1 peers over plain HTTP
    env["NST_LOG_LEVEL"] = "warning"
    return env


def _nst(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "node", *map(str, args)]


def run(args: argparse.Namespace) -> int:
    ports = [args.base_port + i for i in range(len(ORGS))]
    if ports[0] < 1024 or ports[-1] > 65535:
        raise CliError("demo.bad_port", "--base-port: a port from 1024 to 65533")
    taken = [p for p in ports if not _port_free(p)]
    if taken:
        raise CliError(
            "demo.port_taken",
            f"127.0.0.1:{taken[0]} is in use; choose other ports with --base-port N"
            f" (the demo uses N, N+1 and N+2)",
        )
    keep = args.dir is not None
    root = Path(args.dir) if keep else Path(tempfile.mkdtemp(prefix="nst-demo-"))
    try:
        if keep and args.reset and root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        started = time.monotonic()
        logins = _prepare(root, ports)
        mailbox = DemoMailbox.start(root)
        try:
            procs = _start(root, ports, mailbox)
            try:
                _wait_ready(procs, ports)
                # Catch Ctrl-C before saying it stops the demo, so none arrives unhandled.
                stop, previous = _catch_stop_signals()
                try:
                    seconds = time.monotonic() - started
                    _print_table(logins, ports, seconds, root if keep else None, mailbox)
                    _wait_for_stop(procs, stop)
                finally:
                    for signum, handler in previous.items():
                        signal.signal(signum, handler)
            finally:
                _stop(procs)
        finally:
            mailbox.stop()
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


# --- preparing the three nodes -------------------------------------------------------------


def _prepare(root: Path, ports: list[int]) -> dict[str, Any]:
    """Create and seed the nodes once; the logins (kept beside them)."""
    marker = root / MARKER
    if marker.exists():
        saved: dict[str, Any] = orjson.loads(marker.read_bytes())
        if "password" not in saved:
            raise CliError(
                "demo.outdated",
                "this demo was made by an earlier nst demo, which kept no password for most"
                " of its people: start it over with --reset",
            )
        if saved.get("ports") != ports:
            raise CliError(
                "demo.ports_changed",
                f"this demo was made for ports {saved.get('ports')}: use --base-port"
                f" {saved['ports'][0]}, or --reset",
            )
        return saved
    for org in ORGS:
        if (root / org.slug).exists():
            shutil.rmtree(root / org.slug)
    inits = [
        subprocess.Popen(  # noqa: S603 - our own command line
            _nst("init", "--data-dir", root / org.slug, "--name", org.name),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for org in ORGS
    ]
    for proc in inits:
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise CliError("demo.init", err.decode(errors="replace").strip())
    # One password for every demo account: a newcomer logs in as one delegate after
    # another; the nodes listen on 127.0.0.1 only and the demo is throwaway.
    logins = {
        "ports": ports,
        "password": secrets.token_urlsafe(9),
        "orgs": [{"slug": org.slug, "name": org.name} for org in ORGS],
    }
    from node.cli.node import run_async

    run_async(seed(root, ports, logins))
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(logins, option=orjson.OPT_INDENT_2))
    return logins


# --- running them ---------------------------------------------------------------------------


def _start(root: Path, ports: list[int], mailbox: DemoMailbox) -> list[subprocess.Popen[bytes]]:
    procs = []
    for org, port in zip(ORGS, ports, strict=True):
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own command line
                _nst("run", "--data-dir", root / org.slug, "--listen", f"127.0.0.1:{port}"),
                env=_env() | mailbox.env(sender_of(org.slug, org.name)),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the demo, which stops them in order
            )
        )
    return procs


def _wait_ready(procs: list[subprocess.Popen[bytes]], ports: list[int]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    for proc, port in zip(procs, ports, strict=True):
        assert proc.stdout is not None
        while True:
            if time.monotonic() > deadline:
                raise CliError("demo.not_ready", f"the node on port {port} did not start")
            line = proc.stdout.readline()
            if not line:
                raise CliError("demo.not_ready", f"the node on port {port} stopped at start")
            if line.startswith(b"listening on"):
                break
        # Whatever the node prints later is read and dropped, so its pipe never fills.
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()


def _drain(stream: Any) -> None:
    for _ in iter(stream.readline, b""):
        pass


def _print_table(
    logins: dict[str, Any],
    ports: list[int],
    seconds: float,
    kept: Path | None,
    mailbox: DemoMailbox,
) -> None:
    width = max(len(o["name"]) for o in logins["orgs"]) + 2
    print(f"Next Step Together demo: three organizations, ready in {seconds:.1f} s")
    print()
    print(f"Every login below has the password  {logins['password']}")
    for org, spec, port in zip(logins["orgs"], ORGS, ports, strict=True):
        url = f"http://127.0.0.1:{port}/"
        others = [handle for handle, _ in spec.people[2:]]
        print()
        print(f"{org['name']:<{width}}{url}")
        print(f"  delegates   {' '.join(spec.delegates)}")
        print(f"  others      {' '.join(others)}")
        print("  node admin  admin")
    print()
    how = (
        f"{FACILITATOR} ({ORGS[0].name}) facilitates the {GENERAL}. To carry a proposal"
        f" to adoption: log in as any delegate and propose it in that circle; as"
        f" {FACILITATOR}, move it through its phases to consent; as each of the six"
        f" delegates, on their own organization's web UI, give a stance; then, as"
        f" {FACILITATOR}, record the decision."
    )
    print(textwrap.fill(how, width=79))
    print()
    campaign = (
        f"The {GENERAL}'s campaign for accountable policing (Riverton's mayor and Hollis"
        " County's district attorney) is on the circle's Campaigns page: its scoreboard,"
        " each official's timeline, and an action logged in three taps. Each"
        " organization's public site (its address above, not logged in) shows the"
        " campaign and two articles."
    )
    print(textwrap.fill(campaign, width=79))
    print()
    print(
        textwrap.fill(
            "Everyone above has an e-mail address and receives every kind of mail"
            " (reminders before a round closes, news of proposals, the daily digest, the"
            " campaign's week). The nodes send it to the demo's own mail server, which"
            " keeps each message as a file to open in any mail program or text editor:",
            width=79,
        )
    )
    print(f"  {mailbox.folder}")
    print()
    where = f"kept in {kept}" if kept else "in a throwaway directory"
    print(f"Data {where}. Press Ctrl-C to stop every node.", flush=True)


def _catch_stop_signals() -> tuple[threading.Event, dict[signal.Signals, Any]]:
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    return stop, previous


def _wait_for_stop(procs: list[subprocess.Popen[bytes]], stop: threading.Event) -> None:
    while not stop.wait(0.2):
        if any(p.poll() is not None for p in procs):
            print("a node stopped; stopping the others", file=sys.stderr)
            return
    print("stopping…", flush=True)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
