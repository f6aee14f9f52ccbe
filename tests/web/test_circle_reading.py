"""Who reads a circle: its members (and everyone on the node when a local circle is
opened to the organization). Every route of the web UI is walked as a member in no
circle and as the node's admin: nothing of the board circle shows."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest

from node import messages
from web_ui.guard import CIRCLE_PARAMS

TITLE = "Board only: treasurer pay"
SECRETS = (
    TITLE,
    "The treasurer is paid 400 a month",
    "Salaries stay confidential",
    "Is the 400 before tax",
    "Pay review meeting",
    "Keeps the board's books",
    "Pay the treasurer 400 a month",
    "Tom Treasurer",
    "Keep the books",
)
# Path parameters that name nothing of a circle, with what fills them in the walk.
OTHER_PARAMS = {
    "format": ("jsonl", "html"),
    "peer": (),
    "id": ("nothing",),
    "token": ("nothing",),
    # The public site's: an article's address, a public campaign, an image, an article.
    "slug": ("nothing",),
    "public_id": ("nothing",),
    "name": ("nothing",),
    "article": ("1",),
    # A meeting's action item by number; a backlog item (its route names its circle).
    "n": ("1",),
    "item": ("nothing",),
    # An issue of the Coalition Brief (editors' pages).
    "issue": ("1",),
    # An ally on the admins' pages.
    "ally": ("1",),
}
_NAV = '<nav aria-label="Main">'


@dataclass
class Board:
    id: str
    root: str
    election: str
    meeting: str
    campaign: str
    target: str
    demand: str
    plan: str
    commitment: str


@pytest.fixture
async def board(web: Any) -> Board:
    """A local circle of node A, Bea its facilitator and only member, with a proposal
    (and a question on it), an election, a meeting with minutes and a message."""
    node = web.a.node
    await node.add_member("bea", "Bea", "member", web.password)
    circle = await node.create_circle(
        "Board", "Oversee the association's money", roles=[{"name": "treasurer"}]
    )
    await node.set_membership(circle.id, "bea", ["facilitator"])
    root = await node.gov.propose(circle.id, "bea", TITLE, "The treasurer is paid 400 a month.")
    for phase in ("presented", "questions"):
        await node.gov.move(root, "bea", phase)
    await node.gov.ask(root, "bea", "Is the 400 before tax?")
    await messages.post(node, circle.id, "bea", "Salaries stay confidential.")
    election = await node.gov.open_selection(
        circle.id, "bea", "treasurer", "Keeps the board's books", 12
    )
    starts = dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC)
    meeting = await node.gov.schedule_meeting(circle.id, "bea", "Pay review meeting", starts)
    await node.gov.write_minutes(
        meeting,
        "bea",
        attendance=[node.actor_of("bea")],
        agenda_consented=True,
        opening="Pay review meeting opened",
    )
    campaigns = node.campaigns
    campaign = await campaigns.create_campaign(
        circle.id, "bea", name="Treasurer's pay", goal="Pay the treasurer 400 a month."
    )
    target = await campaigns.put_target(
        campaign,
        "bea",
        {"name": "Tom Treasurer", "office_type": "treasurer", "jurisdiction": "Board"},
    )
    demand = await campaigns.put_demand(
        campaign, "bea", title="Pay", text="Accept the pay.", office_type="treasurer"
    )
    plan = await campaigns.put_plan(
        campaign, "bea", title="Ask", channel="call", weekday=0, starts=dt.date(2026, 1, 5)
    )
    commitment = await campaigns.record_commitment(
        campaign, "bea", target=target, what="Keep the books", made=dt.date(2026, 1, 5)
    )
    return Board(circle.id, root, election, meeting, campaign, target, demand, plan, commitment)


def _is_site_page(page: str) -> bool:
    return page.startswith("<!doctype html>") and _NAV in page


def _paths(app: Any, board: Board, peer: str) -> list[tuple[str, str, bool]]:
    """Every route of the web UI with its path parameters filled in: (method, path,
    whether it is about the board)."""
    fills: dict[str, tuple[str, ...]] = {
        "circle": (board.id,),
        "root": (board.root,),
        "election": (board.election,),
        "meeting": (board.meeting,),
        "campaign": (board.campaign,),
        "target": (board.target,),
        "demand": (board.demand,),
        "plan": (board.plan,),
        "commitment": (board.commitment,),
        **OTHER_PARAMS,
        "peer": (peer,),
    }
    out = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        path = resource.canonical
        if path.startswith(("/fed/", "/osdi/", "/static", "/livez", "/readyz", "/metrics")):
            continue
        names = re.findall(r"\{(\w+)", path)
        unknown = [n for n in names if n not in fills]
        assert not unknown, f"{path}: say in CIRCLE_PARAMS or OTHER_PARAMS what {unknown} is"
        combos: list[dict[str, str]] = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in fills[name]]
        for params in combos:
            filled = path
            for name, value in params.items():
                filled = filled.replace("{" + name + "}", value)
            out.append((route.method, filled, any(n in CIRCLE_PARAMS for n in names)))
    return out


async def _fetch(b: Any, method: str, path: str) -> tuple[int, str]:
    if path == "/live":  # a stream: its first words are enough
        async with b.http.get(b.base + path) as r:
            chunk = await asyncio.wait_for(r.content.readany(), 5)
            return r.status, chunk.decode()
    if method == "GET":
        return await b.get(path)
    data = {
        "text": "x",
        "title": "x",
        "action": "nominate",
        "nominee": "x",
        "visibility": "organization",
    }
    return await b.post(path, data)


async def test_no_route_shows_a_circle_to_someone_who_may_not_read_it(
    web: Any, browser: Any, board: Board
) -> None:
    app = web.a.runner.app
    routes = _paths(app, board, web.b.node_id)
    assert ("GET", f"/proposals/{board.root}", True) in routes
    assert ("GET", f"/circles/{board.id}/logbook.jsonl", True) in routes
    before = len(await web.a.node.gov.proposals(board.id))
    for handle in ("carl", "ana"):  # a member in no circle; the node's admin
        b = browser(web.a.url)
        assert await b.login(handle) == 200
        for method, path, about_board in routes:
            if method == "POST" and not about_board:
                continue  # forms of the member's own (log out, password…): nothing of circles
            status, page = await _fetch(b, method, path)
            shown = [s for s in SECRETS if s in page]
            assert not shown, (handle, method, path, shown)
            if about_board:
                assert status in (403, 404), (handle, method, path, status)
                assert _is_site_page(page), (handle, method, path)
                assert "circle.members_only" in page
    assert len(await web.a.node.gov.proposals(board.id)) == before
    # The board's own member reads it all (the words looked for are the right ones).
    bea = browser(web.a.url)
    await bea.login("bea")
    _, page = await bea.get(f"/proposals/{board.root}")
    assert TITLE in page
    assert "Is the 400 before tax" in page
    _, page = await bea.get(f"/circles/{board.id}/messages")
    assert "Salaries stay confidential" in page
    # Everyone sees the circle's name and aim, as the organization's structure.
    carl = browser(web.a.url)
    await carl.login("carl")
    _, page = await carl.get("/circles")
    assert "Board" in page
    assert "Oversee the association" in page
    assert f'href="/circles/{board.id}"' not in page


async def test_a_local_circle_opened_to_the_organization_is_read_by_all_written_by_members(
    web: Any, browser: Any, board: Board
) -> None:
    carl, bea = browser(web.a.url), browser(web.a.url)
    await carl.login("carl")
    await bea.login("bea")
    _, page = await bea.get(f"/circles/{board.id}")
    assert "Only the circle's members read what happens here." in page
    await bea.post(f"/circles/{board.id}/visibility", {"visibility": "organization"})
    status, page = await carl.get(f"/proposals/{board.root}")
    assert (status, TITLE in page) == (200, True)
    status, page = await carl.get(f"/circles/{board.id}/messages")
    assert (status, "Salaries stay confidential" in page) == (200, True)
    _, page = await carl.get("/circles")
    assert f'href="/circles/{board.id}"' in page
    # Reading is not writing, nor saying who reads.
    status, _ = await carl.post(f"/circles/{board.id}/proposals", {"title": "Mine", "text": "x"})
    assert status == 400
    assert [p["title"] for p in await web.a.node.gov.proposals(board.id)] == [TITLE]
    status, page = await carl.post(f"/circles/{board.id}/visibility", {"visibility": "members"})
    assert status == 400
    assert "only the circle&#39;s facilitator or a node admin" in page.lower()
    # The admin, who does not read the board, closes it again from the admin page.
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get("/admin")
    assert "Oversee the association" in page
    await ana.post("/admin/circles", {"circle": board.id, "visibility": "members"})
    status, page = await carl.get(f"/proposals/{board.root}")
    assert status == 403
    assert TITLE not in page


async def test_a_federated_circle_is_read_by_its_members_only(web: Any, browser: Any) -> None:
    root = await web.a.node.gov.propose(web.circle, "ana", "Coalition budget", "Split it.")
    carl = browser(web.a.url)
    await carl.login("carl")
    for path in (f"/circles/{web.circle}", f"/proposals/{root}"):
        status, page = await carl.get(path)
        assert (status, "Coalition budget" in page) == (403, False), path
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get(f"/circles/{web.circle}")
    assert "Coalition budget" in page
    assert 'name="visibility"' not in page  # members only, whoever asks
    from node import visibility
    from node.domain.errors import DomainError

    with pytest.raises(DomainError) as refused:
        await visibility.set_visibility(web.a.node, web.circle, "organization")
    assert refused.value.code == "circle.visibility_fixed"


def test_every_path_parameter_is_known() -> None:
    assert set(CIRCLE_PARAMS) == {
        "circle",
        "root",
        "election",
        "meeting",
        "campaign",
        "target",
        "demand",
        "plan",
        "commitment",
    }
    assert not set(CIRCLE_PARAMS) & set(OTHER_PARAMS)
