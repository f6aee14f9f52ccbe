"""The circle every governance test starts from, and the steps many of them take.

``circle``: "Housing" on the node, its members ana (the facilitator), ben and cleo;
``to_consent(root)`` moves a proposal through its phases to the consent round;
``adopted(circle)`` proposes, consents and decides one: (its root, the decision's id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from node.service import Node

ToConsent = Callable[[str], Awaitable[None]]
Adopted = Callable[[str], Awaitable[tuple[str, str]]]


@pytest.fixture
async def circle(node: Node) -> str:
    for handle in ("ana", "ben", "cleo"):
        await node.add_member(handle, handle.title())
    circle = await node.create_circle("Housing", "Fair rents for every tenant")
    await node.set_membership(circle.id, "ana", ["facilitator"])
    await node.set_membership(circle.id, "ben")
    await node.set_membership(circle.id, "cleo")
    return circle.id


@pytest.fixture
def to_consent(node: Node) -> ToConsent:
    async def move(root: str) -> None:
        for phase in ("presented", "questions", "reactions", "consent"):
            await node.gov.move(root, "ana", phase)

    return move


@pytest.fixture
def adopted(node: Node, to_consent: ToConsent) -> Adopted:
    async def adopt(circle: str) -> tuple[str, str]:
        root = await node.gov.propose(circle, "ben", "Quiet hours", "After 22:00.")
        await to_consent(root)
        for handle in ("ana", "ben", "cleo"):
            await node.gov.stance(root, handle, "consent")
        return root, await node.gov.decide(root, "ana")

    return adopt
