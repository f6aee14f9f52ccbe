"""The OSDI documents as pure functions: paging links, the target object after the
osdi-docs target sub-object, outreach types, and no member anywhere."""

from __future__ import annotations

from typing import Any

from node.osdi.records import AdvocacyCampaign, Office, Official, Outreach
from web_ui.osdi import documents
from web_ui.osdi.documents import Page

BASE = "https://node.example/osdi/v1/"
MAYOR = Official(
    name="Dana Reyes",
    given_name="",
    family_name="",
    office_type="mayor",
    title="",
    jurisdiction="City of Riverton",
    ocdid="ocd-division/country:us/state:mn/place:riverton",
    email="mayor@riverton.example",
    offices=(Office("City Hall", "1 Main St", "+1 555 0100"),),
)
DA = Official(
    name="Sam Ortiz",
    given_name="Samuel",
    family_name="Ortiz",
    office_type="district_attorney",
    title="County Attorney",
    jurisdiction="Clark County",
    ocdid=None,
)


def _page(page: int, total: int) -> dict[str, Any]:
    items = [{"_links": {"self": {"href": f"{BASE}x/{i}"}}} for i in range(2)]
    return documents.collection(BASE + "x", "osdi:x", Page(page, 2, total), items)


def test_a_collection_links_to_the_pages_beside_it() -> None:
    first, middle, last = _page(1, 5), _page(2, 5), _page(3, 5)
    assert (first["total_pages"], first["total_records"], first["per_page"]) == (3, 5, 2)
    assert first["_links"]["next"] == {"href": BASE + "x?page=2&per_page=2"}
    assert "previous" not in first["_links"]
    assert middle["_links"]["previous"] == middle["_links"]["prev"]
    assert middle["_links"]["prev"] == {"href": BASE + "x?page=1&per_page=2"}
    assert "next" not in last["_links"]
    assert first["_links"]["osdi:x"] == [
        {"href": f"{BASE}x/0"},
        {"href": f"{BASE}x/1"},
    ]
    beyond = _page(9, 5)
    assert beyond["_links"]["prev"] == {"href": BASE + "x?page=3&per_page=2"}
    assert _page(1, 0)["total_pages"] == 1


def test_a_campaign_lists_its_targets_as_osdi_target_objects() -> None:
    campaign = AdvocacyCampaign(
        id="sha256:abc",
        name="Accountable policing",
        goal="Body cameras now.",
        description="",
        created="2026-05-01T18:02:11Z",
        modified="2026-05-03T09:40:00Z",
        officials=(MAYOR, DA),
        total_outreaches=3,
    )
    doc = documents.advocacy_campaign(BASE, campaign)
    assert doc["identifiers"] == ["nst:sha256:abc"]
    assert doc["description"] == "Body cameras now."
    assert doc["targets"] == "Mayor, City of Riverton; District Attorney, Clark County"
    mayor, da = doc["target_list"]
    assert (mayor["title"], mayor["given_name"], mayor["family_name"]) == ("Mayor", "Dana", "Reyes")
    assert mayor["ocdid"] == "ocd-division/country:us/state:mn/place:riverton"
    assert mayor["phone_numbers"][0]["number"] == "+1 555 0100"
    assert mayor["postal_addresses"][0]["address_lines"] == ["1 Main St"]
    assert mayor["email_addresses"][0]["address"] == "mayor@riverton.example"
    assert (da["title"], da["given_name"], da["ocdid"]) == ("County Attorney", "Samuel", None)
    assert "templates" not in doc
    assert (
        doc["_links"]["osdi:outreaches"]["href"]
        == BASE + "advocacy_campaigns/sha256:abc/outreaches"
    )
    assert "curies" in doc["_links"]
    assert "curies" not in documents.advocacy_campaign(BASE, campaign, top=False)["_links"]


def test_an_outreach_says_when_how_and_whom_never_who() -> None:
    o = Outreach(
        "sha256:act",
        "sha256:abc",
        "2026-05-04T10:00:00Z",
        "2026-05-04T10:00:00Z",
        "2026-05-04",
        "letter",
        DA,
    )
    doc = documents.outreach(BASE, o)
    assert (doc["action_date"], doc["type"]) == ("2026-05-04", "postal mail")
    assert [t["family_name"] for t in doc["targets"]] == ["Ortiz"]
    assert set(doc["_links"]) == {"curies", "self", "osdi:advocacy_campaign"}
    assert doc["_links"]["self"]["href"] == BASE + "outreaches/sha256:act"
    assert doc["_links"]["osdi:advocacy_campaign"]["href"] == BASE + "advocacy_campaigns/sha256:abc"
