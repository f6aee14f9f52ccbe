""" "What needs you now" on the home page, over HTTP against the real app: every kind of
task shows for the member it belongs to, linked to where they do it, and for nobody else
(Ana facilitates the coalition's circle on node A, Ben is its member on node B, Carl is
in no circle)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

_TASK = re.compile(r'<li class="task task-([a-z_]+)"><a href="([^"]+)">([^<]+)</a>(.*?)</li>')


async def _tasks(browser: Any, base: str, handle: str) -> dict[str, list[tuple[str, str]]]:
    """The member's tasks by kind: (link, words, and what follows them)."""
    member = browser(base)
    await member.login(handle)
    _, page = await member.get("/")
    found: dict[str, list[tuple[str, str]]] = {}
    section = page.split('id="tasks-h"')[1].split("</section>")[0]
    for kind, href, text, rest in _TASK.findall(section):
        found.setdefault(kind, []).append((href, html.unescape(text) + rest))
    return found


async def test_each_task_shows_for_its_member_alone(web: Any, browser: Any) -> None:
    a, b, circle, c = web.a.node, web.b.node, web.circle, web.cluster
    ben = b.actor_of("ben")
    ana = a.actor_of("ana")

    async def tasks() -> dict[str, dict[str, list[tuple[str, str]]]]:
        await c.settle()
        return {
            "ana": await _tasks(browser, web.a.url, "ana"),
            "ben": await _tasks(browser, web.b.url, "ben"),
            "carl": await _tasks(browser, web.a.url, "carl"),
        }

    # A consent round: both owe a stance; once Ana gave hers, only Ben does.
    root = await b.gov.propose(circle, "ben", "Shared office", "Rent one together.")
    await c.settle()
    for phase in ("presented", "questions", "reactions", "consent"):
        await a.gov.move(root, "ana", phase)
    await a.gov.stance(root, "ana", "consent")
    seen = await tasks()
    assert [h for h, _ in seen["ben"]["stance"]] == [f"/proposals/{root}"]
    assert "stance" not in seen["ana"]
    assert "close_round" not in seen["ana"]
    assert seen["carl"] == {}
    # Ben objects: everyone answered, so the facilitator can close the round, and the
    # proposer (Ben) has an objection to integrate by an amendment.
    await b.gov.stance(root, "ben", "object", "Too expensive.")
    seen = await tasks()
    assert [h for h, _ in seen["ana"]["close_round"]] == [f"/proposals/{root}"]
    assert [h for h, _ in seen["ben"]["amend"]] == [f"/proposals/{root}"]
    assert "close_round" not in seen["ben"]
    assert "amend" not in seen["ana"]
    assert "stance" not in seen["ben"]

    # An election: a nomination in, the facilitator can reveal them.
    election = await a.gov.open_selection(circle, "ana", "secretary", "Keeps the minutes.", 12)
    await c.settle()
    await b.gov.nominate(election, "ben", ana)
    seen = await tasks()
    assert [h for h, _ in seen["ana"]["reveal"]] == [f"/elections/{election}"]
    assert "reveal" not in seen["ben"]
    # Its consent round: both owe a stance; when both gave one, Ana can close it.
    await a.gov.move_selection(election, "ana", "nomination_round")
    await c.settle()
    await b.gov.reveal(election, "ben", "keeps good notes")
    await c.settle()
    await a.gov.move_selection(election, "ana", "change_round")
    await a.gov.move_selection(election, "ana", "consent", candidate=ana)
    seen = await tasks()
    for who in ("ana", "ben"):
        assert [h for h, _ in seen[who]["election_stance"]] == [f"/elections/{election}"]
    assert "close_election" not in seen["ana"]
    await a.gov.selection_stance(election, "ana", ana, "consent")
    await c.settle()
    await b.gov.selection_stance(election, "ben", ana, "consent")
    seen = await tasks()
    assert [h for h, _ in seen["ana"]["close_election"]] == [f"/elections/{election}"]
    assert "close_election" not in seen["ben"]
    assert "election_stance" not in seen["ana"]
    assert "election_stance" not in seen["ben"]

    # A meeting that began: its keeper (Ana) writes the minutes; then they await approval,
    # and Ben owns an action, overdue.
    now = c.clock.now()
    meeting = await a.gov.schedule_meeting(circle, "ana", "Assembly", now - dt.timedelta(hours=1))
    seen = await tasks()
    assert [h for h, _ in seen["ana"]["write_minutes"]] == [f"/meetings/{meeting}"]
    assert "write_minutes" not in seen["ben"]
    yesterday = (now - dt.timedelta(days=1)).date().isoformat()
    await a.gov.write_minutes(
        meeting,
        "ana",
        attendance=[ana, ben],
        agenda_consented=True,
        items=[
            {
                "title": "Office",
                "type": "report",
                "actions": [{"what": "Visit the office", "owner": ben, "due": yesterday}],
            }
        ],
    )
    seen = await tasks()
    ((href, words),) = seen["ben"]["action"]
    assert href == f"/meetings/{meeting}#action-1"
    assert "Visit the office" in words
    assert "overdue" in words
    assert "action" not in seen["ana"]
    assert [h for h, _ in seen["ana"]["approve_minutes"]] == [f"/meetings/{meeting}"]
    assert "write_minutes" not in seen["ana"]
    assert "approve_minutes" not in seen["ben"]
    assert seen["carl"] == {}
    # Done from Ben's own node: the task is gone.
    await b.gov.mark_done(meeting, 1, "ben")
    seen = await tasks()
    assert "action" not in seen["ben"]
