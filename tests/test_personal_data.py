"""No personal data of a stranger leaves the node: people who gave their name and address
on the public site (allies, and the Coalition Brief's subscribers) are found in none of
what the node sends or shows. Two real nodes, linked; allies and a subscriber sign up
over HTTP on node A; then federation traffic (a federated circle, a proposal, members on
both nodes); then every envelope A holds, every request A and B sent each other, every
envelope B received, ``nst export``'s whole output, the OSDI API's answers, the log lines
A wrote (structlog and aiohttp's access log, rendered as ``nst run`` renders them) and
the public site's pages and feeds are searched for each personal string.

A feature that keeps personal data adds a fixture that makes some and records its
strings in ``personal`` (as ``allies`` and ``brief_subscribers`` do), and lists it in
``everyone``."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog

from node import logging as nst_logging
from node.cli.data import write_export

PASSWORD = "correct horse battery"


def _load_harness() -> Any:
    if "harness" in sys.modules:
        return sys.modules["harness"]
    path = Path(__file__).parent / "federation" / "harness.py"
    spec = importlib.util.spec_from_file_location("harness", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


class Personal:
    """The personal strings made by the fixtures, and where they were found."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    def add(self, *strings: str) -> None:
        for s in strings:
            self.strings.extend({s, s.lower(), s.upper()})

    def found(self, text: str | bytes) -> list[str]:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return sorted({s for s in self.strings if s in text})


@pytest.fixture
def node_log() -> Iterator[io.StringIO]:
    """What the node logs, rendered as ``nst run --log-format json`` writes it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    nst_logging.configure("json", level=logging.DEBUG, stream=out)
    try:
        yield out
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        structlog.reset_defaults()


@pytest.fixture
async def nodes(node_log: io.StringIO) -> AsyncIterator[Any]:
    """Nodes A and B, linked, with members on both."""
    async with harness.cluster(2) as c:
        a, b = c.nodes
        await c.link_all()
        await a.node.add_member("ana", "Ana", "admin", PASSWORD)
        await b.node.add_member("ben", "Ben", "member", PASSWORD)
        yield c


@pytest.fixture
def personal() -> Personal:
    return Personal()


async def _post_form(http: aiohttp.ClientSession, base: str, path: str, pairs: list[Any]) -> int:
    """Send a public form as a stranger's browser does: the page first, for its token."""
    async with http.get(base + path) as r:
        page = await r.text()
    token = page.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    async with http.post(base + path, data=[("_csrf", token), *pairs]) as r:
        return r.status


@pytest.fixture
async def allies(nodes: Any, personal: Personal) -> None:
    """Two allies signed up on node A's public site, one invited to become a member."""
    a = nodes.nodes[0]
    people = (
        ("Wilhelmina Quarrington", "wq.private@example.org", "Quillmoor", "Call me at night"),
        ("Zebulon Featherstonehaugh", "zeb.f@example.net", "Vexham", "I own a hall"),
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for name, address, town, note in people:
            pairs = [("name", name), ("address", address), ("town", town), ("note", note),
                     ("can", "call"), ("can", "host"), ("consent", "1")]  # fmt: skip
            assert await _post_form(http, a.url, "/allies", pairs) == 200
            personal.add(name, address, town, note)
    first = (await a.node.allies.all())[-1]
    await a.node.allies.invite(first.id, "ana", "wilhelmina")


@pytest.fixture
async def brief_subscribers(nodes: Any, personal: Personal, smtp: Any) -> None:
    """A subscriber of the Coalition Brief on node A (signed up, waiting to confirm:
    the brief needs mail, here the test's SMTP server)."""
    a = nodes.nodes[0]
    a.node.config = dataclasses.replace(a.node.config, mail=smtp.mail_config())
    name, address, town = "Ottoline Brackenbury", "ottoline.b@example.com", "Yarrowby"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        pairs = [("address", address), ("name", name), ("town", town), ("from", "brief")]
        assert await _post_form(http, a.url, "/brief", pairs) == 200
    personal.add(name, address, town)


@pytest.fixture
def everyone(allies: None, brief_subscribers: None, personal: Personal) -> Personal:
    """Every feature's strangers: a feature that keeps personal data adds its fixture."""
    return personal


async def _traffic(c: Any) -> None:
    """Federation as it runs every day: a circle across both nodes, a proposal, stances."""
    a, b = c.nodes
    people = {"ana": ["facilitator"], b.node.actor_of("ben"): []}
    circle = await c.federated_circle(a, [b], name="Coalition general circle", people=people)
    await c.settle()
    root = await a.node.gov.propose(circle.id, "ana", "Hold a town hall", "In March.")
    await a.node.gov.move(root, "ana", "presented")
    await c.settle()
    await a.node.load_org_names()
    await b.node.load_org_names()


async def _texts(http: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False, **kw) as r:
        return r.status, await r.text()


async def test_no_personal_string_leaves_the_node(
    nodes: Any, everyone: Personal, node_log: io.StringIO
) -> None:
    a, b = nodes.nodes
    assert everyone.strings
    # What A holds for itself: the strings really are there, so the search below works.
    assert everyone.found(str(await a.node.allies.export()))
    assert everyone.found(str(await a.node.brief.export_rows()))
    await _traffic(nodes)

    leaks: dict[str, list[str]] = {}

    def check(where: str, text: str | bytes) -> None:
        if found := everyone.found(text):
            leaks[where] = found

    held = await a.export()
    received = await b.export()
    assert len(received) > 5  # the traffic did happen
    for n, line in enumerate(held):
        check(f"envelope {n} held by A", line)
    for n, line in enumerate(received):
        check(f"envelope {n} received by B", line)
    for sender in (a, b):
        assert sender.transport.sent
        for n, sent in enumerate(sender.transport.sent):
            check(f"request {n} {sender.name} sent to {sent.url}", sent.body)
            check(f"headers of request {n} {sender.name} sent", str(sent.headers))

    out = io.BytesIO()
    await write_export(a.store, out, a.key)  # what `nst export` writes, trailer included
    check("nst export", out.getvalue())

    token = await a.node.osdi.tokens.create("audit")
    async with aiohttp.ClientSession() as http:
        seen: set[str] = set()
        queue = [a.url + "/osdi/v1/"]
        while queue and len(seen) < 50:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            status, text = await _texts(http, url, headers={"OSDI-API-Token": token})
            check(f"OSDI {url}", text)
            for href in _hrefs(text):
                if href.startswith(a.url + "/osdi/v1/") and "{" not in href:
                    queue.append(href)
        assert len(seen) > 1
        for people in ("/osdi/v1/people", "/osdi/v1/people/1", "/osdi/v1/signups"):
            status, text = await _texts(http, a.url + people, headers={"OSDI-API-Token": token})
            assert status == 404, people  # people are not served at all
            check(f"OSDI {people}", text)

        for path in ("/", "/public", "/articles", "/brief", "/allies", "/allies/thanks",
                     "/feeds/articles.atom", "/feeds/campaigns.atom", "/sitemap.xml",
                     "/robots.txt", "/login"):  # fmt: skip
            status, text = await _texts(http, a.url + path)
            assert status == 200, path
            check(f"public page {path}", text)

    logged = node_log.getvalue()
    assert "POST /allies" in logged  # the log was written, and is what we search
    check("node log", logged)
    assert leaks == {}


def _hrefs(text: str) -> list[str]:
    """Every link of a hal+json document."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "href" and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    with contextlib.suppress(ValueError):
        walk(json.loads(text))
    return found
