"""The OSDI read API under /osdi/v1/ on a real node served on 127.0.0.1: only a live API
token opens it (never a member's session), its documents follow the opensupporter
osdi-docs (entry point, collections with paging, advocacy campaigns, outreaches), and no
member's name or handle is in any answer."""

from __future__ import annotations

import datetime as dt
import json
import re
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


NOTES = "Spoke to the scheduler; my cell is 555-0199"
# (date, channel, target key, member) of each action logged in the test's campaign.
LOGGED = [
    ("2026-05-04", "call", "mayor", "ana"),
    ("2026-05-04", "email", "da", "carl"),
    ("2026-05-05", "letter", "mayor", "carl"),
    ("2026-05-06", "meeting", "da", "ana"),
    ("2026-05-07", "public_comment", "mayor", "ana"),
    ("2026-05-08", "call", "da", "carl"),
]
TYPES = {"call": "phone", "email": "email", "letter": "postal mail", "meeting": "in-person"}


async def _adopted_campaign(node: Any) -> dict[str, str]:
    """A local circle of node A (Ana its facilitator, Carl a member) whose decision
    adopts a campaign with two officials; a third official and a second campaign stay
    drafts. Each member logs actions, with notes about themselves."""
    circle = (await node.create_circle("Police accountability", "Hold officials to account")).id
    await node.set_membership(circle, "ana", ["facilitator"])
    await node.set_membership(circle, "carl")
    campaigns = node.campaigns
    campaign = await campaigns.create_campaign(
        circle, "ana", name="Accountable policing", goal="Body cameras and a chokehold ban."
    )
    ids = {"campaign": campaign}
    for key, fields in {
        "mayor": {
            "name": "Dana Reyes",
            "given_name": "Dana",
            "family_name": "Reyes",
            "office_type": "mayor",
            "title": "Mayor",
            "jurisdiction": "City of Riverton",
            "ocd_division": "ocd-division/country:us/state:mn/place:riverton",
        },
        "da": {
            "name": "Sam Ortiz",
            "given_name": "Sam",
            "family_name": "Ortiz",
            "office_type": "district_attorney",
            "jurisdiction": "Clark County",
            "ocd_division": "ocd-division/country:us/state:mn/county:clark",
        },
        "draft": {"name": "Pat Unvetted", "office_type": "mayor", "jurisdiction": "Elsewhere"},
    }.items():
        ids[key] = await campaigns.put_target(campaign, "ana", fields)
    ids["draft_campaign"] = await campaigns.create_campaign(
        circle, "carl", name="An idea not yet agreed", goal="Later."
    )
    root = await node.gov.propose(
        circle,
        "ana",
        "Adopt the campaign",
        "Its officials.",
        adopts=[campaign, ids["mayor"], ids["da"]],
    )
    for phase in ("presented", "questions", "reactions", "consent"):
        await node.gov.move(root, "ana", phase)
    for handle in ("ana", "carl"):
        await node.gov.stance(root, handle, "consent")
    await node.gov.decide(root, "ana")
    for day, channel, target, handle in [*LOGGED, ("2026-05-09", "call", "draft", "ana")]:
        await campaigns.log_action(
            campaign,
            handle,
            target=ids[target],
            channel=channel,
            date=dt.date.fromisoformat(day),
            notes=NOTES,
            response=f"{handle} was told no",
        )
    return ids


def _personal(node: Any, text: str) -> list[str]:
    """Whatever of the members is in ``text``: names, handles, actor ids, their notes."""
    found = [n for n in ("Ana", "Carl") if re.search(rf"\b{n}\b", text)]
    found += [h for h in ("ana", "carl") if f'"{h}"' in text or node.actor_of(h) in text]
    return found + [s for s in ("555-0199", "was told no", "scheduler") if s in text]


async def test_adopted_campaigns_their_officials_and_outreaches(web: Any) -> None:
    node, base = web.a.node, web.a.url + "/osdi/v1/"
    ids = await _adopted_campaign(node)
    token = await node.osdi.tokens.create("tool")
    seen: list[str] = []

    async def get(url: str) -> Any:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, headers={"OSDI-API-Token": token}) as r,
        ):
            text = await r.text()
            seen.append(text)
            assert (r.status, r.content_type) == (200, HAL), (url, text)
            return json.loads(text)

    aep = await get(base)
    listing = await get(aep["_links"]["osdi:advocacy_campaigns"]["href"])
    # Only the adopted campaign: the draft is not served, by list or by id.
    assert listing["total_records"] == 1
    (embedded,) = listing["_embedded"]["osdi:advocacy_campaigns"]
    assert embedded["identifiers"] == [f"nst:{ids['campaign']}"]
    status, _, body = await _get(f"{base}advocacy_campaigns/{ids['draft_campaign']}", token)
    assert (status, _code(body)) == (404, "osdi.not_found")

    campaign = await get(embedded["_links"]["self"]["href"])
    for field in ("origin_system", "created_date", "modified_date", "title", "description"):
        assert campaign[field], field
    assert campaign["title"] == "Accountable policing"
    assert campaign["targets"] == "Mayor, City of Riverton; District Attorney, Clark County"
    officials = {t["family_name"]: t for t in campaign["target_list"]}
    assert set(officials) == {"Reyes", "Ortiz"}  # the draft official is not served
    assert officials["Reyes"]["given_name"] == "Dana"
    assert officials["Reyes"]["title"] == "Mayor"
    assert officials["Reyes"]["ocdid"] == "ocd-division/country:us/state:mn/place:riverton"
    assert officials["Ortiz"]["ocdid"] == "ocd-division/country:us/state:mn/county:clark"
    assert campaign["total_outreaches"] == len(LOGGED)

    # The outreaches, four a page: a next link until the last page.
    url = campaign["_links"]["osdi:outreaches"]["href"] + "?per_page=4"
    pages = []
    while url:
        page = await get(url)
        pages.append(page)
        url = page["_links"].get("next", {}).get("href")
    assert [p["page"] for p in pages] == [1, 2]
    assert [len(p["_embedded"]["osdi:outreaches"]) for p in pages] == [4, 2]
    assert {(p["total_records"], p["total_pages"], p["per_page"]) for p in pages} == {(6, 2, 4)}
    assert "prev" in pages[1]["_links"]
    outreaches = [o for p in pages for o in p["_embedded"]["osdi:outreaches"]]
    got = sorted((o["action_date"], o["type"], o["targets"][0]["family_name"]) for o in outreaches)
    family = {"mayor": "Reyes", "da": "Ortiz"}
    assert got == sorted(
        (day, TYPES.get(channel, channel.replace("_", " ")), family[target])
        for day, channel, target, _ in LOGGED
    )
    one = await get(outreaches[0]["_links"]["self"]["href"])
    assert one["_links"]["osdi:advocacy_campaign"]["href"] == campaign["_links"]["self"]["href"]
    assert "osdi:person" not in one["_links"]
    # Nothing of a member, in any answer.
    for text in seen:
        assert not _personal(node, text), text
