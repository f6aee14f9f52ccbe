"""The ``nst demo`` story: three organizations, their people and circles, and the
coalition's shared work, made through the nodes' own services and real federation.

Each organization has its own circle; a coalition general circle has two delegates from
each; a proposal is in its consent round with an objection being integrated; a decision
is adopted with a review date; an election is under way; a meeting's minutes are in the
logbook; the organizations exchange messages; the general circle adopts a campaign for
accountable policing that members of all three organizations work on
(``node.cli.demo_campaign``). The nodes are served in this process only
while the story is told; ``node.cli.demo`` then runs them as ``nst run`` processes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.cli.demo_campaign import Voice
from node.cli.demo_campaign import tell as tell_campaign
from node.cli.demo_mail import address_of
from node.cli.demo_public import tell as tell_public
from node.mail.members import CHOICES as MAIL_CHOICES

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


async def seed(root: Path, ports: list[int], logins: dict[str, Any]) -> None:
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
            # Everyone receives every kind of mail, in the demo's own mailbox.
            await node.mail.members.vouch(handle, address_of(handle, org.slug))
            await node.mail.members.choose(handle, set(MAIL_CHOICES))
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
    await _settle(feds)  # a reaction belongs to the reactions round: the home orders it first
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
    await _team(nodes, feds, general.id)
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
    # The coalition's campaign, adopted by the general circle and worked on by the
    # delegates of every organization, each on their own node.
    voices = [
        Voice(node, handle)
        for handles in zip(*(org.delegates for org in ORGS), strict=True)
        for node, handle in zip(nodes, handles, strict=True)
    ]
    await tell_campaign(
        general.id, voices[0], voices, lambda: _settle(feds), river.clock.now().date()
    )
    # Each organization's public site: its words, two articles (one from the circle).
    editors = [org.people[2][0] for org in ORGS]
    await tell_public(nodes, editors, general.id, voices[0], voices, lambda: _settle(feds))


async def _team(nodes: list[Any], feds: list[Any], general: str) -> None:
    """A sub-circle of the general circle, homed at Riverside: the general circle chooses
    its leader by consent, as sociocracy has it (PROTOCOL.md §13.16)."""
    river = nodes[0]
    team = await river.create_circle(
        "Rent campaign team",
        "Run the petition for rent control to the city council",
        domain="The petition's texts, signature drives and council visits",
        parent=general,
    )
    await river.set_membership(team.id, "ana", ["facilitator"])
    await river.set_membership(team.id, "ravi", [])
    ravi = river.actor_of("ravi")
    gov = river.gov
    election = await gov.open_selection(
        general, "ana", "leader", "Leads the rent campaign team", 6, for_circle=team.id
    )
    await gov.nominate(election, "ana", ravi)
    await gov.move_selection(election, "ana", "nomination_round")
    await gov.reveal(election, "ana", "Ravi has run two tenant petitions before")
    await gov.move_selection(election, "ana", "change_round")
    await gov.move_selection(election, "ana", "consent", candidate=ravi)
    await _settle(feds)
    for node, org in zip(nodes, ORGS, strict=True):
        for handle in org.delegates:
            await node.gov.selection_stance(election, handle, ravi, "consent")
    await _settle(feds)
    await gov.record_selection(election, "ana")
    await _settle(feds)
