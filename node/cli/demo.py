"""``nst demo``: a local federation of three organizations on this machine.

Three real nodes (each its own data directory, key and SQLite file, each its own `nst
run` process on 127.0.0.1), linked with each other, with sample content that tells the
product's story: each organization's own circles; a coalition general circle with two
delegates from each; a proposal in its consent round with an objection being integrated;
an adopted decision with a review date; an election under way; a meeting's minutes in
the logbook; messages between the organizations. It prints each web UI's address with
everyone's login (one demo password for all) and who facilitates the general circle,
so a newcomer can carry a proposal to adoption in the browser, and runs until Ctrl-C,
then stops every node cleanly.

The content is made once per directory, through the nodes' own services and real
federation over HTTP (the nodes briefly served in this process), before the three node
processes start. ``--dir`` keeps a demo between runs; ``--reset`` starts it over.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from node.cli.proto import CliError

DEFAULT_BASE_PORT = 8471
READY_SECONDS = 30.0
MARKER = "demo.json"
GENERAL = "Coalition general circle"  # homed at the first organization


@dataclass(frozen=True)
class Org:
    slug: str
    name: str
    people: tuple[tuple[str, str], ...]  # (handle, name); the first two are its delegates
    own_circle: tuple[str, str]

    @property
    def delegates(self) -> list[str]:
        return [handle for handle, _ in self.people[:2]]


ORGS = (
    Org(
        "riverside",
        "Riverside Tenants Union",
        (("ana", "Ana Ortiz"), ("ravi", "Ravi Shah"), ("lena", "Lena Berg")),
        ("Riverside board", "Run the union between general meetings"),
    ),
    Org(
        "northend",
        "Northend Food Co-op",
        (("noor", "Noor Haddad"), ("tom", "Tom Becker"), ("ines", "Ines Costa")),
        ("Co-op council", "Keep the co-op's shelves stocked and its books in order"),
    ),
    Org(
        "eastside",
        "Eastside Youth Network",
        (("kai", "Kai Nakamura"), ("sam", "Sam Okafor"), ("mia", "Mia Rossi")),
        ("Youth organizers", "Bring young people into the coalition's campaigns"),
    ),
)


# The first organization's first delegate facilitates the general circle: moves its
# proposals through their phases and records the decisions.
FACILITATOR = ORGS[0].delegates[0]


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
        procs = _start(root, ports)
        try:
            _wait_ready(procs, ports)
            # Catch Ctrl-C before saying it stops the demo, so none arrives unhandled.
            stop, previous = _catch_stop_signals()
            try:
                _print_table(logins, ports, time.monotonic() - started, root if keep else None)
                _wait_for_stop(procs, stop)
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
        finally:
            _stop(procs)
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

    run_async(_seed(root, ports, logins))
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(logins, option=orjson.OPT_INDENT_2))
    return logins


async def _seed(root: Path, ports: list[int], logins: dict[str, Any]) -> None:
    """The story, told through the nodes' own services and federated over HTTP."""
    from aiohttp import web

    from federation.routes import install as install_federation
    from federation.transport import HttpTransport
    from node.clock import SystemClock
    from node.config import load_config
    from node.keyfile import read_key
    from node.server import make_app
    from node.service import Node
    from node.store import SQLiteStore

    nodes: list[Node] = []
    runners: list[web.AppRunner] = []
    feds = []
    try:
        for org, port in zip(ORGS, ports, strict=True):
            cfg = load_config(root / org.slug, None)
            cfg = dataclasses.replace(cfg, listen_port=port, dev_mode=True)
            store = SQLiteStore(cfg.db_path, backup_dir=cfg.backup_dir)
            node = Node(cfg, store, read_key(cfg.key_path), SystemClock())
            app = make_app(node)
            fed = install_federation(app, node, HttpTransport(dev_mode=True), workers=False)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            nodes.append(node)
            runners.append(runner)
            feds.append(fed)
        await _story(nodes, feds, logins)
    finally:
        for runner in runners:
            await runner.cleanup()


async def _settle(feds: list[Any]) -> None:
    for _ in range(50):
        moved = 0
        for fed in feds:
            moved += await fed.deliver_once()
            moved += await fed.sync_once()
        if not moved:
            return


async def _story(nodes: list[Any], feds: list[Any], logins: dict[str, Any]) -> None:
    from node.direct import send_direct

    river, north, east = nodes
    # People: every organization's three people, and its node's admin.
    password = logins["password"]
    for node, org in zip(nodes, ORGS, strict=True):
        await node.add_member("admin", f"{org.name} admin", "admin", password)
        for handle, name in org.people:
            await node.add_member(handle, name, "member", password)
    # Links: every node with every other.
    for i, a in enumerate(feds):
        for b in feds[i + 1 :]:
            invite = await a.create_invite(note="demo")
            await b.link(str(invite))
    # Each organization's own circle.
    for node, org in zip(nodes, ORGS, strict=True):
        own = await node.create_circle(*org.own_circle)
        for i, (handle, _) in enumerate(org.people):
            await node.set_membership(own.id, handle, ["facilitator"] if i == 0 else [])
    # The coalition's general circle, homed at Riverside; each organization names its
    # two delegates (Riverside directly, the others by delegation requests).
    general = await river.create_circle(
        GENERAL,
        "Win fair rents and affordable food in the three neighbourhoods",
        domain="The coalition's joint campaigns, budget and public voice",
        federated=True,
    )
    for node in (north, east):
        await river.set_membership(general.id, node.node_id)
    ana, ravi = ORGS[0].delegates  # ana is the FACILITATOR
    await river.set_membership(general.id, ana, ["facilitator", "delegate"])
    await river.set_membership(general.id, ravi, ["secretary", "delegate"])
    await _settle(feds)
    # Northend's and Eastside's admins accept the invitation, as they would on their
    # admin page: only then does the circle reach their nodes.
    for node in (north, east):
        await node.circle_invitations.accept(general.id, "admin")
    await _settle(feds)
    for node, org in ((north, ORGS[1]), (east, ORGS[2])):
        for handle in org.delegates:
            await node.gov.name_delegate(general.id, handle)
    await _settle(feds)
    gov = river.gov
    noor, kai = "noor", "kai"
    # An adopted decision with a review date.
    space = await gov.propose(
        general.id,
        ana,
        "Share one meeting space",
        "The coalition rents the community hall on Mill Street every Tuesday evening;"
        " each organization pays a third.",
        review_date=dt.date.today() + dt.timedelta(days=180),
        measures=["Attendance per meeting", "Cost per organization per month"],
    )
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(space, ana, phase)
    await _settle(feds)
    await north.gov.stance(space, noor, "consent")
    await east.gov.stance(space, kai, "concern", "Tuesdays clash with exams in June")
    await north.gov.stance(space, "tom", "consent")
    await east.gov.stance(space, "sam", "consent")
    await gov.stance(space, ana, "consent")
    await gov.stance(space, "ravi", "consent")
    await _settle(feds)
    decision = await gov.decide(space, ana)
    # A proposal in its consent round with an objection being integrated.
    campaign = await north.gov.propose(
        general.id,
        noor,
        "Joint rent and food campaign",
        "From March, the three organizations run one campaign: a petition to the city"
        " council for rent control and a weekly affordable food market.\n"
        "Each organization funds a third of the printing.",
    )
    await _settle(feds)
    for phase in ("presented", "questions"):
        await gov.move(campaign, ana, phase)
    await _settle(feds)
    question = await east.gov.ask(campaign, kai, "Who speaks for the coalition to the press?")
    await _settle(feds)
    await north.gov.answer(question, noor, "One spokesperson per organization, in turn.")
    await gov.move(campaign, ana, "reactions")
    await _settle(feds)
    await east.gov.react(campaign, "sam", "Great idea, young people can run the market stall.")
    await gov.move(campaign, ana, "consent")
    await _settle(feds)
    await gov.stance(campaign, "ravi", "consent")
    await east.gov.stance(
        campaign, kai, "object", "We cannot pay a third of the printing; our budget is tiny"
    )
    await _settle(feds)
    await gov.move(campaign, ana, "integrating")
    await _settle(feds)
    # An election under way: nominations are in, the nomination round has begun.
    election = await gov.open_selection(
        general.id, ana, "facilitator", "Facilitates the general circle's meetings", 12
    )
    await _settle(feds)
    await north.gov.nominate(election, noor, river.actor_of("ravi"))
    await east.gov.nominate(election, kai, north.actor_of("noor"))
    await gov.nominate(election, "ravi", north.actor_of("noor"))
    await _settle(feds)
    await gov.move_selection(election, ana, "nomination_round")
    await _settle(feds)
    await east.gov.reveal(election, kai, "Noor keeps meetings short and fair")
    await _settle(feds)
    # A meeting's minutes in the logbook.
    meeting = await gov.schedule_meeting(
        general.id,
        ana,
        "First coalition assembly",
        river.clock.now() - dt.timedelta(days=1),
        [
            {"title": "Welcome and check-in", "type": "report"},
            {"title": "Share one meeting space", "type": "decide", "proposal": space},
        ],
    )
    await _settle(feds)
    attendance = [
        river.actor_of("ana"),
        river.actor_of("ravi"),
        north.actor_of("noor"),
        east.actor_of("kai"),
    ]
    await gov.write_minutes(
        meeting,
        "ravi",
        attendance=attendance,
        agenda_consented=True,
        opening="Everyone said what brought them to the coalition.",
        items=[
            {"title": "Welcome and check-in", "type": "report", "notes": "Four present."},
            {
                "title": "Share one meeting space",
                "type": "decide",
                "proposal": space,
                "decision": decision,
                "notes": "Adopted by consent; Eastside's concern about June is noted.",
            },
        ],
        closing="Energised; next assembly in a month.",
    )
    # Messages: the circle's chat and sealed messages between organizations.
    from node.messages import post

    await post(north, general.id, "tom", "The co-op can host the first food market stall.")
    await send_direct(
        east, river.node_id, "Could Riverside lend us its megaphone?", east.actor_of("kai")
    )
    await send_direct(
        river, east.node_id, "Of course, pick it up on Friday.", river.actor_of("ana")
    )
    await _settle(feds)


# --- running them ---------------------------------------------------------------------------


def _start(root: Path, ports: list[int]) -> list[subprocess.Popen[bytes]]:
    procs = []
    for org, port in zip(ORGS, ports, strict=True):
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own command line
                _nst("run", "--data-dir", root / org.slug, "--listen", f"127.0.0.1:{port}"),
                env=_env(),
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
    logins: dict[str, Any], ports: list[int], seconds: float, kept: Path | None
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
