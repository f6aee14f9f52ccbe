"""A circle's backlog through its forms, over HTTP: a member of another organization adds
a tension, the facilitator draws it into a meeting's agenda and closes it; a form with no
title comes back with what was typed."""

from __future__ import annotations

from typing import Any


async def test_a_tension_from_the_backlog_onto_an_agenda_and_closed(web: Any, browser: Any) -> None:
    c, circle = web.cluster, web.circle
    ben = browser(web.b.url)
    await ben.login("ben")
    await ben.get(f"/circles/{circle}")
    _, page = await ben.post(f"/circles/{circle}/backlog", {"title": "", "note": "Mould again"})
    assert "The tension or agenda item must not be empty." in page
    assert "Mould again" in page
    await ben.post(
        f"/circles/{circle}/backlog", {"title": "Mould in flat 4", "note": "Mould again"}
    )
    await c.settle()  # it takes effect when the home's order brings it back
    _, page = await ben.get(f"/circles/{circle}")
    backlog = page.split('id="backlog-h"')[1].split("</section>")[0]
    assert "Mould in flat 4" in backlog
    assert "Close" not in backlog  # only the facilitator or secretary closes items

    (item,) = await web.a.node.gov.backlog(circle)
    ana = browser(web.a.url)
    await ana.login("ana")
    await ana.get(f"/circles/{circle}")
    _, page = await ana.post(
        f"/circles/{circle}/meetings",
        {"title": "Repairs meeting", "starts": "2026-12-01T18:00", "backlog": item["id"]},
    )
    agenda = page.split('id="agenda-h"')[1].split("</section>")[0]
    assert "Mould in flat 4" in agenda
    assert "from the backlog" in agenda
    _, page = await ana.get(f"/circles/{circle}")
    backlog = page.split('id="backlog-h"')[1].split("</section>")[0]
    assert "on the agenda of" in backlog
    assert "Repairs meeting" in backlog
    _, page = await ana.post(f"/circles/{circle}/backlog/{item['id']}/close", {})
    backlog = page.split('id="backlog-h"')[1].split("</section>")[0]
    assert "Mould in flat 4" not in backlog
    await c.settle()
    assert await web.b.node.gov.backlog(circle) == []
