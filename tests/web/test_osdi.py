"""The OSDI read API under /osdi/v1/ on a real node served on 127.0.0.1: only a live API
token opens it (never a member's session), its documents follow the opensupporter
osdi-docs (entry point, collections with paging, advocacy campaigns, outreaches), and no
member's name or handle is in any answer."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

HAL = "application/hal+json"


async def _get(
    url: str, token: str | None = None, *, session: aiohttp.ClientSession | None = None
) -> tuple[int, str, Any]:
    headers = {} if token is None else {"OSDI-API-Token": token}
    own = session is None
    http = session or aiohttp.ClientSession()
    try:
        async with http.get(url, headers=headers, allow_redirects=False) as r:
            return r.status, r.headers.get("Content-Type", ""), await r.json(content_type=None)
    finally:
        if own:
            await http.close()


def _code(body: Any) -> str:
    assert set(body) == {"error"}
    assert body["error"]["message"]
    return str(body["error"]["code"])


async def test_only_a_live_token_opens_the_api(web: Any, browser: Any) -> None:
    node, base = web.a.node, web.a.url + "/osdi/v1/"
    token = await node.osdi.tokens.create("action-network")
    other = await node.osdi.tokens.create("spoke")
    for path in ("", "advocacy_campaigns", "advocacy_campaigns/sha256:x/outreaches", "nope"):
        status, kind, body = await _get(base + path)
        assert (status, kind, _code(body)) == (401, "application/json", "osdi.token_missing")
        status, _, body = await _get(base + path, token + "x")
        assert (status, _code(body)) == (401, "osdi.token_invalid")
    status, kind, body = await _get(base, token)
    assert (status, kind) == (200, HAL)
    # A member's session, even the admin's, opens nothing: the cookie does not count.
    ana = browser(web.a.url)
    assert await ana.login("ana") == 200
    status, _, body = await _get(base, session=ana.http)
    assert (status, _code(body)) == (401, "osdi.token_missing")
    # A revoked token stops at once; the other one still opens.
    await node.osdi.tokens.revoke("spoke")
    status, _, body = await _get(base, other)
    assert (status, _code(body)) == (401, "osdi.token_invalid")
    assert (await _get(base, token))[0] == 200
    used = {t.name: t.last_used_at for t in await node.osdi.tokens.tokens()}
    assert used["action-network"] is not None
    # A token of another node opens nothing here.
    foreign = await web.b.node.osdi.tokens.create("action-network")
    assert (await _get(base, foreign))[0] == 401


async def test_the_entry_point_links_to_the_campaigns(web: Any) -> None:
    base = web.a.url + "/osdi/v1/"
    token = await web.a.node.osdi.tokens.create("tool")
    status, _, aep = await _get(base, token)
    assert status == 200
    assert aep["namespace"] == "nst"
    assert aep["max_pagesize"] == 100
    links = aep["_links"]
    assert links["self"]["href"] == base
    assert links["osdi:advocacy_campaigns"]["href"] == base + "advocacy_campaigns"
    assert links["curies"] == [
        {
            "name": "osdi",
            "href": "https://opensupporter.github.io/osdi-docs/{rel}",
            "templated": True,
        }
    ]
    status, _, empty = await _get(links["osdi:advocacy_campaigns"]["href"], token)
    assert status == 200
    assert (empty["page"], empty["total_pages"], empty["total_records"]) == (1, 1, 0)
    assert empty["_embedded"] == {"osdi:advocacy_campaigns": []}
    assert "next" not in empty["_links"]
    status, _, body = await _get(base + "advocacy_campaigns/sha256:nothing", token)
    assert (status, _code(body)) == (404, "osdi.not_found")
    status, _, body = await _get(base + "people", token)
    assert (status, _code(body)) == (404, "osdi.not_found")


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=x",
        "page=1.5",
        "page=",
        "per_page=0",
        "per_page=101",
        "per_page=ten",
        "page=99999999999",
    ],
)
async def test_a_bad_page_is_refused_with_its_code(web: Any, query: str) -> None:
    token = await web.a.node.osdi.tokens.create("tool")
    status, _, body = await _get(f"{web.a.url}/osdi/v1/advocacy_campaigns?{query}", token)
    assert (status, _code(body)) == (400, "osdi.bad_page")
