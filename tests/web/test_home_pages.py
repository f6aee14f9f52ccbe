"""Moving a circle's home through the pages (PROTOCOL.md §13.15): the structural
proposal form offers the member nodes as the circle's home, says in plain words what the
proposal would do, and once adopted every node's circle page names the new home."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any


async def test_the_charter_form_moves_the_circle_home_to_a_member_node(
    web: Any, browser: Any
) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    status, page = await ana.get(f"/circles/{web.circle}")
    assert status == 200
    assert "The circle&#39;s home" in page or "The circle's home" in html.unescape(page)
    assert "move the circle&#39;s home to Node B" in page or (
        "move the circle's home to Node B" in html.unescape(page)
    )
    assert "Its home, the node that keeps its acts in order, is Node A." in page

    form = {
        "title": "Node B keeps the order",
        "text": "Our home moves to Node B.",
        "structure_member": "",
        "charter_change": "1",
        "charter_aim": "Coordinate the Coalition general circle",
        "charter_domain": "",
        "charter_round_hours": "72",
        "charter_silence": "absent",
        "charter_home": "somewhere-else",
    }
    # A home that is no member node: the form says so and keeps what was typed.
    status, page = await ana.post(f"/circles/{web.circle}/proposals", form)
    assert status == 400
    assert "Choose the home from the list." in page
    assert "Our home moves to Node B." in page

    status, page = await ana.post(
        f"/circles/{web.circle}/proposals", {**form, "charter_home": web.b.node_id}
    )
    assert status == 200
    words = html.unescape(page)
    assert "move the circle's home to Node B" in words
    assert "restate the charter unchanged" not in words

    gov = web.a.node.gov
    [row] = [p for p in await gov.proposals(web.circle) if p["title"] == form["title"]]
    for phase in ("presented", "questions", "reactions", "consent"):
        await gov.move(row["root"], "ana", phase)
    view = await gov.proposal(row["root"])
    await gov.stance(view.state.version_id, "ana", "consent")
    web.cluster.clock.advance(dt.timedelta(hours=73))
    await gov.decide(row["root"], "ana")
    await web.cluster.settle()

    ben = browser(web.b.url)
    await ben.login("ben")
    for who in (ana, ben):
        status, page = await who.get(f"/circles/{web.circle}")
        assert status == 200
        assert "Its home, the node that keeps its acts in order, is Node B." in page
