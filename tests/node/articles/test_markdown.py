"""Articles' Markdown comes out as safe HTML: no script, no event attribute, no
``javascript:`` link survives, whether written as Markdown or as raw HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from node.articles.markdown import plain, render, sanitize
from node.articles.service import slug_of

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)" onclick="alert(2)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    '<p onmouseover="alert(1)">hover</p>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
]


class _Elements(HTMLParser):
    """Every element and attribute of a piece of HTML, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def _unsafe(html: str) -> list[str]:
    """What in ``html`` could run a script or leave the page."""
    out = []
    for tag, attrs in _Elements(html).found:
        if tag in ("script", "iframe", "svg", "object", "embed", "style"):
            out.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                out.append(f"{tag}[{name}]")
            scheme = value.strip().lower().partition(":")[0]
            if (
                name in ("href", "src")
                and ":" in value
                and scheme not in ("http", "https", "mailto")
            ):
                out.append(f"{tag}[{name}={value}]")
    return out


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_is_sanitized(text: str) -> None:
    html = render(text)
    assert _unsafe(html) == []
    assert "<script" not in html


@pytest.mark.parametrize("text", [t for t in HOSTILE if t.startswith("<")])
def test_hostile_html_is_sanitized(text: str) -> None:
    assert _unsafe(text) != []  # the check sees the danger
    assert _unsafe(sanitize(text)) == []


def test_markdown_renders_what_articles_need() -> None:
    html = render(
        "# Title\n\nSome *words* and a [link](https://example.org).\n\n- one\n- two\n\n"
        "![Members marching](/media/0123456789abcdef01234567.png)"
    )
    assert "<h2>Title</h2>" in html  # the page's title is its one h1
    assert "<em>words</em>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<li>one</li>" in html
    assert '<img src="/media/0123456789abcdef01234567.png" alt="Members marching">' in html


def test_plain_text_and_slugs() -> None:
    assert plain("# Hello\n\nSome *words*.") == "Hello Some words."
    assert slug_of("What Kind of Ally Are You?") == "what-kind-of-ally-are-you"
    assert slug_of("Réforme: la justice!") == "reforme-la-justice"
    assert slug_of("???") == "article"
