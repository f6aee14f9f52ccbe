"""Reviews on one node: an adopted decision comes back as a proposal when its review date
has come, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from node.clock import FixedClock
from node.service import Node

ToConsent = Callable[[str], Awaitable[None]]  # the conftest's to_consent


async def test_a_review_falls_due_and_comes_back(
    node: Node, clock: FixedClock, circle: str, to_consent: ToConsent
) -> None:
    root = await node.gov.propose(
        circle, "ben", "Quiet hours", "After 22:00.", review_date=dt.date(2027, 1, 10)
    )
    await to_consent(root)
    for handle in ("ana", "ben", "cleo"):
        await node.gov.stance(root, handle, "consent")
    decision = await node.gov.decide(root, "ana")
    assert await node.gov.start_due_reviews() == []  # not yet
    clock.advance(dt.timedelta(days=60))
    started = await node.gov.start_due_reviews()
    assert len(started) == 1
    review = await node.gov.proposal(started[0])
    assert review is not None
    assert review.state.review_of == decision
    assert review.state.phase == "draft"
    assert review.state.current.title == "Review: Quiet hours"
    assert review.texts[started[0]] == "After 22:00."
    assert await node.gov.start_due_reviews() == []  # brought back once
