"""The OSDI API's hal+json documents as pure functions, after the opensupporter/osdi-docs
pages: the API entry point (``aep.md``), collections and their paging (``README.md``,
"Collections and Navigation"), advocacy campaigns, outreaches and the target object.

Every link is absolute, made from the API's ``base`` (``https://node.example/osdi/v1/``).
Top-level documents carry the ``osdi`` curie; embedded ones do not repeat it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from node.osdi.records import AdvocacyCampaign, Official, Outreach

NAMESPACE: Final = "nst"
ORIGIN_SYSTEM: Final = "Next Step Together"
OSDI_VERSION: Final = "1.2.0"
DOCS: Final = "https://opensupporter.github.io/osdi-docs/{rel}"
MEDIA_TYPE: Final = "application/hal+json"
#: OSDI's outreach types (``email``, ``in-person``, ``phone``, ``postal mail``) where one
#: fits a channel; the type is a flexunum, so the others keep their own words.
OUTREACH_TYPES: Final = {
    "call": "phone",
    "email": "email",
    "letter": "postal mail",
    "meeting": "in-person",
    "petition": "petition",
    "testimony": "testimony",
    "public_comment": "public comment",
    "rally": "rally",
}

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection: its number (from 1), its size and how many in all."""

    page: int
    per_page: int
    total_records: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total_records // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def curies() -> list[dict[str, Any]]:
    return [{"name": "osdi", "href": DOCS, "templated": True}]


def _link(href: str, title: str | None = None) -> dict[str, str]:
    return {"href": href} if title is None else {"href": href, "title": title}


def entry_point(base: str, max_pagesize: int) -> Document:
    """The API entry point: what the API holds, and the links to it."""
    return {
        "motd": "Campaigns adopted by this node's circles, read-only.",
        "vendor_name": ORIGIN_SYSTEM,
        "product_name": "NST",
        "osdi_version": OSDI_VERSION,
        "max_pagesize": max_pagesize,
        "namespace": NAMESPACE,
        "_links": {
            "curies": curies(),
            "self": _link(base, "This API entry point"),
            "osdi:advocacy_campaigns": _link(
                base + "advocacy_campaigns", "The collection of advocacy campaigns in the system"
            ),
        },
    }


def _page_href(href: str, page: int, per_page: int) -> str:
    return f"{href}?page={page}&per_page={per_page}"


def collection(href: str, rel: str, page: Page, items: Sequence[Document]) -> Document:
    """One page of a collection at ``href`` of the relation ``rel``
    (``osdi:advocacy_campaigns``): its items embedded and linked, and the links to the
    pages beside it. ``previous`` is OSDI's name, ``prev`` the one HAL clients know."""
    links: dict[str, Any] = {
        "curies": curies(),
        "self": _link(_page_href(href, page.page, page.per_page)),
        rel: [{"href": item["_links"]["self"]["href"]} for item in items],
    }
    if page.page < page.total_pages:
        links["next"] = _link(_page_href(href, page.page + 1, page.per_page))
    if page.page > 1:
        before = _link(_page_href(href, min(page.page - 1, page.total_pages), page.per_page))
        links["previous"] = before
        links["prev"] = before
    return {
        "total_pages": page.total_pages,
        "per_page": page.per_page,
        "page": page.page,
        "total_records": page.total_records,
        "_links": links,
        "_embedded": {rel: list(items)},
    }


def _words(office_type: str) -> str:
    return office_type.replace("_", " ").title()


def _names(official: Official) -> tuple[str, str]:
    """(given, family): as recorded, else the shown name split at its last space."""
    if official.given_name or official.family_name:
        return official.given_name, official.family_name
    given, _, family = official.name.rpartition(" ")
    return given, family


def target(official: Official) -> Document:
    """OSDI's target object: an official's title, names, jurisdiction and office contacts."""
    given, family = _names(official)
    doc: Document = {
        "title": official.title or _words(official.office_type),
        "organization": official.jurisdiction,
        "given_name": given,
        "family_name": family,
        "ocdid": official.ocdid,
    }
    addresses = [o for o in official.offices if o.address]
    if addresses:
        doc["postal_addresses"] = [
            {
                "primary": i == 0,
                "address_type": o.classification or "Office",
                "address_lines": [o.address],
            }
            for i, o in enumerate(addresses)
        ]
    if official.email:
        doc["email_addresses"] = [
            {"primary": True, "address": official.email, "address_type": "Work"}
        ]
    phones = [o for o in official.offices if o.voice]
    if phones:
        doc["phone_numbers"] = [
            {
                "primary": i == 0,
                "number": o.voice,
                "number_type": "Work",
                "description": o.classification,
            }
            for i, o in enumerate(phones)
        ]
    return doc


def targets_description(officials: Sequence[Official]) -> str:
    """OSDI's human-readable description of the targets: each office and jurisdiction once
    ("Mayor, City of Riverton; District Attorney, Clark County")."""
    seen: dict[str, None] = {}
    for o in officials:
        seen.setdefault(f"{_words(o.office_type)}, {o.jurisdiction}", None)
    return "; ".join(seen)


def _common(id_: str, created: str, modified: str) -> Document:
    return {
        "identifiers": [f"{NAMESPACE}:{id_}"],
        "origin_system": ORIGIN_SYSTEM,
        "created_date": created,
        "modified_date": modified,
    }


def campaign_href(base: str, campaign_id: str) -> str:
    return f"{base}advocacy_campaigns/{campaign_id}"


def outreaches_href(base: str, campaign_id: str) -> str:
    return campaign_href(base, campaign_id) + "/outreaches"


def advocacy_campaign(base: str, c: AdvocacyCampaign, *, top: bool = True) -> Document:
    """An advocacy campaign: its words, its targets (described and listed), how many
    outreaches it has and the link to them. ``top``: a document of its own (with the
    curie), not one embedded in a collection."""
    doc = _common(c.id, c.created, c.modified)
    doc |= {
        "name": c.name,
        "title": c.name,
        "summary": c.goal,
        "description": c.description or c.goal,
        "targets": targets_description(c.officials),
        "target_list": [target(o) for o in c.officials],
        "total_outreaches": c.total_outreaches,
    }
    if c.scripts:
        doc["templates"] = list(c.scripts)
    links: dict[str, Any] = {
        "self": _link(campaign_href(base, c.id)),
        "osdi:outreaches": _link(outreaches_href(base, c.id)),
    }
    doc["_links"] = {"curies": curies(), **links} if top else links
    return doc


def outreach(base: str, o: Outreach, *, top: bool = True) -> Document:
    """An outreach: when and how an official was contacted, in which campaign. No
    ``osdi:person`` link and no notes: who acted, and what they wrote, stay on the node."""
    doc = _common(o.id, o.created, o.modified)
    doc |= {
        "action_date": o.action_date,
        "type": OUTREACH_TYPES.get(o.channel, o.channel),
        "targets": [target(o.official)],
    }
    links: dict[str, Any] = {
        "self": _link(f"{base}outreaches/{o.id}"),
        "osdi:advocacy_campaign": _link(campaign_href(base, o.campaign_id)),
    }
    doc["_links"] = {"curies": curies(), **links} if top else links
    return doc


def error(code: str, message: str) -> Document:
    """A refusal: ``{"error": {"code", "message"}}``, the code from PROTOCOL.md §9."""
    return {"error": {"code": code, "message": message}}
