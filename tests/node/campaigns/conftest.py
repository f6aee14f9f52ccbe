"""The circle every campaign test of the service starts from.

``circle``: "Coalition" on the node, its members ana (the facilitator), ben and cleo;
``dan`` has an account on the node but is no member of the circle.
"""

from __future__ import annotations

import pytest

from node.service import Node


@pytest.fixture
async def circle(node: Node) -> str:
    for handle in ("ana", "ben", "cleo", "dan"):
        await node.add_member(handle, handle.title() + " Example")
    circle = await node.create_circle("Coalition", "Police accountability", federated=True)
    await node.set_membership(circle.id, "ana", ["facilitator"])
    await node.set_membership(circle.id, "ben")
    await node.set_membership(circle.id, "cleo")
    return circle.id
