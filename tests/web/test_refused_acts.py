"""An act the circle's home refuses at its position (a late stance, a question out of
its round) is shown as refused, with why in words, on the member's own node: on the
proposal's page, the member's home page and their notifications."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.timeout(60)


async def _in_phase(web: Any, *phases: str) -> str:
    a = web.a
    root: str = await a.node.gov.propose(web.circle, "ana", "Shared van", "We buy a van.")
    for phase in phases:
        await a.node.gov.move(root, "ana", phase)
    await web.cluster.settle()
    return root


async def test_a_late_stance_is_shown_refused_to_its_author(web: Any, browser: Any) -> None:
    root = await _in_phase(web, "presented", "questions", "reactions", "consent")
    await web.hold_deliveries()
    # The home withdraws the proposal; Ben's node has not heard yet.
    await web.a.node.gov.move(root, "ana", "withdrawn")
    ben = browser(web.b.url)
    await ben.login("ben")
    await ben.get(f"/proposals/{root}")
    status, page = await ben.post(
        f"/proposals/{root}/stance", {"version": root, "stance": "consent", "reason": ""}
    )
    assert status == 200
    assert "wait for the home node" in page
    await web.cluster.settle()
    _, page = await ben.get(f"/proposals/{root}")
    assert "Stance by Ben" in page
    assert "The consent round had closed when it reached the circle" in page
    _, home = await ben.get("/")
    assert "Your stance in" in home
    assert "The consent round had closed" in home
    assert web.b.node.actor_of("ben") not in home  # names, not ids
    _, notes = await ben.get("/notifications")
    assert "Your stance in" in notes


async def test_a_question_out_of_its_round_is_shown_refused(web: Any, browser: Any) -> None:
    root = await _in_phase(web, "presented", "questions")
    await web.hold_deliveries()
    await web.a.node.gov.move(root, "ana", "reactions")
    ben = browser(web.b.url)
    await ben.login("ben")
    await ben.get(f"/proposals/{root}")
    status, page = await ben.post(
        f"/proposals/{root}/discuss",
        {"target": root, "purpose": "question", "text": "Diesel or electric?"},
    )
    assert status == 200
    assert "waiting for the home node" in page
    await web.cluster.settle()
    _, page = await ben.get(f"/proposals/{root}")
    assert "Question by Ben" in page
    assert "questions belong to the questions round" in page
    assert "waiting for the home node" not in page
    _, home = await ben.get("/")
    assert "Your question in" in home
